# Quickstart: two PagerDuty services, each fed by a connector.
# `make demo` runs this against the local sandbox; against PagerDuty, set
# PAGERDUTY_TOKEN and PAGERDUTY_USER_EMAIL and pass your own service ids.
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

provider "pdbridge" {}

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
