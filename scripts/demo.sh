#!/usr/bin/env bash
# The demo: builds the provider and the sandbox, starts the sandbox on a
# loopback port, creates two services through its PagerDuty API, points
# Terraform at the local build (dev_overrides in a private CLI config, never
# the user's own), applies examples/quickstart, prints what it made, and
# stops the sandbox.
set -euo pipefail
name=demo token=demo-token email=demo@example.com
source "$(dirname "$0")/lib/sandbox.sh"

echo "== creating services through the sandbox's PagerDuty API"
unix=$(service "Unix team")
windows=$(service "Windows team")
echo "Unix team: $unix, Windows team: $windows"

cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"

echo "== terraform apply examples/quickstart"
vars=(-var "unix_service_id=$unix" -var "windows_service_id=$windows")
if ! timeout 300 terraform apply -auto-approve -input=false -no-color "${vars[@]}" >"$work/apply.log" 2>&1; then
  cat "$work/apply.log" >&2
  echo "demo: terraform apply failed" >&2
  exit 1
fi
sed -n '/Terraform used the selected providers/,/Apply complete/p' "$work/apply.log"

echo "== what Terraform made"
timeout 60 terraform output -no-color 2>/dev/null

echo "== what the sandbox now holds"
for s in "$unix" "$windows"; do
  pd GET "/services/$s?include%5B%5D=integrations" | jq -c '.service | {service: .name, status, integrations: [.integrations[] | {id, name, type}]}'
done

echo "== terraform plan shows no drift"
if timeout 300 terraform plan -detailed-exitcode -input=false -no-color "${vars[@]}" >"$work/plan.log" 2>&1; then
  echo "no changes"
else
  cat "$work/plan.log" >&2
  echo "demo: plan after apply is not empty" >&2
  exit 1
fi

echo "== an event sent with the Unix connector's routing key opens an incident"
key=$(timeout 60 terraform output -raw unix_routing_key 2>/dev/null)
curl -sS --fail-with-body --max-time 10 -X POST "$url/v2/enqueue" -H 'Content-Type: application/json' \
  --data "$(jq -nc --arg k "$key" '{routing_key: $k, event_action: "trigger", dedup_key: "demo/web-01/cpu",
    payload: {summary: "CPU at 100% on web-01", source: "web-01", severity: "critical", custom_details: {device_class: "/Server/Linux"}}}')" | jq -c .
# The Events API is asynchronous: the incident appears a moment after the 202.
incident=
for _ in $(seq 1 50); do # at most 10 s
  incident=$(pd GET "/incidents?incident_key=demo%2Fweb-01%2Fcpu&service_ids%5B%5D=$unix" | jq -c '.incidents[] | {incident_number, title, status, service: .service.id}')
  [[ -n "$incident" ]] && break
  sleep 0.2
done
[[ -n "$incident" ]] || { echo "demo: no incident 10 s after the event" >&2; exit 1; }
echo "$incident"
echo "Unix team is now $(pd GET "/services/$unix" | jq -r .service.status) (pdbridge_service reports the same on the next plan)"

echo "== stopping the sandbox"
