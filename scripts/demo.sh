#!/usr/bin/env bash
# The demo: builds the provider and the sandbox, starts the sandbox on a
# loopback port, creates two services through its PagerDuty API, points
# Terraform at the local build (dev_overrides in a private CLI config, never
# the user's own), applies examples/quickstart, prints what it made, and
# stops the sandbox.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH
token=demo-token
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [[ -n "$sandbox_pid" ]]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in terraform curl jq; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is needed on PATH" >&2; exit 1; }
done

echo "== building the provider and the sandbox"
(cd "$root" && go build -o "$work/bin/terraform-provider-pdbridge" . && go build -o "$work/pdbridge-sandbox" ./internal/sandbox/cmd/pdbridge-sandbox)

echo "== starting the sandbox"
"$work/pdbridge-sandbox" -listen 127.0.0.1:0 -token "$token" >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
url=
for _ in $(seq 1 100); do # at most 10 s
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/sandbox.out" | head -1 || true)
  [[ -n "$url" ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "demo: the sandbox did not start" >&2; exit 1; }
echo "sandbox at $url"

pd() { # pd METHOD PATH [BODY]: a PagerDuty REST call to the sandbox
  curl -sS --fail-with-body --max-time 10 -X "$1" "$url$2" \
    -H "Authorization: Token token=$token" -H 'Accept: application/vnd.pagerduty+json;version=2' \
    -H 'Content-Type: application/json' -H 'From: demo@example.com' ${3:+--data "$3"}
}

echo "== creating services through the sandbox's PagerDuty API"
policy=$(pd GET /escalation_policies | jq -r '.escalation_policies[0].id')
service() {
  pd POST /services "$(jq -nc --arg n "$1" --arg p "$policy" '{service: {name: $n, type: "service", escalation_policy: {id: $p, type: "escalation_policy_reference"}}}')" | jq -r .service.id
}
unix=$(service "Unix team")
windows=$(service "Windows team")
echo "Unix team: $unix, Windows team: $windows"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/pdbridge/pdbridge" = "$work/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE=$work/terraformrc
export PAGERDUTY_TOKEN=$token PAGERDUTY_USER_EMAIL=demo@example.com
export PAGERDUTY_API_URL_OVERRIDE=$url PAGERDUTY_EVENTS_URL_OVERRIDE=$url
cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"

echo "== terraform apply examples/quickstart"
vars=(-var "unix_service_id=$unix" -var "windows_service_id=$windows")
if ! terraform apply -auto-approve -input=false -no-color "${vars[@]}" >"$work/apply.log" 2>&1; then
  cat "$work/apply.log" >&2
  echo "demo: terraform apply failed" >&2
  exit 1
fi
sed -n '/Terraform used the selected providers/,/Apply complete/p' "$work/apply.log"

echo "== what Terraform made"
terraform output -no-color 2>/dev/null

echo "== what the sandbox now holds"
for s in "$unix" "$windows"; do
  pd GET "/services/$s?include%5B%5D=integrations" | jq -c '.service | {service: .name, status, integrations: [.integrations[] | {id, name, type}]}'
done

echo "== terraform plan shows no drift"
if terraform plan -detailed-exitcode -input=false -no-color "${vars[@]}" >"$work/plan.log" 2>&1; then
  echo "no changes"
else
  cat "$work/plan.log" >&2
  echo "demo: plan after apply is not empty" >&2
  exit 1
fi

echo "== an event sent with the Unix connector's routing key opens an incident"
key=$(terraform output -raw unix_routing_key 2>/dev/null)
curl -sS --fail-with-body --max-time 10 -X POST "$url/v2/enqueue" -H 'Content-Type: application/json' \
  --data "$(jq -nc --arg k "$key" '{routing_key: $k, event_action: "trigger", dedup_key: "demo/web-01/cpu",
    payload: {summary: "CPU at 100% on web-01", source: "web-01", severity: "critical", custom_details: {device_class: "/Server/Linux"}}}')" | jq -c .
pd GET "/incidents?incident_key=demo%2Fweb-01%2Fcpu&service_ids%5B%5D=$unix" | jq -c '.incidents[] | {incident_number, title, status, service: .service.id}'
echo "Unix team is now $(pd GET "/services/$unix" | jq -r .service.status) (pdbridge_service reports the same on the next plan)"

echo "== stopping the sandbox"
