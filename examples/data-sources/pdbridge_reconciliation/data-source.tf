# What a sync run would do now, shown by every terraform plan.
data "pdbridge_reconciliation" "zenoss" {
  settings  = pdbridge_sync_settings.zenoss # passed whole, by value
  max_items = 20
}

output "zenoss_pending" {
  value = data.pdbridge_reconciliation.zenoss.counts
}
