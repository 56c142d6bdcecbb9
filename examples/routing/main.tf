# The Zenoss routing, as a module with its own tests (routing.tftest.hcl):
# Linux and AIX devices go to the Unix team, WMI and Windows devices to the
# Windows team, everything else to a default service.
#
# scripts/terraform-test.sh runs `terraform test` here against the local
# PagerDuty sandbox; against PagerDuty, set PAGERDUTY_TOKEN and
# PAGERDUTY_USER_EMAIL and pass your own service ids.
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

variable "default_service_id" {
  type = string
}

variable "event_orchestration_id" {
  description = "A Global Event Orchestration to publish the routing into, so events pushed straight to PagerDuty are routed the same way (optional)."
  type        = string
  default     = null
}

provider "pdbridge" {}

resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = var.unix_service_id
  source_kind = "zenoss"
}

resource "pdbridge_connector" "windows" {
  name        = "Zenoss: Windows team"
  service_id  = var.windows_service_id
  source_kind = "zenoss"
}

resource "pdbridge_connector" "default" {
  name        = "Zenoss: everything else"
  service_id  = var.default_service_id
  source_kind = "zenoss"
}

resource "pdbridge_routing_transform" "zenoss" {
  rule {
    label     = "unix"
    condition = "event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'"
    route_to  = pdbridge_connector.unix.id
  }
  rule {
    label     = "windows"
    condition = "event.custom_details.device_class matches part 'Windows' or event.custom_details.device_class matches part 'WMI'"
    route_to  = pdbridge_connector.windows.id
  }
  catch_all {
    route_to = pdbridge_connector.default.id
  }
  event_orchestration_id = var.event_orchestration_id
}

output "transform" {
  description = "The routing transform, for pdbridge_route (see tests/route)."
  value       = pdbridge_routing_transform.zenoss
}

output "connectors" {
  description = "The connector ids, by team."
  value = {
    unix    = pdbridge_connector.unix.id
    windows = pdbridge_connector.windows.id
    default = pdbridge_connector.default.id
  }
}
