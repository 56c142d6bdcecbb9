# Say what a pass would do, and change nothing.
action "pdbridge_sync_run" "zenoss_preview" {
  config {
    settings = pdbridge_sync_settings.zenoss
    dry_run  = true
  }
}
