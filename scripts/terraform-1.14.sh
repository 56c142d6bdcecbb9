#!/usr/bin/env bash
# Prints the path of a Terraform 1.14 CLI, building it first if need be.
#
# Terraform 1.14 is the first release with actions (`action` blocks,
# `action_trigger`, `terraform apply -invoke`); the machine's terraform may be
# older. HashiCorp's release downloads need the internet, but Terraform's Go
# module is served by the module proxy, and it builds from there once its
# go.mod is trimmed: it names nested modules (the remote-state backends and
# internal/legacy) whose directories the module zip leaves out. pdbridge needs
# none of them (the local, http, inmem, remote and cloud backends stay).
#
# The binary is cached outside the work tree, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/terraform/VERSION/terraform, and
# reused while it answers `terraform version` with VERSION. A build takes about
# three minutes on two cores and needs only Go and the module proxy.
# Progress goes to stderr, the path to stdout.
set -euo pipefail
export PATH=/usr/local/go/bin:$PATH

version=1.14.3
module=github.com/hashicorp/terraform
cache=${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/terraform/$version
bin=$cache/terraform

fail() { echo "terraform-1.14: $*" >&2; exit 1; }

# reported: what the binary at $1 says its version is (no update check, no CLI config).
reported() {
  CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null timeout 60 "$1" version 2>&1
}

# works: the binary at $1 runs and says it is $version.
works() {
  [[ -x "$1" ]] || return 1
  local v
  v=$(reported "$1") || return 1
  [[ "${v%%$'\n'*}" == "Terraform v$version" ]]
}

if works "$bin"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || fail "go is needed (looked in /usr/local/go/bin and PATH)"
mkdir -p "$cache"
# Several checkouts on one machine may ask at once: one builds, the others wait.
exec 9>"$cache/.lock"
flock -w 900 9 || fail "timed out waiting for another build of Terraform $version ($cache/.lock)"
if works "$bin"; then
  echo "$bin"
  exit 0
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
echo "terraform-1.14: building Terraform v$version from its Go module (about 3 minutes on two cores; cached in $cache)" >&2

# Outside any module, so that this project's go.mod is not consulted or changed.
dir=$(cd "$work" && GOFLAGS= go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n "$dir" && -f "$dir/go.mod" ]] || fail "go mod download $module@v$version gave no source directory"
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"

# The nested modules the zip leaves out: their require and replace lines go.
nested='github\.com/hashicorp/terraform/internal/(backend/remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)|legacy)( |$)'
n=$(grep -cE "$nested" go.mod || true)
[[ "$n" == 20 ]] || fail "expected 10 require and 10 replace lines for nested modules in go.mod, found $n: is v$version's layout different?"
grep -vE "$nested" go.mod >go.mod.new && mv go.mod.new go.mod

# ...and the nine backends built from them: their imports and map entries.
init=internal/backend/init/init.go
backends='remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)"$|return backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\.New\(\)'
n=$(grep -cE "$backends" "$init" || true)
[[ "$n" == 18 ]] || fail "expected 9 imports and 9 map entries of remote-state backends in $init, found $n"
grep -vE "$backends" "$init" >init.go.new && mv init.go.new "$init"

GOFLAGS=-mod=mod go build -ldflags "-X $module/version.dev=no" -o "$work/terraform" . ||
  fail "go build of Terraform v$version failed (see above)"
works "$work/terraform" || fail "the built binary does not report Terraform v$version: $(reported "$work/terraform" || true)"
mv "$work/terraform" "$bin.new" && mv "$bin.new" "$bin"
echo "terraform-1.14: built $bin" >&2
echo "$bin"
