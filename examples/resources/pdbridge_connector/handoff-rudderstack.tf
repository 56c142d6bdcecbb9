# RudderStack: the settings of a PagerDuty destination, and the track-call
# properties it maps, for the team that instruments the application.
resource "pdbridge_connector" "rudderstack" {
  name        = "RudderStack: checkout funnel"
  service_id  = data.pdbridge_service.checkout.id
  source_kind = "rudderstack"
}

# Connection settings of the destination (its PagerDuty Routing Key and
# dedup_key Field Identifier), e.g. for RudderStack's API or a secret store.
output "rudderstack_destination_config" {
  value     = pdbridge_connector.rudderstack.rudderstack.destination_config
  sensitive = true
}

# What to put in a track call: {"event" = "payload.summary", "properties.severity" = "payload.severity", ...}
output "rudderstack_track_properties" {
  value = {
    alert_events  = pdbridge_connector.rudderstack.rudderstack.alert_event_mapping
    change_events = pdbridge_connector.rudderstack.rudderstack.change_event_mapping
  }
}
