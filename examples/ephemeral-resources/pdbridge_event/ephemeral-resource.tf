# Terraform 1.10 to 1.13, which have no actions. The event is sent each time
# Terraform opens the resource: on every plan, and twice on an apply without
# a saved plan (its plan, then the apply). A fixed dedup_key makes PagerDuty
# group the repeats into one alert.
ephemeral "pdbridge_event" "maintenance" {
  routing_key = var.routing_key # sensitive, or ephemeral (e.g. from a secrets manager)
  dedup_key   = "db/maintenance-${var.change_ticket}"
  summary     = "Database maintenance ${var.change_ticket} in progress"
  source      = "terraform"
  severity    = "info"
}

# To stop the alert, change the same block to resolve it:
#   event_action = "resolve"
#   dedup_key    = "db/maintenance-${var.change_ticket}"
