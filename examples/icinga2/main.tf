# Icinga 2 as a sync source: host and service problems (HARD non-OK states)
# become PagerDuty incidents, routed by host group; acknowledgements flow
# both ways, PagerDuty's log lands as comments, downtimes mean no incident,
# and a recovery resolves the incident.
# `DEMO_SOURCE=icinga2 make demo` runs this against a local Icinga 2 and the
# PagerDuty sandbox; against your own, set PAGERDUTY_TOKEN and
# PAGERDUTY_USER_EMAIL and pass your service ids and Icinga's API details.
terraform {
  required_providers {
    pdbridge = {
      source = "pdbridge/pdbridge"
    }
  }
}

variable "unix_service_id" {
  type = string
}

variable "windows_service_id" {
  type = string
}

variable "icinga_url" {
  description = "Icinga 2 REST API, e.g. https://icinga.example.com:5665."
  type        = string
}

variable "icinga_username" {
  description = "An ApiUser with permissions objects/query/*, objects/modify/Host, objects/modify/Service, actions/acknowledge-problem, actions/remove-acknowledgement, actions/add-comment and actions/process-check-result."
  type        = string
}

variable "icinga_password" {
  type      = string
  sensitive = true
}

variable "icinga_ca_file" {
  description = "PEM file of the CA that signed the API's certificate (Icinga's own CA: /var/lib/icinga2/certs/ca.crt)."
  type        = string
}

variable "run_sync" {
  description = "Run a sync pass on this plan and apply (Terraform 1.10+)."
  type        = bool
  default     = false
}

provider "pdbridge" {
  sources = {
    icinga = {
      kind      = "icinga2"
      url       = var.icinga_url
      username  = var.icinga_username # also the author of the sync's acknowledgements and comments
      password  = var.icinga_password
      ca_bundle = file(var.icinga_ca_file)
      # sticky_acknowledgement = false # let Icinga clear acknowledgements on any state change
    }
  }
}

resource "pdbridge_connector" "unix" {
  name        = "Icinga 2: Unix team"
  service_id  = var.unix_service_id
  source_kind = "icinga2"
}

resource "pdbridge_connector" "windows" {
  name        = "Icinga 2: Windows team"
  service_id  = var.windows_service_id
  source_kind = "icinga2"
}

# An Icinga event's group is its host's groups, its class the check command,
# its source the host and its component the service; custom variables are
# details named vars.<name>.
resource "pdbridge_routing_transform" "by_host_group" {
  rule {
    label     = "windows"
    condition = "event.group matches part 'windows-servers'"
    route_to  = pdbridge_connector.windows.id
  }
  catch_all {
    route_to = pdbridge_connector.unix.id
  }
}

resource "pdbridge_sync_settings" "icinga" {
  source  = "icinga"
  routing = pdbridge_routing_transform.by_host_group
  # Close only works for passive checks; an actively checked problem resolves
  # when its check passes, and the sync leaves one comment saying so.
  close_event_on_incident_resolution = true
}

data "pdbridge_reconciliation" "icinga" {
  settings = pdbridge_sync_settings.icinga
}

ephemeral "pdbridge_sync_run" "icinga" {
  count    = var.run_sync ? 1 : 0
  settings = pdbridge_sync_settings.icinga
  dry_run  = false
}

output "pending_sync_operations" {
  value = data.pdbridge_reconciliation.icinga.counts
}
