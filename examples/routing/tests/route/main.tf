# Test helper: routes each sample event with a transform and returns the
# decisions, for assertions in routing.tftest.hcl.
terraform {
  required_providers {
    pdbridge = {
      source = "pdbridge/pdbridge"
    }
  }
}

variable "transform" {
  description = "A pdbridge_routing_transform (the whole resource object)."
  type        = any
}

variable "events" {
  description = "Sample events by name."
  type = map(object({
    summary        = optional(string, "test event")
    severity       = optional(string, "error")
    source         = optional(string, "host.example.com")
    component      = optional(string)
    group          = optional(string)
    class          = optional(string)
    custom_details = optional(map(string))
  }))
}

data "pdbridge_route" "event" {
  for_each  = var.events
  transform = var.transform
  event     = each.value
}

output "routes" {
  value = {
    for name, r in data.pdbridge_route.event : name => {
      rule         = r.rule
      routed       = r.routed
      connector_id = r.connector_id
      service_id   = r.service_id
      payload      = jsondecode(r.payload_json)
    }
  }
}
