# Device42 (16.14.00 or later): the values of a PagerDuty external
# integration, which Device42 alert rules then send events through.
resource "pdbridge_connector" "device42" {
  name        = "Device42: data centre power"
  service_id  = data.pdbridge_service.facilities.id
  source_kind = "device42"
}

output "device42_external_integration" {
  value = {
    type = pdbridge_connector.device42.device42.integration_type # "PagerDuty"
    url  = pdbridge_connector.device42.device42.url
  }
}

output "device42_integration_key" {
  value     = pdbridge_connector.device42.device42.integration_key
  sensitive = true
}
