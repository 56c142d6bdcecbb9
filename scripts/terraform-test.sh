#!/usr/bin/env bash
# Runs `terraform test` on examples/routing against the PagerDuty sandbox:
# builds the provider and the sandbox, starts the sandbox on a loopback port,
# creates the services and an event orchestration through its PagerDuty API,
# points Terraform at the local build (dev_overrides in a private CLI config,
# never the user's own) and runs the example's tests with their variables.
# Every wait is bounded. Extra arguments go to `terraform test` (e.g. -verbose).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH
token=terraform-test-token
email=terraform-test@example.com
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [[ -n "$sandbox_pid" ]]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in terraform curl jq timeout; do
  command -v "$tool" >/dev/null || { echo "terraform-test: $tool is needed on PATH" >&2; exit 1; }
done

echo "== building the provider and the sandbox"
(cd "$root" && go build -o "$work/bin/terraform-provider-pdbridge" . && go build -o "$work/pdbridge-sandbox" ./internal/sandbox/cmd/pdbridge-sandbox)

"$work/pdbridge-sandbox" -listen 127.0.0.1:0 -token "$token" >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
url=
for _ in $(seq 1 100); do # at most 10 s
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/sandbox.out" | head -1 || true)
  [[ -n "$url" ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "terraform-test: the sandbox did not start" >&2; exit 1; }
echo "sandbox at $url"

pd() { # pd METHOD PATH [BODY]: a PagerDuty REST call to the sandbox
  curl -sS --fail-with-body --max-time 10 -X "$1" "$url$2" \
    -H "Authorization: Token token=$token" -H 'Accept: application/vnd.pagerduty+json;version=2' \
    -H 'Content-Type: application/json' -H "From: $email" ${3:+--data "$3"}
}
policy=$(pd GET /escalation_policies | jq -r '.escalation_policies[0].id')
service() {
  pd POST /services "$(jq -nc --arg n "$1" --arg p "$policy" '{service: {name: $n, type: "service", escalation_policy: {id: $p, type: "escalation_policy_reference"}}}')" | jq -r .service.id
}
unix=$(service "Unix team")
windows=$(service "Windows team")
default=$(service "Operations")
orchestration=$(pd POST /event_orchestrations '{"orchestration": {"name": "Zenoss", "description": "terraform test"}}' | jq -r .orchestration.id)
echo "services: Unix $unix, Windows $windows, default $default; event orchestration $orchestration"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/pdbridge/pdbridge" = "$work/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1
export PAGERDUTY_TOKEN=$token PAGERDUTY_USER_EMAIL=$email
export PAGERDUTY_API_URL_OVERRIDE=$url PAGERDUTY_EVENTS_URL_OVERRIDE=$url
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
