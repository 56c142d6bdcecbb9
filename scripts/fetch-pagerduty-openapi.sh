#!/usr/bin/env bash
# Downloads PagerDuty's OpenAPI descriptions, which the sandbox's conformance
# test checks against, at the commit pinned in
# internal/sandbox/pagerduty/testdata/pagerduty-openapi.pin, and keeps them
# only if their sha256 matches the pin. They go to a cache outside the work
# tree, where the test finds them:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/pagerduty-openapi/<commit>/
# PagerDuty publishes them without a licence, so the repository carries none.
# Files already in the cache with the right hash are not downloaded again.
#
# PDBRIDGE_PAGERDUTY_OPENAPI_BASE_URL replaces the upstream base URL
# (https://raw.githubusercontent.com/<repository>/<commit>), e.g. for a mirror;
# each file is fetched from <base>/<path upstream>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pin=$root/internal/sandbox/pagerduty/testdata/pagerduty-openapi.pin

command -v curl >/dev/null || { echo "fetch-pagerduty-openapi: curl is needed on PATH" >&2; exit 1; }
if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  echo "fetch-pagerduty-openapi: sha256sum or shasum is needed on PATH" >&2; exit 1
fi

repository= commit= names=() paths=() sums=()
while read -r kind a b c; do
  case "$kind" in
    ''|'#'*) ;;
    repository) repository=$a ;;
    commit) commit=$a ;;
    file) names+=("$a") paths+=("$b") sums+=("$c") ;;
    *) echo "fetch-pagerduty-openapi: $pin: unknown line '$kind'" >&2; exit 1 ;;
  esac
done <"$pin"
[[ -n "$repository" && -n "$commit" && ${#names[@]} -gt 0 ]] || { echo "fetch-pagerduty-openapi: $pin names no repository, commit or file" >&2; exit 1; }

base=${PDBRIDGE_PAGERDUTY_OPENAPI_BASE_URL:-https://raw.githubusercontent.com/$repository/$commit}
[[ -n "${XDG_CACHE_HOME:-}${HOME:-}" ]] || { echo "fetch-pagerduty-openapi: neither XDG_CACHE_HOME nor HOME is set" >&2; exit 1; }
dest=${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/pagerduty-openapi/$commit
mkdir -p "$dest"

status=0
for i in "${!names[@]}"; do
  name=${names[$i]} want=${sums[$i]}
  if [[ -f "$dest/$name" && "$(sha256 "$dest/$name")" == "$want" ]]; then
    echo "$name: already in $dest"
    continue
  fi
  rm -f "$dest/$name" # a copy with another hash is never left behind
  part=$(mktemp "$dest/.$name.XXXXXX")
  if ! curl -sS --fail --location --max-time 300 --retry 3 -o "$part" "$base/${paths[$i]}"; then
    rm -f "$part"
    echo "fetch-pagerduty-openapi: could not download $base/${paths[$i]}" >&2
    status=1; continue
  fi
  got=$(sha256 "$part")
  if [[ "$got" != "$want" ]]; then
    rm -f "$part"
    echo "fetch-pagerduty-openapi: $base/${paths[$i]} has sha256 $got, the pin wants $want: not kept" >&2
    status=1; continue
  fi
  mv "$part" "$dest/$name" # whole and checked, or not there at all
  echo "$name: downloaded to $dest (sha256 $got)"
done
exit "$status"
