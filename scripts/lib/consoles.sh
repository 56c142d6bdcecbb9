# Sourced by scripts that need real event consoles (scripts/consoles.sh, the
# demo with DEMO_SOURCE=icinga2): installs Icinga 2 and Prometheus
# Alertmanager from Debian when they are missing, starts isolated instances
# on free loopback ports in a private directory (no systemd, no system
# directories, nothing shared with a system-wide instance), exports their
# connection settings and stops them by PID. Every probe has a timeout and
# every loop a bound, so a port taken by someone else fails fast.
# Recipes and pitfalls: the project's reference on event consoles (icinga2-bin
# 2.13.6 and prometheus-alertmanager 0.25.0 on Debian bookworm).
#
#   consoles_install PACKAGE...        install what is missing (one apt-get call)
#   consoles_start_icinga2 DIR         exports PDBRIDGE_ICINGA2_{URL,USER,PASSWORD,CACERT}
#   consoles_start_alertmanager DIR    exports PDBRIDGE_ALERTMANAGER_{URL,USER,PASSWORD}
#   consoles_stop                      stops every instance started here
#
# The caller sets its own traps and calls consoles_stop from them.

consoles_pids=()
consoles_names=()

consoles_now() { date +%s.%N; }
consoles_since() { awk -v a="$1" -v b="$(consoles_now)" 'BEGIN { printf "%.2f", b - a }'; }

# consoles_install PACKAGE...: Debian packages to install if missing. curl
# and openssl are added only when missing: naming installed packages makes
# apt upgrade them and their libraries (7 s became 30 s in the reference).
consoles_install() {
  local want=("$@") missing=() p
  command -v curl >/dev/null || want+=(curl)
  command -v openssl >/dev/null || want+=(openssl)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} == 0 ]] && return 0
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "!! consoles: ${missing[*]} missing, and installing needs root (or passwordless sudo)" >&2
      return 1
    fi
  fi
  command -v apt-get >/dev/null || { echo "!! consoles: ${missing[*]} missing, and there is no apt-get here" >&2; return 1; }
  local t0
  t0=$(consoles_now)
  if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]]; then
    "${sudo[@]}" apt-get update -qq || return 1
  fi
  # Post-install scripts may try to start the packaged services; without
  # systemd and with a policy-rc.d that denies starts they stay stopped, and
  # an isolated instance does not conflict with a system one anyway.
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "${missing[@]}" >"${TMPDIR:-/tmp}/consoles-apt.$$.log" 2>&1; then
    cat "${TMPDIR:-/tmp}/consoles-apt.$$.log" >&2
    rm -f "${TMPDIR:-/tmp}/consoles-apt.$$.log"
    echo "!! consoles: apt-get install ${missing[*]} failed" >&2
    return 1
  fi
  rm -f "${TMPDIR:-/tmp}/consoles-apt.$$.log"
  echo "consoles: installed ${missing[*]} in $(consoles_since "$t0") s"
}

# consoles_free_port: a loopback port nobody listens on right now. The
# daemon may still lose a race for it; its start then fails fast and the
# caller tries another port.
consoles_free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# consoles_alive PID: the process runs and is not a zombie (PID 1 may reap
# late; a zombie has stopped).
consoles_alive() {
  [[ -r /proc/$1/stat ]] || return 1
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# consoles_wait_ready NAME PID LOG PROBE...: runs PROBE (a command with its
# own timeout) every 100 ms until it succeeds, for at most 30 s in all, and
# fails at once when the daemon has exited (a port already taken, a bad
# config).
consoles_wait_ready() {
  local name=$1 pid=$2 log=$3 i deadline=$((SECONDS + 30))
  shift 3
  for i in $(seq 1 300); do
    ((SECONDS < deadline)) || break # each probe may take its whole timeout
    if ! consoles_alive "$pid"; then
      echo "!! consoles: $name exited before it was ready; its errors:" >&2
      { grep -i -E 'critical|error' "$log" || tail -5 "$log"; } | tail -5 >&2
      return 1
    fi
    "$@" && return 0
    sleep 0.1
  done
  echo "!! consoles: $name was not ready after 30 s; its log:" >&2
  tail -20 "$log" >&2
  return 1
}

consoles_track() { consoles_pids+=("$1"); consoles_names+=("$2"); }

# consoles_start_icinga2 DIR: an Icinga 2 whose whole state lives in DIR,
# with the ITL only (dummy and passive check commands), no checker and no
# notifications, the REST API on 127.0.0.1 over TLS with a self-signed
# certificate that is its own CA (SAN 127.0.0.1), and one API user.
consoles_start_icinga2() {
  local d=$1 t0 attempt port node=pdbridge-ci-icinga pass pid
  t0=$(consoles_now)
  command -v icinga2 >/dev/null || { echo "!! consoles: icinga2 is not installed" >&2; return 1; }
  rm -rf "$d"
  mkdir -p "$d"/etc "$d"/lib/certs "$d"/log "$d"/cache "$d"/spool "$d"/run
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$node" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$node" \
    -keyout "$d/lib/certs/$node.key" -out "$d/lib/certs/$node.crt" >/dev/null 2>&1 ||
    { echo "!! consoles: openssl could not make the Icinga 2 certificate" >&2; return 1; }
  cp "$d/lib/certs/$node.crt" "$d/lib/certs/ca.crt"
  pass=$(openssl rand -hex 16)
  for attempt in 1 2 3; do
    port=$(consoles_free_port) || { echo "!! consoles: no free loopback port" >&2; return 1; }
    cat >"$d/etc/icinga2.conf" <<CONF
include <itl>
const NodeName = "$node"
const ZoneName = "$node"
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = $port }
object ApiUser "pdbridge" { password = "$pass"; permissions = [ "*" ] }
CONF
    # ICINGA2_USER/GROUP: run as the caller, never switch to nagios.
    ICINGA2_USER=$(id -un) ICINGA2_GROUP=$(id -gn) nohup icinga2 daemon -c "$d/etc/icinga2.conf" \
      -DConfiguration.ConfigDir="$d/etc" -DConfiguration.DataDir="$d/lib" -DConfiguration.LogDir="$d/log" \
      -DConfiguration.CacheDir="$d/cache" -DConfiguration.SpoolDir="$d/spool" -DConfiguration.InitRunDir="$d/run" \
      -DConfiguration.PidPath="$d/run/icinga2.pid" -DConfiguration.StatePath="$d/lib/icinga2.state" \
      -DConfiguration.ModAttrPath="$d/lib/modified-attributes.conf" \
      -DConfiguration.ObjectsPath="$d/cache/icinga2.debug" -DConfiguration.VarsPath="$d/cache/icinga2.vars" \
      >"$d/log/icinga2.log" 2>&1 </dev/null &
    pid=$!
    if consoles_wait_ready icinga2 "$pid" "$d/log/icinga2.log" \
      curl -s -o /dev/null --max-time 1 -f --cacert "$d/lib/certs/ca.crt" -u "pdbridge:$pass" -H 'Accept: application/json' \
      "https://127.0.0.1:$port/v1/status/IcingaApplication"; then
      consoles_track "$pid" icinga2
      export PDBRIDGE_ICINGA2_URL=https://127.0.0.1:$port PDBRIDGE_ICINGA2_USER=pdbridge
      export PDBRIDGE_ICINGA2_PASSWORD=$pass PDBRIDGE_ICINGA2_CACERT=$d/lib/certs/ca.crt
      echo "consoles: icinga2 $(icinga2 --version 2>/dev/null | grep -o 'r[0-9][^)]*' | head -1) ready at $PDBRIDGE_ICINGA2_URL in $(consoles_since "$t0") s (pid $pid)"
      return 0
    fi
    consoles_kill icinga2 "$pid"
    echo "consoles: icinga2 did not start on port $port (attempt $attempt of 3)" >&2
  done
  return 1
}

# consoles_start_alertmanager DIR: an Alertmanager with one receiver that
# notifies nobody, its storage in DIR, the API on 127.0.0.1 behind Basic
# auth (a web config, as a real one is often deployed; this loopback test
# instance's password is fixed, since the web config takes only a bcrypt
# hash, made here with cost 4 so each request stays cheap), and no HA
# gossip (without --cluster.listen-address= it binds 0.0.0.0:9094 and waits
# about 5 s for the gossip to settle).
consoles_am_user=pdbridge
consoles_am_password=pdbridge-ci-alertmanager
consoles_start_alertmanager() {
  local d=$1 t0 attempt port pid bin
  t0=$(consoles_now)
  bin=$(command -v prometheus-alertmanager || command -v alertmanager) ||
    { echo "!! consoles: prometheus-alertmanager is not installed" >&2; return 1; }
  rm -rf "$d"
  mkdir -p "$d/data"
  cat >"$d/alertmanager.yml" <<CONF
route:
  receiver: "null"
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
CONF
  cat >"$d/web.yml" <<'CONF'
basic_auth_users:
  pdbridge: $2a$04$kP5rM5vDvAWQQir4OaExpObt/WJLYc6szuUWDUia1u7FqRkY32ZyW
CONF
  for attempt in 1 2 3; do
    port=$(consoles_free_port) || { echo "!! consoles: no free loopback port" >&2; return 1; }
    nohup "$bin" --config.file="$d/alertmanager.yml" --web.config.file="$d/web.yml" --storage.path="$d/data" \
      --web.listen-address="127.0.0.1:$port" --cluster.listen-address= >"$d/alertmanager.log" 2>&1 </dev/null &
    pid=$!
    if consoles_wait_ready alertmanager "$pid" "$d/alertmanager.log" \
      curl -s -o /dev/null --max-time 1 -f -u "$consoles_am_user:$consoles_am_password" "http://127.0.0.1:$port/-/ready"; then
      consoles_track "$pid" alertmanager
      export PDBRIDGE_ALERTMANAGER_URL=http://127.0.0.1:$port
      export PDBRIDGE_ALERTMANAGER_USER=$consoles_am_user PDBRIDGE_ALERTMANAGER_PASSWORD=$consoles_am_password
      echo "consoles: alertmanager $("$bin" --version 2>&1 | grep -o 'version [0-9.]*' | head -1) ready at $PDBRIDGE_ALERTMANAGER_URL in $(consoles_since "$t0") s (pid $pid)"
      return 0
    fi
    consoles_kill alertmanager "$pid"
    echo "consoles: alertmanager did not start on port $port (attempt $attempt of 3)" >&2
  done
  return 1
}

# consoles_tree PID: PID and its descendants, read from /proc (no ps: slim
# images lack procps). Icinga 2 runs as an umbrella process, a worker and a
# process-spawn helper, and a worker was seen to outlive its umbrella.
consoles_tree() {
  local -A kids=()
  local pid ppid todo=("$1") out=()
  while read -r pid ppid; do kids[$ppid]+=" $pid"; done < <(
    awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); p = FILENAME; gsub(/[^0-9]/, "", p); print p, f[2] }' /proc/[0-9]*/stat 2>/dev/null)
  while [[ ${#todo[@]} -gt 0 ]]; do
    pid=${todo[0]}
    todo=("${todo[@]:1}")
    out+=("$pid")
    for ppid in ${kids[$pid]:-}; do todo+=("$ppid"); done
  done
  echo "${out[@]}"
}

# consoles_kill NAME PID...: SIGTERM to each PID, up to 15 s for them and
# every process they had started to exit, then SIGKILL to those left. The
# process trees are read before any signal, while they are whole.
consoles_kill() {
  local name=$1 i p left tree=
  shift
  for p in "$@"; do tree+=" $(consoles_tree "$p")"; done
  kill -TERM "$@" 2>/dev/null || true
  for i in $(seq 1 150); do
    left=
    for p in $tree; do consoles_alive "$p" && left+=" $p"; done
    [[ -z "$left" ]] && break
    sleep 0.1
  done
  if [[ -n "$left" ]]; then
    echo "!! consoles: $name (pids$left) still running 15 s after SIGTERM: killing" >&2
    kill -KILL $left 2>/dev/null || true
  fi
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

consoles_stop() {
  local t0
  [[ ${#consoles_pids[@]} == 0 ]] && return 0
  t0=$(consoles_now)
  consoles_kill "${consoles_names[*]}" "${consoles_pids[@]}"
  echo "consoles: stopped ${consoles_names[*]} in $(consoles_since "$t0") s"
  consoles_pids=()
  consoles_names=()
}
