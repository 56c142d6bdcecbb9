# A check block warns on every plan while Zenoss and PagerDuty disagree.
check "zenoss_in_sync" {
  data "pdbridge_reconciliation" "zenoss" {
    settings = pdbridge_sync_settings.zenoss
  }

  assert {
    condition     = data.pdbridge_reconciliation.zenoss.in_sync
    error_message = "Zenoss and PagerDuty disagree (${data.pdbridge_reconciliation.zenoss.pending_operations} operations pending): run the sync."
  }
}
