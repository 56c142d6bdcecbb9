#!/usr/bin/env bash
# Regenerates docs/ from templates/, examples/ and the provider schema with
# tfplugindocs, offline. The schema comes from tools/providerschema (the
# in-process provider's schema in `terraform providers schema -json` format),
# because Terraform before 1.14 leaves actions out of its own output and
# tfplugindocs would write no action pages. The terraform on PATH formats the
# examples. With --check DIR it renders into DIR instead of docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # Go's default install location, only if go is not on PATH
out=docs
if [[ "${1:-}" == "--check" ]]; then
  out=$2
fi
command -v terraform >/dev/null || { echo "generate-docs: terraform must be on PATH" >&2; exit 1; }
cfg=$(mktemp) # an empty CLI config: never the user's own
schema=$(mktemp)
trap 'rm -f "$cfg" "$schema"' EXIT
export TF_CLI_CONFIG_FILE=$cfg
if [[ "$out" == docs ]]; then
  terraform fmt -recursive examples/ >/dev/null
else
  terraform fmt -check -recursive examples/ || { echo "examples/ are not formatted: run make generate" >&2; exit 1; }
fi
# tfplugindocs looks the schema up under the hashicorp namespace, where its
# own build of the provider would put it.
go run ./tools/providerschema -address registry.terraform.io/hashicorp/pdbridge >"$schema"
go tool tfplugindocs generate --provider-name pdbridge --providers-schema "$schema" --rendered-website-dir "$out" >/dev/null
