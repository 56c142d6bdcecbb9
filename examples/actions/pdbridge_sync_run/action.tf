# Terraform 1.14 and later. A scheduled CI job runs:
#   terraform apply -invoke=action.pdbridge_sync_run.zenoss -auto-approve
# The action reports its progress, and fails the job when an operation fails.
action "pdbridge_sync_run" "zenoss" {
  config {
    settings = pdbridge_sync_settings.zenoss # passed whole, by value
  }
}
