# Terraform 1.10 to 1.13, which have no actions: a workspace whose apply runs
# a sync pass. Terraform opens the resource on every plan and apply, so with
# dry_run = false each of them runs a pass (an apply without a saved plan
# runs two). Keep it in a workspace of its own, applied by a scheduled job.
ephemeral "pdbridge_sync_run" "zenoss" {
  settings = pdbridge_sync_settings.zenoss
  dry_run  = false # the default, true, only says what a pass would do
}
