#!/usr/bin/env bash
# Runs a command with real event consoles beside it: installs Icinga 2 and
# Prometheus Alertmanager from Debian when missing, starts isolated
# instances on free loopback ports in a private temporary directory, exports
# PDBRIDGE_ICINGA2_URL, _USER, _PASSWORD and _CACERT and
# PDBRIDGE_ALERTMANAGER_URL, _USER and _PASSWORD to the command, and stops them by PID when it
# ends (or is interrupted). `make check` runs the tests this way:
#
#   scripts/consoles.sh go test ./internal/source/icinga2/...
#
# A console that cannot be installed or started is reported loudly and the
# command runs without its variables: its tests then skip, or fail when
# CI=true. Timings go to stderr.
set -euo pipefail
source "$(dirname "$0")/lib/consoles.sh"

[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/pdbridge-consoles.XXXXXX")
child=
cleanup() {
  # A signal to this script alone must still stop the command, then the consoles.
  if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  consoles_stop >&2
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(consoles_now)
broken=0
consoles_install icinga2-bin prometheus-alertmanager >&2 || broken=1
consoles_start_icinga2 "$dir/icinga2" >&2 || broken=1
consoles_start_alertmanager "$dir/alertmanager" >&2 || broken=1
echo "consoles: ready in $(consoles_since "$t0") s in all" >&2
if [[ $broken == 1 ]]; then
  echo "!! consoles: not every console is running: tests that need one skip (and fail under CI=true)" >&2
fi

# In the background, so that a signal to this script is handled at once
# (bash runs traps only between foreground commands), not after the command.
"$@" &
child=$!
status=0
wait "$child" || status=$?
child=
if [[ $broken == 1 && ${CI:-} == true && $status == 0 ]]; then status=1; fi
exit "$status"
