# terraform test: the Zenoss routing sends each device class to the right team.
# The variables (service ids, optionally an orchestration) come from the command
# line; scripts/terraform-test.sh passes those of the PagerDuty sandbox.

run "apply" {
  assert {
    condition     = length(pdbridge_routing_transform.zenoss.rule) == 2 && pdbridge_routing_transform.zenoss.catch_all.route_to == pdbridge_connector.default.id
    error_message = "The transform should have two rules and a catch-all to the default connector."
  }
}

run "route_by_device_class" {
  module {
    source = "./tests/route"
  }

  variables {
    transform = run.apply.transform
    events = {
      linux       = { source = "lnx01.example.com", custom_details = { device_class = "/Server/Linux/RHEL" } }
      aix         = { source = "aix01.example.com", custom_details = { device_class = "/Server/AIX" } }
      wmi         = { source = "win01.example.com", custom_details = { device_class = "/Server/Windows/WMI" } }
      windows     = { source = "win02.example.com", custom_details = { device_class = "/Server/Microsoft/Windows" } }
      network     = { source = "sw01.example.com", custom_details = { device_class = "/Network/Switch/Cisco" } }
      no_class    = { source = "unknown.example.com" }
      linux_lower = { source = "lnx02.example.com", custom_details = { device_class = "/server/linux" } } # PCL "matches part" ignores case
    }
  }

  assert {
    condition     = output.routes["linux"].rule == "unix" && output.routes["linux"].connector_id == run.apply.connectors.unix
    error_message = "Linux devices should go to the Unix team, got ${jsonencode(output.routes["linux"])}."
  }
  assert {
    condition     = output.routes["aix"].rule == "unix" && output.routes["aix"].connector_id == run.apply.connectors.unix
    error_message = "AIX devices should go to the Unix team, got ${jsonencode(output.routes["aix"])}."
  }
  assert {
    condition     = output.routes["linux_lower"].connector_id == run.apply.connectors.unix
    error_message = "Device classes should match regardless of case, got ${jsonencode(output.routes["linux_lower"])}."
  }
  assert {
    condition     = output.routes["wmi"].rule == "windows" && output.routes["wmi"].connector_id == run.apply.connectors.windows
    error_message = "WMI devices should go to the Windows team, got ${jsonencode(output.routes["wmi"])}."
  }
  assert {
    condition     = output.routes["windows"].rule == "windows" && output.routes["windows"].connector_id == run.apply.connectors.windows
    error_message = "Windows devices should go to the Windows team, got ${jsonencode(output.routes["windows"])}."
  }
  assert {
    condition = alltrue([
      for name in ["network", "no_class"] :
      output.routes[name].rule == "catch_all" && output.routes[name].connector_id == run.apply.connectors.default
    ])
    error_message = "Everything else should go to the default service."
  }
  assert {
    condition     = alltrue([for r in values(output.routes) : r.routed && r.payload.severity == "error"])
    error_message = "Every sample should be routed, and its payload sent unchanged."
  }
  assert {
    condition     = output.routes["aix"].payload.custom_details.device_class == "/Server/AIX" && output.routes["aix"].payload.source == "aix01.example.com"
    error_message = "The payload should be the event as sent, got ${jsonencode(output.routes["aix"].payload)}."
  }
}
