#!/usr/bin/env bash
# The demo with Icinga 2 as its source (DEMO_SOURCE=icinga2 make demo): builds
# the provider and the PagerDuty sandbox, starts the sandbox and an isolated
# Icinga 2 (installed from Debian when missing, with root) on loopback ports,
# creates two services through the sandbox's PagerDuty API and three service
# problems in Icinga, applies examples/icinga2, then shows the sync's loop:
# the pending operations in terraform plan, a sync, an incident acknowledged
# and another resolved in PagerDuty, a second sync, problems and incidents
# side by side. It stops both.
set -euo pipefail
name=demo token=demo-token email=demo@example.com
source "$(dirname "$0")/lib/sandbox.sh"
source "$root/scripts/lib/consoles.sh"
trap 'consoles_stop; cleanup' EXIT

if ! command -v icinga2 >/dev/null; then
  consoles_install icinga2-bin || { echo "demo: Icinga 2 is not installed: apt-get install icinga2-bin (or run as root)" >&2; exit 1; }
fi
echo "== starting Icinga 2"
consoles_start_icinga2 "$work/icinga2"

icinga() { # icinga METHOD PATH [BODY]: an Icinga 2 REST call, as the API user
  curl -sS --fail-with-body --max-time 10 --cacert "$PDBRIDGE_ICINGA2_CACERT" -u "$PDBRIDGE_ICINGA2_USER:$PDBRIDGE_ICINGA2_PASSWORD" \
    -H 'Accept: application/json' -X "$1" "$PDBRIDGE_ICINGA2_URL$2" ${3:+--data "$3"}
}

echo "== creating services through the sandbox's PagerDuty API"
unix=$(service "Unix team")
windows=$(service "Windows team")
echo "Unix team: $unix, Windows team: $windows"

echo "== three hosts and services in Icinga 2: two Linux servers, one Windows server"
icinga PUT /v1/objects/hostgroups/windows-servers '{"attrs": {"display_name": "Windows servers"}}' >/dev/null
for h in 'web-01|' 'web-02|' 'dc-01|windows-servers'; do
  IFS='|' read -r host group <<<"$h"
  groups=$([[ -n "$group" ]] && echo "[\"$group\"]" || echo '[]')
  # Passive checks with max_check_attempts 1: the first CRITICAL is a HARD problem.
  icinga PUT "/v1/objects/hosts/$host" "{\"attrs\": {\"check_command\": \"dummy\", \"enable_active_checks\": false, \"max_check_attempts\": 1, \"groups\": $groups}}" >/dev/null
done
for p in web-01!disk web-02!load dc-01!replication; do
  icinga PUT "/v1/objects/services/$p" '{"attrs": {"check_command": "passive", "enable_active_checks": false, "max_check_attempts": 1}}' >/dev/null
done
problems() { # the Icinga services: state, acknowledgement, and the incident each is paired with
  icinga GET /v1/objects/services | jq -r '.results[] | [.name, ({"0": "OK", "1": "WARNING", "2": "CRITICAL", "3": "UNKNOWN"}[.attrs.state | tostring]),
    (if .attrs.acknowledgement > 0 then "acknowledged" else "-" end), (.attrs.vars.pdbridge.incident_id // "-")] | @tsv' | sort
}

cp -r "$root/examples/icinga2" "$work/icinga2-example"
cd "$work/icinga2-example"
vars=(-var "unix_service_id=$unix" -var "windows_service_id=$windows" -var "icinga_url=$PDBRIDGE_ICINGA2_URL"
  -var "icinga_username=$PDBRIDGE_ICINGA2_USER" -var "icinga_password=$PDBRIDGE_ICINGA2_PASSWORD" -var "icinga_ca_file=$PDBRIDGE_ICINGA2_CACERT")
echo "== terraform apply examples/icinga2"
if ! timeout 300 terraform apply -auto-approve -input=false -no-color "${vars[@]}" >"$work/apply.log" 2>&1; then
  cat "$work/apply.log" >&2
  echo "demo: terraform apply failed" >&2
  exit 1
fi
sed -n '/Terraform used the selected providers/,/Apply complete/p' "$work/apply.log"

echo "== three problems in Icinga 2 (CRITICAL check results)"
for p in 'web-01|disk|DISK CRITICAL - /var is 98% full' 'web-02|load|LOAD CRITICAL - load average 24.1' 'dc-01|replication|AD replication failed'; do
  IFS='|' read -r host svc output <<<"$p"
  icinga POST /v1/actions/process-check-result "$(jq -nc --arg s "$host!$svc" --arg o "$output" '{type: "Service", service: $s, exit_status: 2, plugin_output: $o}')" >/dev/null
done
problems

source "$root/scripts/lib/demo.sh"
demo_loop ""

echo "== problems and incidents side by side"
{
  printf 'SERVICE\tICINGA\tACK\tINCIDENT\tPAGERDUTY\n'
  problems | while IFS=$'\t' read -r svc state ack inc; do
    status=-
    [[ "$inc" != - ]] && status=$(pd GET "/incidents/$inc" | jq -r '"#\(.incident.incident_number) \(.incident.status)"')
    printf '%s\t%s\t%s\t%s\t%s\n' "$svc" "$state" "$ack" "$inc" "$status"
  done
} | column -t -s $'\t'
problems >"$work/states"
grep -q $'\tCRITICAL\tacknowledged\t' "$work/states" || { echo "demo: no problem followed the acknowledgement" >&2; exit 1; }
grep -q $'\tOK\t' "$work/states" || { echo "demo: no passive check followed the resolution" >&2; exit 1; }
echo "== the comments on the acknowledged problem"
acked=$(grep $'\tacknowledged\t' "$work/states" | head -1 | cut -f1)
host=${acked%%!*} svc=${acked#*!}
icinga GET /v1/objects/comments "$(jq -nc --arg h "$host" --arg s "$svc" '{filter: "comment.host_name == h && comment.service_name == s", filter_vars: {h: $h, s: $s}}')" |
  jq -r '.results | sort_by(.attrs.entry_time)[] | "  \(.attrs.author): \(.attrs.text)"' | head -8

echo "== stopping Icinga 2 and the sandbox"
