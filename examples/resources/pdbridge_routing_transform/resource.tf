# Zenoss events carry the device class in custom_details: Linux and AIX
# devices go to the Unix team, WMI and Windows devices to the Windows team,
# everything else to a default service.
resource "pdbridge_routing_transform" "zenoss" {
  rule {
    label     = "unix"
    condition = "event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'"
    route_to  = pdbridge_connector.unix.id
  }
  rule {
    label     = "windows"
    condition = "event.custom_details.device_class matches part 'Windows' or event.custom_details.device_class matches part 'WMI'"
    route_to  = pdbridge_connector.windows.id
  }
  catch_all {
    route_to = pdbridge_connector.default.id
  }

  # Also route events that Zenoss pushes straight to this orchestration's
  # routing key the same way. Several transforms can share one router;
  # `priority` orders their rules.
  event_orchestration_id = "b02e973d-9620-4e0a-9edc-00fedf7d4694"
  priority               = 100
}

# Without event_orchestration_id, a transform is evaluated by pdbridge only,
# and may also rewrite events before they are sent.
resource "pdbridge_routing_transform" "databases" {
  rule {
    label     = "production databases"
    condition = "event.custom_details.prod_state == 'Production' and event.component matches part 'mysql'"
    route_to  = pdbridge_connector.dba.id
    severity  = "{{if eq .Severity \"warning\"}}error{{else}}{{.Severity}}{{end}}"
    summary   = "[{{.Details.prod_state}}] {{.Device}}: {{.Summary}}"
    dedup_key = "{{.Device}}|{{.Component}}|{{.Severity}}"
    custom_details = {
      runbook = "https://wiki.example.com/runbooks/mysql"
    }
    priority = "P2"
  }
  rule {
    label     = "test systems"
    condition = "event.custom_details.prod_state matches 'Test'"
    drop      = true
  }
  rule {
    label     = "maintenance noise"
    condition = "event.severity matches 'info'"
    route_to  = pdbridge_connector.dba.id
    suppress  = true
  }
}
