# Sourced by the demos (demo.sh, demo-icinga2.sh) after lib/sandbox.sh, from
# the example's working directory, with the terraform variables in vars: the
# sync's loop as both demos show it.

incidents() {
  pd GET "/incidents?date_range=all&sort_by=incident_number" | jq -r '.incidents[] | ["#\(.incident_number)", .id, .title, .status, .service.summary] | @tsv'
}
plan() {
  timeout 300 terraform plan -input=false -no-color "${vars[@]}" "$@" >"$work/plan.log" 2>&1 || { cat "$work/plan.log" >&2; echo "demo: plan failed" >&2; exit 1; }
}
sync() {
  timeout 300 terraform apply -auto-approve -input=false -no-color "${vars[@]}" -var run_sync=true >"$work/sync.log" 2>&1 ||
    { cat "$work/sync.log" >&2; echo "demo: the sync failed" >&2; exit 1; }
}

# demo_loop HINT: the pending operations in terraform plan, a sync (HINT says
# how else to run one) that opens three incidents, Jane acknowledging the
# first and resolving the second in PagerDuty, and a second sync.
demo_loop() {
  echo "== terraform plan shows what a sync would do"
  plan
  sed -n '/Changes to Outputs/,/^$/p' "$work/plan.log"

  echo "== a sync (terraform apply -var run_sync=true$1)"
  sync
  incidents
  [[ $(incidents | wc -l) == 3 ]] || { echo "demo: the sync did not open three incidents" >&2; exit 1; }

  echo "== in PagerDuty, Jane acknowledges the first incident and resolves the second"
  curl -sS --fail --max-time 10 -X POST "$url/_sandbox/users" -d '{"name": "Jane Doe", "email": "jane@example.com"}' >/dev/null
  local first second change id status
  first=$(incidents | sed -n 1p | cut -f2)
  second=$(incidents | sed -n 2p | cut -f2)
  for change in "$first acknowledged" "$second resolved"; do
    read -r id status <<<"$change"
    curl -sS --fail-with-body --max-time 10 -X PUT "$url/incidents/$id" -H "Authorization: Token token=$token" \
      -H 'Accept: application/vnd.pagerduty+json;version=2' -H 'Content-Type: application/json' -H 'From: jane@example.com' \
      --data "{\"incident\": {\"type\": \"incident_reference\", \"status\": \"$status\"}}" >/dev/null
  done

  echo "== the plan sees it, and a second sync follows PagerDuty"
  plan
  sed -n '/Changes to Outputs/,/^$/p' "$work/plan.log"
  sync
}
