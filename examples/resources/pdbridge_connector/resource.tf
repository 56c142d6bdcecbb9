data "pdbridge_service" "unix" {
  name = "Unix team"
}

# An Events API v2 integration on the Unix team's service, fed by Zenoss.
resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = data.pdbridge_service.unix.id
  source_kind = "zenoss"
}

output "unix_routing_key" {
  value     = pdbridge_connector.unix.integration_key
  sensitive = true
}
