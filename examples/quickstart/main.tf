# Quickstart: two PagerDuty services, each fed by a connector, Zenoss events
# routed to them by device class, and the sync that keeps the events and
# their incidents in agreement.
# `make demo` runs this against the local sandboxes; against PagerDuty and
# Zenoss, set PAGERDUTY_TOKEN and PAGERDUTY_USER_EMAIL and pass your own
# service ids and Zenoss URL and credentials.
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

variable "zenoss_url" {
  type = string
}

variable "zenoss_username" {
  type = string
}

variable "zenoss_password" {
  type      = string
  sensitive = true
}

variable "run_sync" {
  description = "Run a sync pass on this plan and apply (Terraform 1.10+; on 1.14+ an action \"pdbridge_sync_run\" block with `terraform apply -invoke` runs one exactly when asked)."
  type        = bool
  default     = false
}

provider "pdbridge" {
  sources = {
    zenoss = {
      kind                = "zenoss"
      url                 = var.zenoss_url
      username            = var.zenoss_username
      password            = var.zenoss_password
      allow_insecure_http = true # the demo's Zenoss is the sandbox on a loopback address
    }
  }
}

data "pdbridge_service" "unix" {
  id = var.unix_service_id
}

data "pdbridge_service" "windows" {
  id = var.windows_service_id
}

resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = data.pdbridge_service.unix.id
  source_kind = "zenoss"
}

resource "pdbridge_connector" "windows" {
  name        = "Zenoss: Windows team"
  service_id  = data.pdbridge_service.windows.id
  source_kind = "zenoss"
}

resource "pdbridge_routing_transform" "by_device_class" {
  rule {
    label     = "windows"
    condition = "event.custom_details.device_class matches part '/Server/Windows'"
    route_to  = pdbridge_connector.windows.id
  }
  catch_all {
    route_to = pdbridge_connector.unix.id
  }
}

resource "pdbridge_sync_settings" "zenoss" {
  source                             = "zenoss"
  routing                            = pdbridge_routing_transform.by_device_class
  close_event_on_incident_resolution = true
}

# What a sync would do now: every plan shows it.
data "pdbridge_reconciliation" "zenoss" {
  settings = pdbridge_sync_settings.zenoss
}

ephemeral "pdbridge_sync_run" "zenoss" {
  count    = var.run_sync ? 1 : 0
  settings = pdbridge_sync_settings.zenoss
  dry_run  = false
}

output "pending_sync_operations" {
  value = data.pdbridge_reconciliation.zenoss.counts
}

output "connectors" {
  value = {
    for c in [pdbridge_connector.unix, pdbridge_connector.windows] : c.name => {
      id         = c.id
      service    = c.service_id
      events_url = c.events_url
    }
  }
}

output "services" {
  value = {
    for s in [data.pdbridge_service.unix, data.pdbridge_service.windows] : s.name => s.status
  }
}

output "unix_routing_key" {
  value     = pdbridge_connector.unix.integration_key
  sensitive = true
}
