#!/bin/sh
# `generate`: write /data/homeserver.yaml (registration shared secret, signing key, SQLite in
# /data) unless it exists, listening on all interfaces and logging to stderr like the official
# image's. Otherwise run the homeserver, or the command given.
set -eu
config="${SYNAPSE_CONFIG_PATH:-/data/homeserver.yaml}"
case "${1:-run}" in
generate)
    if [ -f "$config" ]; then
        echo "$config exists; keeping it"
        exit 0
    fi
    python3 -m synapse.app.homeserver --generate-config \
        --server-name "${SYNAPSE_SERVER_NAME:?SYNAPSE_SERVER_NAME must be set}" \
        --report-stats "${SYNAPSE_REPORT_STATS:-no}" \
        --config-path "$config" --data-directory /data
    # Listen on all interfaces (other containers reach it), log to stderr only (docker logs), no
    # federation key server (a local homeserver).
    python3 - "$config" <<'PY'
import sys, yaml
path = sys.argv[1]
config = yaml.safe_load(open(path))
for listener in config["listeners"]:
    listener["bind_addresses"] = ["0.0.0.0"]
config["trusted_key_servers"] = []
yaml.safe_dump(config, open(path, "w"), sort_keys=False)
log = yaml.safe_load(open(config["log_config"]))
log["handlers"] = {"console": log["handlers"]["console"]}
log["root"]["handlers"] = ["console"]
yaml.safe_dump(log, open(config["log_config"], "w"), sort_keys=False)
PY
    ;;
run)
    exec python3 -m synapse.app.homeserver --config-path "$config"
    ;;
*)
    exec "$@"
    ;;
esac
