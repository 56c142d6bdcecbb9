# Sourced by scripts that run Terraform against the sandbox (demo.sh,
# terraform-test.sh). Before sourcing, set: name (for messages), token, email.
# It builds the provider and the sandbox into a private $work folder, starts
# the sandbox on a free loopback port ($url, stopped on exit), writes a private
# CLI config with dev_overrides (never the user's own) and exports the
# provider's environment. Every wait is bounded.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # Go's default install location, only if go is not on PATH
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [[ -n "$sandbox_pid" ]]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in terraform curl jq timeout; do
  command -v "$tool" >/dev/null || { echo "$name: $tool is needed on PATH" >&2; exit 1; }
done

echo "== building the provider and the sandbox"
(cd "$root" && go build -o "$work/bin/terraform-provider-pdbridge" . && go build -o "$work/pdbridge-sandbox" ./internal/sandbox/cmd/pdbridge-sandbox)

echo "== starting the sandbox"
# As strict as PagerDuty (its rate limits, asynchronous events); $email is
# made a user of the account, since PagerDuty refuses a From naming no user.
"$work/pdbridge-sandbox" -listen 127.0.0.1:0 -token "$token" -user "pdbridge $name <$email>" >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
url=
for _ in $(seq 1 100); do # at most 10 s
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/sandbox.out" | head -1 || true)
  [[ -n "$url" ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "$name: the sandbox did not start" >&2; exit 1; }
echo "sandbox at $url"

pd() { # pd METHOD PATH [BODY]: a PagerDuty REST call to the sandbox
  curl -sS --fail-with-body --max-time 10 -X "$1" "$url$2" \
    -H "Authorization: Token token=$token" -H 'Accept: application/vnd.pagerduty+json;version=2' \
    -H 'Content-Type: application/json' -H "From: $email" ${3:+--data "$3"}
}

policy=$(pd GET /escalation_policies | jq -r '.escalation_policies[0].id')
service() { # service NAME: creates a service through the sandbox's API, prints its id
  pd POST /services "$(jq -nc --arg n "$1" --arg p "$policy" '{service: {name: $n, type: "service", escalation_policy: {id: $p, type: "escalation_policy_reference"}}}')" | jq -r .service.id
}

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
