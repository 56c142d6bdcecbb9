# Kibana: a PagerDuty connector for Kibana alerting rules, with the
# elasticstack provider. Kibana rules then trigger, acknowledge and resolve
# alerts on the service through it.
resource "pdbridge_connector" "kibana" {
  name        = "Kibana: search cluster"
  service_id  = data.pdbridge_service.search.id
  source_kind = "kibana"
}

resource "elasticstack_kibana_action_connector" "pagerduty" {
  name              = "PagerDuty: search cluster"
  connector_type_id = pdbridge_connector.kibana.kibana.connector_type_id # ".pagerduty"
  config            = pdbridge_connector.kibana.kibana.config            # {"apiUrl": ...}
  secrets           = pdbridge_connector.kibana.kibana.secrets           # {"routingKey": ...}, sensitive
}

# With xpack.actions.allowedHosts set in kibana.yml, allow the API URL's host:
output "kibana_allowed_host" {
  value = regex("^https?://([^/:]+)", pdbridge_connector.kibana.kibana.api_url)[0]
}
