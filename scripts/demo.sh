#!/usr/bin/env bash
# The demo: builds the provider and the sandbox, starts the sandbox (PagerDuty
# and Zenoss) on a loopback port, creates two services through its PagerDuty
# API, points Terraform at the local build (dev_overrides in a private CLI
# config, never the user's own), applies examples/quickstart, then shows the
# sync's whole loop: Zenoss events, the pending operations in terraform plan,
# a sync, an incident acknowledged and another resolved in PagerDuty, a second
# sync, and events and incidents side by side. It stops the sandbox.
# DEMO_SOURCE=icinga2 runs the same loop with Icinga 2 (scripts/demo-icinga2.sh).
set -euo pipefail
case "${DEMO_SOURCE:-zenoss}" in
zenoss) ;;
icinga2) exec "$(dirname "$0")/demo-icinga2.sh" ;; # the same loop with a real Icinga 2 as the source
*) echo "demo: DEMO_SOURCE must be zenoss (the default) or icinga2" >&2; exit 2 ;;
esac
name=demo token=demo-token email=demo@example.com
source "$(dirname "$0")/lib/sandbox.sh"

echo "== creating services through the sandbox's PagerDuty API"
unix=$(service "Unix team")
windows=$(service "Windows team")
echo "Unix team: $unix, Windows team: $windows"

cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"

echo "== terraform apply examples/quickstart"
vars=(-var "unix_service_id=$unix" -var "windows_service_id=$windows" -var "zenoss_url=$url" -var "zenoss_username=admin" -var "zenoss_password=zenoss")
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

zenoss() { # zenoss METHOD JSON-ARGS: a Zenoss JSON API call to the sandbox (as its admin, a console user)
  curl -sS --fail-with-body --max-time 10 -u admin:zenoss -X POST "$url/zport/dmd/evconsole_router" -H 'Content-Type: application/json' \
    --data "$(jq -nc --arg m "$1" --argjson a "$2" '{action: "EventsRouter", method: $m, data: [$a], tid: 1, type: "rpc"}')"
}
events() { # the Zenoss events, with the incident each is paired with
  zenoss query '{"limit": 100, "keys": ["evid", "device", "summary", "eventState", "details"], "params": {}}' |
    jq -r '.result.events[] | [.device.text, .summary, .eventState, (.details["pdbridge.incident_id"] // ["-"])[0]] | @tsv'
}

echo "== three events in Zenoss: two Linux servers, one Windows server"
for ev in 'web-01|Disk full on /var|/Server/Linux' 'web-02|Load above 20|/Server/Linux' 'dc-01|Replication failed|/Server/Windows'; do
  IFS='|' read -r device summary class <<<"$ev"
  zenoss add_event "$(jq -nc --arg d "$device" --arg s "$summary" --arg c "$class" \
    '{summary: $s, device: $d, component: "", severity: "Critical", evclasskey: "", evclass: "/Status", device_class: $c}')" >/dev/null
done
events

source "$root/scripts/lib/demo.sh"
demo_loop "; on Terraform 1.14, apply -invoke=action.pdbridge_sync_run.zenoss"

echo "== events and incidents side by side"
{
  printf 'DEVICE\tSUMMARY\tZENOSS\tINCIDENT\tPAGERDUTY\n'
  events | while IFS=$'\t' read -r device summary state inc; do
    status=-
    [[ "$inc" != - ]] && status=$(pd GET "/incidents/$inc" | jq -r '"#\(.incident.incident_number) \(.incident.status)"')
    printf '%s\t%s\t%s\t%s\t%s\n' "$device" "$summary" "$state" "$inc" "$status"
  done
} | column -t -s $'\t'
zenoss query '{"limit": 100, "keys": ["evid", "device", "eventState"], "params": {}}' | jq -r '.result.events[] | "\(.device.text): \(.eventState)"' | sort >"$work/states"
grep -q 'web-01: Acknowledged\|web-02: Acknowledged\|dc-01: Acknowledged' "$work/states" || { echo "demo: no event followed the acknowledgement" >&2; exit 1; }
grep -q 'Closed' "$work/states" || { echo "demo: no event followed the resolution" >&2; exit 1; }
echo "== the log of an acknowledged event"
ack=$(zenoss query '{"limit": 100, "keys": ["evid", "eventState"], "params": {}}' | jq -r '[.result.events[] | select(.eventState == "Acknowledged")][0].evid')
zenoss detail "$(jq -nc --arg e "$ack" '{evid: $e}')" | jq -r '.result.event[0].log[] | "  \(.[0]): \(.[2])"' | head -8

echo "== stopping the sandbox"
