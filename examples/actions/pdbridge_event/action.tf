# Terraform 1.14 or later. Page the web team when a release's smoke test
# fails: the terraform_data resource changes with each release, and its
# action_trigger sends the trigger after apply.
resource "pdbridge_connector" "web_releases" {
  name        = "Releases: web"
  service_id  = var.web_service_id
  source_kind = "generic"
}

resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    action_trigger {
      events    = [after_create, after_update]
      condition = !var.smoke_test_passed
      actions   = [action.pdbridge_event.release_broken]
    }
  }
}

action "pdbridge_event" "release_broken" {
  config {
    # A connector's integration_key is sensitive: Terraform redacts it.
    routing_key = pdbridge_connector.web_releases.integration_key
    dedup_key   = "web/release" # the key the resolve below names
    summary     = "Smoke test failed for web ${var.release}"
    source      = "ci.example.com"
    severity    = "critical"
    component   = "web"
    custom_details = {
      release = var.release
      commit  = var.commit
    }
    links = [{ href = var.ci_run_url, text = "CI run" }]
  }
}
