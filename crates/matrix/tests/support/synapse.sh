#!/usr/bin/env bash
# The Synapse homeserver the Matrix adapter's tests talk to, on loopback only.
#
#   synapse.sh install VENV
#       Installs matrix-synapse from PyPI into the virtualenv VENV once (cached; a lock keeps two
#       test binaries from installing at the same time). Exit 3: no usable Python.
#   synapse.sh run VENV DIR PORT SECRET WATCH_PID [raised-limits|default-limits]
#       Writes a config for server name `localhost` into DIR (SQLite database, no federation
#       listener, no trusted key servers, the registration shared secret, and raised rc_* rate
#       limits unless `default-limits` keeps Synapse's own),
#       starts Synapse on 127.0.0.1:PORT, and stops it (and removes DIR) as soon as the process
#       WATCH_PID (the test binary) is gone, so a crashed or killed test run leaves nothing behind.
set -euo pipefail

SYNAPSE_VERSION="${SYNAPSE_VERSION:-1.163.2}"

find_python() {
  for p in python3.13 python3.12 python3.11 python3.10 python3; do
    if command -v "$p" >/dev/null 2>&1 &&
      "$p" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

install() {
  local venv="$1"
  if [ -f "$venv/.installed-$SYNAPSE_VERSION" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [ -f "$venv/.installed-$SYNAPSE_VERSION" ]; then
    return 0
  fi
  local python
  if ! python="$(find_python)"; then
    echo "synapse.sh: no Python 3.10 or newer with the venv and ensurepip modules: the Matrix tests need one to install and run Synapse (apt-get install python3 python3-venv)" >&2
    exit 3
  fi
  rm -rf "$venv"
  echo "synapse.sh: installing matrix-synapse $SYNAPSE_VERSION into $venv (once)" >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION" >&2
  touch "$venv/.installed-$SYNAPSE_VERSION"
}

run() {
  local venv="$1" dir="$2" port="$3" secret="$4" watch="$5" limits="${6:-raised-limits}"
  mkdir -p "$dir"
  cd "$dir"
  "$venv/bin/python" -m synapse.app.homeserver --server-name localhost \
    --config-path "$dir/homeserver.yaml" --data-directory "$dir" \
    --generate-config --report-stats=no >/dev/null
  "$venv/bin/python" - "$dir" "$port" "$secret" "$limits" <<'EOF'
import sys, yaml
dir, port, secret, limits = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
path = f"{dir}/homeserver.yaml"
with open(path) as f:
    c = yaml.safe_load(f)
c["listeners"] = [{
    "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
    "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}],
}]
c["database"] = {"name": "sqlite3", "args": {"database": f"{dir}/homeserver.db"}}
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["registration_shared_secret"] = secret
c["enable_registration"] = False
c["report_stats"] = False
c["presence"] = {"enabled": False}
c["url_preview_enabled"] = False
c["federation_domain_whitelist"] = []
if limits == "raised-limits":
    fast = {"per_second": 10000, "burst_count": 10000}
    for key in ["rc_message", "rc_registration", "rc_admin_redaction", "rc_3pid_validation",
                "rc_key_requests", "rc_delayed_event_mgmt", "rc_reports", "rc_room_creation",
                "rc_user_directory", "rc_media_create", "rc_registration_token_validity",
                "rc_third_party_invite", "rc_profile", "rc_joins_per_room"]:
        c[key] = dict(fast)
    c["rc_login"] = {"address": dict(fast), "account": dict(fast), "failed_attempts": dict(fast)}
    c["rc_joins"] = {"local": dict(fast), "remote": dict(fast)}
    c["rc_presence"] = {"per_user": dict(fast)}
    c["rc_invites"] = {"per_room": dict(fast), "per_user": dict(fast), "per_issuer": dict(fast)}
else:
    for key in [k for k in c if k.startswith("rc_")]:
        del c[key]
with open(path, "w") as f:
    yaml.safe_dump(c, f)
with open(f"{dir}/localhost.log.config") as f:
    log = yaml.safe_load(f)
log.setdefault("root", {})["level"] = "WARNING"
with open(f"{dir}/localhost.log.config", "w") as f:
    yaml.safe_dump(log, f)
EOF
  "$venv/bin/python" -m synapse.app.homeserver --config-path "$dir/homeserver.yaml" \
    >"$dir/stdout.log" 2>&1 &
  local synapse=$!
  trap 'kill "$synapse" 2>/dev/null || true' TERM INT
  while kill -0 "$watch" 2>/dev/null && kill -0 "$synapse" 2>/dev/null; do
    sleep 0.5
  done
  if kill -0 "$synapse" 2>/dev/null; then
    kill "$synapse" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$synapse" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$synapse" 2>/dev/null || true
    wait "$synapse" 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
  else
    wait "$synapse" 2>/dev/null || true
    echo "synapse.sh: Synapse exited early; its log:" >&2
    tail -n 40 "$dir/stdout.log" "$dir/homeserver.log" >&2 2>/dev/null || true
    exit 1
  fi
}

case "${1:-}" in
  install) install "$2" ;;
  run) install "$2"; run "$2" "$3" "$4" "$5" "$6" "${7:-raised-limits}" ;;
  *) echo "usage: $0 install VENV | run VENV DIR PORT SECRET WATCH_PID [raised-limits|default-limits]" >&2; exit 2 ;;
esac
