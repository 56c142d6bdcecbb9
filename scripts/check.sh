#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, golangci-lint (pinned,
# fetched through the Go module proxy), docs freshness, then every unit,
# conformance and acceptance test (the real Terraform CLI against the
# sandboxes), the example terraform test and the demo. Needs only Go and the
# terraform CLI on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/terraformrc" # an empty CLI config: never the user's own, and no warning noise
export TF_CLI_CONFIG_FILE=$tmp/terraformrc

if tf=$(command -v terraform); then
  export TF_ACC_TERRAFORM_PATH=$tf
  echo "== terraform: $("$tf" version | head -1)"
else
  echo "!! terraform CLI not found: acceptance tests will be SKIPPED" >&2
fi

echo "== gofmt"
unformatted=$(gofmt -s -l . | grep -v '^vendor/' || true)
if [[ -n "$unformatted" ]]; then
  echo "gofmt -s would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== golangci-lint"
make --no-print-directory lint

echo "== docs are current"
if [[ -n "${tf:-}" ]]; then
  # tfplugindocs renders relative to the provider directory, so the fresh copy
  # goes to a git-ignored folder here, not to $tmp.
  rm -rf .docs-check
  scripts/generate-docs.sh --check .docs-check
  if ! diff -ru docs .docs-check; then
    rm -rf .docs-check
    echo "docs/ is stale: run 'make generate' and commit the result" >&2
    exit 1
  fi
  rm -rf .docs-check
else
  echo "skipped: needs terraform"
fi

echo "== tests"
set +e
# consoles.sh installs (when missing) and starts Icinga 2 and Alertmanager for the tests, and stops them.
TF_ACC=1 scripts/consoles.sh go test -count=1 -timeout 30m -cover ./... 2>&1 | tee "$tmp/test.log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -c '^ok ' "$tmp/test.log" || true)
failed=$(grep -c '^FAIL' "$tmp/test.log" || true)
[[ "$status" == 0 || "$failed" != 0 ]] || failed=1 # a build or setup failure prints no FAIL line per package

# The example's terraform test and the demo count as one suite each.
suite() {
  local name=$1; shift
  echo "== $name"
  if [[ -z "${tf:-}" ]]; then echo "skipped: needs terraform"; return; fi
  if "$@" >"$tmp/suite.log" 2>&1; then
    tail -3 "$tmp/suite.log"; passed=$((passed + 1))
  else
    cat "$tmp/suite.log"; echo "$name FAILED" >&2; failed=$((failed + 1)); status=1
  fi
}
suite "terraform test (examples/routing, against the sandbox)" scripts/terraform-test.sh
suite "make demo still works" scripts/demo.sh

echo "suites: $passed passed, $failed failed"
exit "$status"
