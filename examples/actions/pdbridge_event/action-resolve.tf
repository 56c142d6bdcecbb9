# Resolve the alert by hand once the release is fixed:
#   terraform apply -invoke=action.pdbridge_event.release_fixed
action "pdbridge_event" "release_fixed" {
  config {
    routing_key  = pdbridge_connector.web_releases.integration_key
    event_action = "resolve"
    dedup_key    = "web/release"
  }
}
