#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, golangci-lint and
# goreleaser's config check (both pinned, fetched through the Go module
# proxy), docs freshness, then every unit,
# conformance and acceptance test (the real Terraform CLI against the
# sandboxes), the example terraform test and the demo. Needs only Go and the
# terraform CLI on this machine.
#
# Two Terraform versions: the one on PATH (1.11.4 here, the oldest we support)
# runs everything; Terraform 1.14.3, the first with actions, runs the provider's
# acceptance tests and the example terraform test again. scripts/terraform-1.14.sh
# builds it from its Go module on the first run (about 3 minutes) and caches it
# outside the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # Go's default install location, only if go is not on PATH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/terraformrc" # an empty CLI config: never the user's own, and no warning noise
export TF_CLI_CONFIG_FILE=$tmp/terraformrc
export CHECKPOINT_DISABLE=1 # no update checks from Terraform

if tf=$(command -v terraform); then
  export TF_ACC_TERRAFORM_PATH=$tf
  echo "== terraform: $("$tf" version | head -1)"
else
  echo "!! terraform CLI not found: acceptance tests will be SKIPPED" >&2
fi
tf14=$(scripts/terraform-1.14.sh)
echo "== terraform: $("$tf14" version | head -1) ($tf14)"

echo "== gofmt"
unformatted=$(gofmt -s -l . | grep -v '^vendor/' || true)
if [[ -n "$unformatted" ]]; then
  echo "gofmt -s would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== golangci-lint"
make --no-print-directory lint

echo "== goreleaser check (the release configuration; make release-check builds it)"
scripts/release-check.sh --config-only

echo "== docs are current"
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

echo "== tests"
export PDBRIDGE_SKIPPED_CHECKS=$tmp/skipped # tests note here what they could not check
set +e
# consoles.sh installs (when missing) and starts Icinga 2 and Alertmanager for the tests, and stops them.
TF_ACC=1 scripts/consoles.sh go test -count=1 -timeout 30m -cover ./... 2>&1 | tee "$tmp/test.log"
status=${PIPESTATUS[0]}
# Only the provider's tests run Terraform. State written by 1.14 is refused by
# 1.11, but every test has working directories of its own.
echo "== provider acceptance tests on $("$tf14" version | head -1)"
TF_ACC=1 TF_ACC_TERRAFORM_PATH=$tf14 scripts/consoles.sh go test -count=1 -timeout 30m -cover ./internal/provider/... 2>&1 | tee -a "$tmp/test.log"
[[ "${PIPESTATUS[0]}" == 0 ]] || status=1
set -e
# One "ok <pkg>" or "FAIL<tab><pkg>" line per package (a build failure too);
# a failing package also prints a bare FAIL and its tests' "--- FAIL" lines.
passed=$(grep -c '^ok ' "$tmp/test.log" || true)
failed=$(grep -E $'^FAIL\t' "$tmp/test.log" | cut -f2 | sort -u | grep -c . || true)
[[ "$status" == 0 || "$failed" != 0 ]] || failed=1 # a setup failure (e.g. go.mod) prints no package line
if [[ -s "$tmp/skipped" ]]; then
  echo "!! not checked:" >&2; sort -u "$tmp/skipped" | sed 's/^/!!   /' >&2
fi

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
suite "terraform test (examples/routing) on Terraform 1.14" env PATH="$(dirname "$tf14"):$PATH" scripts/terraform-test.sh
suite "make demo still works" scripts/demo.sh

echo "suites: $passed passed, $failed failed"
exit "$status"
