#!/usr/bin/env bash
# A release dry run: goreleaser (pinned, run through the Go module proxy like
# golangci-lint) checks .goreleaser.yml, builds a snapshot of every target
# into dist/ without signing or publishing, and tools/releasecheck checks
# that every artifact the Terraform registry needs is there and named as it
# expects (zips, SHA256SUMS, manifest; the signature declared). With
# --config-only it only checks the configuration (what make check runs).
# The first run builds goreleaser and cross-compiles 13 targets: many
# minutes on two cores; later runs reuse the build cache.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # Go's default install location, only if go is not on PATH

goreleaser=(go run github.com/goreleaser/goreleaser/v2@v2.17.0) # v2.18 needs Go 1.27

"${goreleaser[@]}" check
[[ "${1:-}" == "--config-only" ]] && exit 0

# --snapshot never publishes; signing is skipped too, as no key is here.
# The version is <last tag, or 0.0.0>-SNAPSHOT-<short commit>.
"${goreleaser[@]}" release --snapshot --clean --skip=sign
go run ./tools/releasecheck -dist dist -config .goreleaser.yml -manifest terraform-registry-manifest.json
