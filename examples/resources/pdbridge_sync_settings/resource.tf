# The policy for keeping the events of the zenoss_prod source (a key of the
# provider's `sources`) and their PagerDuty incidents in agreement. Every
# attribute but source and routing is optional, with the default shown.
resource "pdbridge_sync_settings" "zenoss" {
  source  = "zenoss_prod"
  routing = pdbridge_routing_transform.by_device_class # the transform, passed whole

  direction            = "both"        # or to_pagerduty, from_pagerduty
  conflict             = "most_recent" # or source_wins, pagerduty_wins
  clock_skew_tolerance = "30s"
  lookback             = "48h" # longer than the longest gap between two runs
  min_severity         = "warning"

  on_service_maintenance = "acknowledge_event" # or skip
  on_service_disabled    = "annotate_event"    # or skip

  # Zenoss IncidentManagement's options, with its defaults.
  acknowledge_event_on_incident_creation   = false
  acknowledge_event_on_incident_assignment = false
  close_event_on_incident_resolution       = true # IncidentManagement's default is false
  resolve_incident_on_event_close          = true
  reopen_incident_on_event_reopen          = true
  reopen_incident_on_event_recurrence      = false
  check_incident_open_before_associating   = true
  copy_event_notes_to_incident             = true
  copy_incident_log_to_event               = true

  # Flood control: at most 10 incidents a device, component and severity
  # may open within 5 minutes (events without a device are exempt).
  suppression = {
    max_incidents = 10
    window        = "5m"
  }
}
