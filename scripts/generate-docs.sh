#!/usr/bin/env bash
# Regenerates docs/ from templates/, examples/ and the provider schema with
# tfplugindocs, offline: it builds the provider and asks the terraform on PATH
# for the schema. With --check DIR it renders into DIR instead of docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=docs
if [[ "${1:-}" == "--check" ]]; then
  out=$2
fi
command -v terraform >/dev/null || { echo "generate-docs: terraform must be on PATH" >&2; exit 1; }
cfg=$(mktemp) # an empty CLI config: never the user's own
trap 'rm -f "$cfg"' EXIT
export TF_CLI_CONFIG_FILE=$cfg
if [[ "$out" == docs ]]; then
  terraform fmt -recursive examples/ >/dev/null
else
  terraform fmt -check -recursive examples/ || { echo "examples/ are not formatted: run make generate" >&2; exit 1; }
fi
go tool tfplugindocs generate --provider-name pdbridge --rendered-website-dir "$out" >/dev/null
