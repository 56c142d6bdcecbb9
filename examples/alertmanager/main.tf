# Prometheus Alertmanager as a sync source: every firing alert becomes a
# PagerDuty incident, routed by its labels; acknowledging the incident
# silences exactly that alert (a silence by the sync's user, naming the
# incident), un-acknowledging expires the silence, an alert silenced by
# someone else (maintenance) opens no incident, and a resolved alert
# resolves its incident. Alertmanager keeps no log and no reference: the
# sync finds each alert's incident by its dedup key.
terraform {
  required_providers {
    pdbridge = {
      source = "pdbridge/pdbridge"
    }
  }
}

variable "database_service_id" {
  type = string
}

variable "default_service_id" {
  type = string
}

variable "alertmanager_url" {
  description = "Alertmanager's base URL, e.g. https://alertmanager.example.com:9093."
  type        = string
}

variable "alertmanager_password" {
  description = "For Basic auth (an Alertmanager web config, or a proxy in front of it); leave empty without auth."
  type        = string
  sensitive   = true
  default     = ""
}

provider "pdbridge" {
  sources = {
    alertmanager = {
      kind     = "alertmanager"
      url      = var.alertmanager_url
      username = var.alertmanager_password == "" ? null : "pdbridge" # also the createdBy of the sync's silences
      password = var.alertmanager_password == "" ? null : var.alertmanager_password
    }
  }
}

resource "pdbridge_connector" "database" {
  name        = "Alertmanager: databases"
  service_id  = var.database_service_id
  source_kind = "alertmanager"
}

resource "pdbridge_connector" "default" {
  name        = "Alertmanager"
  service_id  = var.default_service_id
  source_kind = "alertmanager"
}

# An alert's labels and annotations are details named labels.<name> and
# annotations.<name>; its source is the instance label, its class the
# alertname and its severity the severity label (a warning without one).
resource "pdbridge_routing_transform" "by_team" {
  rule {
    label     = "databases"
    condition = "event.custom_details['labels.team'] matches 'database'"
    route_to  = pdbridge_connector.database.id
  }
  catch_all {
    route_to = pdbridge_connector.default.id
  }
}

resource "pdbridge_sync_settings" "alertmanager" {
  source  = "alertmanager"
  routing = pdbridge_routing_transform.by_team
}

data "pdbridge_reconciliation" "alertmanager" {
  settings = pdbridge_sync_settings.alertmanager
}

output "pending_sync_operations" {
  value = data.pdbridge_reconciliation.alertmanager.counts
}
