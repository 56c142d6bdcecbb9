# Where would a Zenoss event from an AIX server go, and what would be sent?
data "pdbridge_route" "aix" {
  transform = pdbridge_routing_transform.zenoss
  event = {
    summary        = "/ is 95% full"
    severity       = "error"
    source         = "aix01.example.com"
    component      = "/"
    custom_details = { device_class = "/Server/AIX" }
  }
}

# The same, with the event as JSON (numbers and nested details keep their type).
data "pdbridge_route" "windows" {
  transform = pdbridge_routing_transform.zenoss
  event_json = jsonencode({
    summary  = "CPU load high"
    severity = "warning"
    source   = "win07.example.com"
    custom_details = {
      device_class = "/Server/Microsoft/Windows"
      load         = 97.5
    }
  })
}

output "aix_route" {
  value = {
    rule      = data.pdbridge_route.aix.rule         # "unix"
    connector = data.pdbridge_route.aix.connector_id # pdbridge_connector.unix.id
    payload   = data.pdbridge_route.aix.payload_json # the Events API v2 payload pdbridge would send
  }
}
