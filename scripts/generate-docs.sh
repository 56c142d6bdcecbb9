#!/usr/bin/env bash
# Regenerates docs/ from templates/, examples/ and the provider schema with
# tfplugindocs, offline. tfplugindocs builds the provider and reads its schema
# through `terraform providers schema -json` of the terraform on PATH; only
# Terraform 1.14 or later includes actions there, so the Terraform 1.14 of
# scripts/terraform-1.14.sh (built once, then cached) goes first on PATH. It
# also formats the examples. With --check DIR it renders into DIR instead of
# docs/ and only checks that the examples are formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # Go's default install location, only if go is not on PATH
out=docs
if [[ "${1:-}" == "--check" ]]; then
  out=$2
fi
tf=$(scripts/terraform-1.14.sh)
export PATH=$(dirname "$tf"):$PATH
cfg=$(mktemp) # an empty CLI config: never the user's own
trap 'rm -f "$cfg"' EXIT
export TF_CLI_CONFIG_FILE=$cfg CHECKPOINT_DISABLE=1
if [[ "$out" == docs ]]; then
  terraform fmt -recursive examples/ >/dev/null
else
  terraform fmt -check -recursive examples/ || { echo "examples/ are not formatted: run make generate" >&2; exit 1; }
fi
go tool tfplugindocs generate --provider-name pdbridge --rendered-website-dir "$out" >/dev/null
