# Terraform 1.14 or later. Every apply that ships a new version of the
# checkout service puts a change event on its PagerDuty timeline, next to
# any incident it may cause.
resource "pdbridge_connector" "checkout_deploys" {
  name        = "Deployments: checkout"
  service_id  = var.checkout_service_id
  source_kind = "generic"
}

resource "terraform_data" "checkout_release" {
  input = var.checkout_version

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.pdbridge_change_event.checkout_deployed]
    }
  }
}

action "pdbridge_change_event" "checkout_deployed" {
  config {
    routing_key = pdbridge_connector.checkout_deploys.integration_key
    summary     = "Deployed checkout ${terraform_data.checkout_release.output}"
    source      = "terraform"
    custom_details = {
      version   = var.checkout_version
      workspace = terraform.workspace
    }
    links = [{ href = "https://git.example.com/shop/checkout/releases/${var.checkout_version}", text = "Release notes" }]
  }
}
