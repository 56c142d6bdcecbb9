# A postcondition fails the plan instead (for a CI job that must go red).
data "pdbridge_reconciliation" "zenoss_strict" {
  settings = pdbridge_sync_settings.zenoss

  lifecycle {
    postcondition {
      condition     = self.in_sync
      error_message = "Zenoss and PagerDuty disagree (${self.pending_operations} operations pending): run the sync."
    }
  }
}
