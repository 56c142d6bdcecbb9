#!/usr/bin/env bash
# Runs `terraform test` on examples/routing against the PagerDuty sandbox:
# builds the provider and the sandbox, starts the sandbox on a loopback port,
# creates the services and an event orchestration through its PagerDuty API,
# points Terraform at the local build (dev_overrides in a private CLI config,
# never the user's own) and runs the example's tests with their variables.
# Every wait is bounded. Extra arguments go to `terraform test` (e.g. -verbose).
set -euo pipefail
name=terraform-test token=terraform-test-token email=terraform-test@example.com
source "$(dirname "$0")/lib/sandbox.sh"

unix=$(service "Unix team")
windows=$(service "Windows team")
default=$(service "Operations")
orchestration=$(pd POST /event_orchestrations '{"orchestration": {"name": "Zenoss", "description": "terraform test"}}' | jq -r .orchestration.id)
echo "services: Unix $unix, Windows $windows, default $default; event orchestration $orchestration"

cp -r "$root/examples/routing" "$work/routing" # keep .terraform/ out of the tree
cd "$work/routing"

echo "== terraform test (examples/routing)"
vars=(-var "unix_service_id=$unix" -var "windows_service_id=$windows" -var "default_service_id=$default" -var "event_orchestration_id=$orchestration")
# `terraform init` would ask the registry about the overridden provider and
# fail offline; `terraform get` installs only the modules (the test helper).
if ! timeout 120 terraform get -no-color >"$work/get.log" 2>&1; then
  cat "$work/get.log" >&2
  echo "terraform-test: terraform get failed" >&2
  exit 1
fi
status=0
timeout 300 terraform test -no-color "${vars[@]}" "$@" || status=$?

# The test applied the routing into the orchestration and destroyed it again:
# nothing of pdbridge's may be left in the router.
left=$(pd GET "/event_orchestrations/$orchestration/router" | jq '[.orchestration_path.sets[].rules[] | select(.label | startswith("[pdbridge:"))] | length')
if [[ "$left" != 0 ]]; then
  echo "terraform-test: $left pdbridge rule(s) left in the router after the test" >&2
  status=1
fi
exit "$status"
