#!/usr/bin/env bash
# Runs the deployment files for real (see deploy/README.md, "deploy/check.sh"):
#
#   deploy/check.sh [--reuse-image] [STEP ...]      as root, from anywhere in the repository
#
# STEP is any of setup, base-images, build, run, compose, k8s; the default is all of them, in that
# order. --reuse-image skips `docker build` when the image `ambassador-bot` was already built from
# the same sources (a label holds their hash); without it the build runs as a user's does (Docker's
# layer cache applies, as it does for them). Each step prints its time; the image size comes last.
# Nothing is sent anywhere but the package registries and this machine's own addresses.
set -euo pipefail

SELF="$(readlink -f "$0")"
cd "$(dirname "$SELF")/.."
WORK="${CHECK_WORKDIR:-/tmp/ambassador-bot-check}"
mkdir -p "$WORK"

IMAGE=ambassador-bot
DEBIAN_SUITE=trixie
DEBIAN_IMAGE=debian:trixie-slim
RUST_IMAGE=rust:1.95-slim-trixie
RUST_TOOLCHAIN=1.95.0-x86_64-unknown-linux-gnu
POSTGRES_IMAGE=postgres:17
SYNAPSE_IMAGE=matrixdotorg/synapse:v1.163.2
COMPOSE_FILE=deploy/docker-compose.yml
COMPOSE_PROJECT=ambassador-bot
PYTHON="$(command -v python3)"

REUSE=0
STEPS=()
for arg in "$@"; do
    case "$arg" in
    --reuse-image) REUSE=1 ;;
    setup | base-images | build | run | compose | k8s) STEPS+=("$arg") ;;
    -h | --help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "unknown argument: $arg (see --help)" >&2
        exit 2
        ;;
    esac
done
[ ${#STEPS[@]} -gt 0 ] || STEPS=(setup base-images build run compose k8s)

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { # ends the step (each step runs in a subshell)
    log "FAIL: $*"
    exit 1
}
low() { nice -n 10 "$@"; }

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >"$WORK/apt.log" 2>&1
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1
}

# Long runs spawn many processes and PID 1 here may not reap them: run under tini as a subreaper.
if [ -z "${CHECK_UNDER_TINI:-}" ]; then
    if ! command -v tini >/dev/null 2>&1; then
        apt_install tini
    fi
    export CHECK_UNDER_TINI=1
    exec tini -s -g -- "$SELF" "$@"
fi

# ---------------------------------------------------------------------------------------------
# setup: docker (docker.io unless a docker is present), dockerd, docker-compose, debootstrap.

step_setup() {
    local need=()
    command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
    command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
    command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
    command -v curl >/dev/null 2>&1 || need+=(curl)
    command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
    if [ ${#need[@]} -gt 0 ]; then
        apt_install "${need[@]}"
    else
        log "docker, dockerd, docker-compose, debootstrap, curl and python3 are installed"
    fi
    PYTHON="$(command -v python3)"
    if ! docker info >/dev/null 2>&1; then
        log "starting dockerd in the background (log: $WORK/dockerd.log)"
        setsid tini -s -- dockerd >"$WORK/dockerd.log" 2>&1 </dev/null &
        for _ in $(seq 1 60); do
            docker info >/dev/null 2>&1 && break
            sleep 1
        done
    fi
    docker info >/dev/null 2>&1 || fail "dockerd does not answer (see $WORK/dockerd.log)"
    log "docker $(docker version -f '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null | head -n 1 | sed 's/^/docker-compose /')"
}

# ---------------------------------------------------------------------------------------------
# base-images: pull each base image; if that fails, make it here.

# The Debian mirror apt already uses (the first one-line `deb` entry or deb822 `URIs:` on /debian).
debian_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
             /^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f"
    done | grep -E '/debian/?$' | head -n 1
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

pulled() {
    log "docker pull $1"
    timeout 60 docker pull -q "$1" >>"$WORK/pull.log" 2>&1
}

make_debian() {
    local mirror dir
    mirror="$(debian_mirror)"
    [ -n "$mirror" ] || fail "no Debian mirror in apt's sources"
    dir="$WORK/rootfs-$DEBIAN_SUITE"
    rm -rf "$dir"
    log "debootstrap --variant=minbase $DEBIAN_SUITE $dir $mirror"
    low debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap (see $WORK/debootstrap.log)"
    # Slim as the official image is: no docs, man pages or translations, and apt keeps no caches.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
        "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
    cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    # A network that intercepts TLS has its own CA: the certificates this machine trusts beyond
    # Debian's own go where Debian's ca-certificates (installed by the images made from this one)
    # adds them to the bundle.
    local cert n=0
    mkdir -p "$dir/usr/local/share/ca-certificates"
    for cert in /usr/local/share/ca-certificates/*.crt /etc/ssl/certs/*.pem; do
        [ -f "$cert" ] && [ ! -L "$cert" ] || continue
        case "$cert" in *snakeoil*) continue ;; esac
        grep -q 'BEGIN CERTIFICATE' "$cert" || continue
        n=$((n + 1))
        cp "$cert" "$dir/usr/local/share/ca-certificates/machine-$n.crt"
    done
    [ "$n" = 0 ] || log "the image trusts $n extra CA certificate(s) of this machine"
    log "tar -C $dir -c . | docker import - $DEBIAN_IMAGE"
    tar -C "$dir" -c . | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$dir"
}

make_rust() {
    local toolchain="" ctx
    if [ -d "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$RUST_TOOLCHAIN" ]; then
        toolchain="$(readlink -f "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$RUST_TOOLCHAIN")"
    fi
    [ -n "$toolchain" ] && [ -x "$toolchain/bin/cargo" ] ||
        fail "no Rust toolchain $RUST_TOOLCHAIN on this machine (rustup) to make $RUST_IMAGE from; Debian's rustc is older than the workspace's rust-version"
    ctx="$WORK/rust-context"
    rm -rf "$ctx"
    mkdir -p "$ctx/toolchain"
    cp deploy/base-images/rust/Dockerfile "$ctx/"
    cp -al "$toolchain/bin" "$toolchain/lib" "$ctx/toolchain/" 2>/dev/null ||
        cp -a "$toolchain/bin" "$toolchain/lib" "$ctx/toolchain/"
    log "docker build -t $RUST_IMAGE deploy/base-images/rust (+ the toolchain $RUST_TOOLCHAIN)"
    low docker build --cpu-shares 256 --build-arg "RUST_TOOLCHAIN=$RUST_TOOLCHAIN" \
        -t "$RUST_IMAGE" "$ctx" >"$WORK/build-rust.log" 2>&1 || fail "see $WORK/build-rust.log"
    rm -rf "$ctx"
}

make_from_dir() { # image dir
    log "docker build -t $1 deploy/base-images/$2"
    low docker build --cpu-shares 256 -t "$1" "deploy/base-images/$2" >"$WORK/build-$2.log" 2>&1 ||
        fail "see $WORK/build-$2.log"
}

step_base_images() {
    local image
    for image in "$DEBIAN_IMAGE" "$RUST_IMAGE" "$POSTGRES_IMAGE" "$SYNAPSE_IMAGE"; do
        if have_image "$image"; then
            log "$image: present"
            continue
        fi
        if pulled "$image"; then
            log "$image: pulled"
            continue
        fi
        log "$image: cannot be pulled; making it here"
        case "$image" in
        "$DEBIAN_IMAGE") make_debian ;;
        "$RUST_IMAGE") make_rust ;;
        "$POSTGRES_IMAGE") make_from_dir "$image" postgres ;;
        "$SYNAPSE_IMAGE") make_from_dir "$image" synapse ;;
        esac
    done
}

# ---------------------------------------------------------------------------------------------
# build: docker build -f deploy/Dockerfile -t ambassador-bot .

sources_hash() {
    find Cargo.toml Cargo.lock .dockerignore crates migrations tests deploy/Dockerfile deploy/docker \
        -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

step_build() {
    local hash
    hash="$(sources_hash)"
    if [ "$REUSE" = 1 ] &&
        [ "$(docker image inspect -f '{{index .Config.Labels "ambassador-bot.sources"}}' "$IMAGE" 2>/dev/null)" = "$hash" ]; then
        log "--reuse-image: $IMAGE was built from these sources ($hash); not building"
        return 0
    fi
    log "docker build -f deploy/Dockerfile -t $IMAGE . (log: $WORK/build.log)"
    low docker build --cpu-shares 256 --label "ambassador-bot.sources=$hash" \
        -f deploy/Dockerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 || {
        tail -n 30 "$WORK/build.log"
        fail "docker build"
    }
    log "built $IMAGE: $(image_size)"
}

image_size() {
    docker image inspect -f '{{.Size}}' "$IMAGE" 2>/dev/null | awk '{ printf "%.1f MB", $1 / 1000000 }'
}

# ---------------------------------------------------------------------------------------------
# run: the image alone, as the README's Docker section runs it, with Slack on against a fake
# Slack Web API served on the docker bridge's host address.

RUN_NAME=ambassador-bot-check
RUN_VOLUME=ambassador-bot-check
FAKE_PID=""

start_fake_slack() { # address port
    "$PYTHON" - "$1" "$2" >"$WORK/fake-slack.log" 2>&1 <<'EOF' &
import http.server, json, sys, urllib.parse

# Answers in the shapes Slack documents (the bot reads them with slack-morphism's strict models);
# the read methods come as GET with a query, the writes as POST with JSON.
class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer("")

    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("content-length") or 0)).decode())

    def answer(self, body):
        url = urllib.parse.urlsplit(self.path)
        method = url.path.rsplit("/", 1)[-1]
        try:
            args = json.loads(body) if body.startswith("{") else dict(urllib.parse.parse_qsl(body or url.query))
        except ValueError:
            args = {}
        ts = "1700000000.000100"
        if method == "auth.test":
            out = {"ok": True, "url": "https://example.slack.com/", "team": "Example",
                   "user": "ambassador-bot", "team_id": "T0001", "user_id": "UBOT", "bot_id": "B0001"}
        elif method == "users.info":
            uid = args.get("user", "U0")
            out = {"ok": True, "user": {"id": uid, "team_id": "T0001", "name": uid.lower(),
                                        "real_name": "Person " + uid, "tz": "UTC", "is_bot": False,
                                        "profile": {"display_name": "Person " + uid,
                                                    "real_name": "Person " + uid}}}
        elif method == "chat.postMessage":
            channel = args.get("channel", "C0GENERAL")
            out = {"ok": True, "channel": channel, "ts": ts,
                   "message": {"type": "message", "user": "UBOT", "bot_id": "B0001", "ts": ts,
                               "text": args.get("text", "")}}
        elif method == "chat.postEphemeral":
            out = {"ok": True, "message_ts": ts}
        elif method in ("views.open", "views.publish"):
            view = dict(args.get("view") or {})
            view.update({"id": "V0001", "team_id": "T0001", "hash": ts, "state": {"values": {}}})
            out = {"ok": True, "view": view}
        else:
            out = {"ok": True}
        print("fake Slack:", method, flush=True)
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass

http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Api).serve_forever()
EOF
    FAKE_PID=$!
    # Listening before the bot starts: it asks auth.test once, at start-up.
    local _
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    fail "the fake Slack Web API did not start on $1:$2"
}

stop_fake_slack() {
    if [ -n "$FAKE_PID" ]; then
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=""
    fi
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A slash command signed as Slack signs it; prints the answer's body, fails unless 200.
slash() { # port secret user command text response-url
    "$PYTHON" - "$@" <<'EOF'
import hashlib, hmac, sys, time, urllib.parse, urllib.request
port, secret, user, command, text, response_url = sys.argv[1:7]
body = urllib.parse.urlencode({
    "team_id": "T0001", "channel_id": "C0GENERAL", "channel_name": "general", "user_id": user,
    "user_name": user.lower(), "command": command, "text": text,
    "response_url": response_url, "trigger_id": "1.2.3", "api_app_id": "A1"})
ts = str(int(time.time()))
sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/commands", data=body.encode(), headers={
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": ts, "x-slack-signature": sig})
with urllib.request.urlopen(req, timeout=10) as r:
    assert r.status == 200, r.status
    print(r.read().decode())
EOF
}

wait_http_200() { # url seconds
    local i
    for i in $(seq 1 "$2"); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 1
    done
    return 1
}

run_container() { # host-port api secret
    docker run -d --name "$RUN_NAME" -p "127.0.0.1:$1:8080" \
        -v "$RUN_VOLUME:/var/lib/ambassador-bot" \
        -e AMBASSADOR_BOT__SLACK__ENABLED=true \
        -e AMBASSADOR_BOT__SLACK__BOT_TOKEN=xoxb-check-token \
        -e AMBASSADOR_BOT__SLACK__SIGNING_SECRET="$3" \
        -e AMBASSADOR_BOT__SLACK__API_BASE_URL="$2" \
        "$IMAGE" >/dev/null
}

run_cleanup() {
    docker rm -f "$RUN_NAME" >/dev/null 2>&1 || true
    docker volume rm "$RUN_VOLUME" >/dev/null 2>&1 || true
    stop_fake_slack
}

step_run() {
    trap run_cleanup EXIT
    run_cleanup
    local gateway api_port port secret api status t0 answer
    gateway="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')"
    # The default bridge often names no gateway: it is docker0's address.
    [ -n "$gateway" ] || gateway="$(ip -4 -o addr show docker0 | awk '{ sub("/.*", "", $4); print $4; exit }')"
    [ -n "$gateway" ] || fail "no address of the Docker bridge on this host"
    api_port="$(free_port)"
    port="$(free_port)"
    secret="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    start_fake_slack "$gateway" "$api_port"
    api="http://$gateway:$api_port/api"
    log "fake Slack Web API on $api"
    log "docker run -d -p 127.0.0.1:$port:8080 -v $RUN_VOLUME:/var/lib/ambassador-bot -e AMBASSADOR_BOT__SLACK__... $IMAGE"
    run_container "$port" "$api" "$secret"

    # Not root: the configured user, and the bot's process as seen inside.
    local user uid
    user="$(docker inspect -f '{{.Config.User}}' "$RUN_NAME")"
    uid="$(docker exec "$RUN_NAME" awk '/^Uid:/ { print $2 }' /proc/1/status)"
    [ "$uid" != 0 ] || fail "the bot runs as root"
    log "PASS non-root: USER $user, the bot's process runs as uid $uid"

    # Healthy through the image's own HEALTHCHECK (first probe after its 30 s interval).
    for _ in $(seq 1 90); do
        status="$(docker inspect -f '{{.State.Health.Status}}' "$RUN_NAME")"
        [ "$status" = healthy ] || [ "$status" = unhealthy ] && break
        [ "$(docker inspect -f '{{.State.Running}}' "$RUN_NAME")" = true ] || break
        sleep 1
    done
    [ "$status" = healthy ] || {
        docker logs "$RUN_NAME" 2>&1 | tail -n 20
        fail "the HEALTHCHECK says $status"
    }
    log "PASS the HEALTHCHECK says healthy"
    grep -q 'fake Slack: auth.test' "$WORK/fake-slack.log" || fail "the bot never called auth.test"
    log "PASS the bot asked the fake Slack Web API (auth.test)"

    # A signed /kudos over the published port.
    answer="$(slash "$port" "$secret" U0ADA /kudos '<@U0BOB|bob> for the great workshop' "$api/response")" ||
        fail "/kudos was not answered with 200"
    case "$answer" in
    *in_channel*"great workshop"* | *"great workshop"*in_channel*) ;;
    *) fail "/kudos answered: $answer" ;;
    esac
    log "PASS signed /kudos answered: $answer"
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'x-slack-request-timestamp: 1' \
        -H 'x-slack-signature: v0=00' --data 'command=/kudos' "http://127.0.0.1:$port/slack/commands")" = 401 ] ||
        fail "a wrongly signed request was not refused with 401"
    log "PASS a wrongly signed request is refused (401)"

    # SIGTERM: exit 0 within 10 s.
    t0="$(date +%s.%N)"
    docker kill -s TERM "$RUN_NAME" >/dev/null
    status="$(timeout 10 docker wait "$RUN_NAME")" || fail "still running 10 s after SIGTERM"
    [ "$status" = 0 ] || fail "exit status $status after SIGTERM"
    log "PASS SIGTERM: exit 0 after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

    # The state is on the volume: a new container with it still has the kudos.
    docker run --rm -v "$RUN_VOLUME:/state" --entrypoint ls "$IMAGE" -l /state | sed 's/^/    /'
    docker rm "$RUN_NAME" >/dev/null
    log "a new container on the same volume"
    run_container "$port" "$api" "$secret"
    wait_http_200 "http://127.0.0.1:$port/readyz" 60 || {
        docker logs "$RUN_NAME" 2>&1 | tail -n 20
        fail "the new container never became ready"
    }
    answer="$(slash "$port" "$secret" U0BOB /kudos mine "$api/response")" || fail "/kudos mine was not answered"
    case "$answer" in
    *"great workshop"*) ;;
    *) fail "after the restart, /kudos mine for bob answered: $answer" ;;
    esac
    log "PASS the SQLite state survived the restart: /kudos mine answered $answer"
    docker kill -s TERM "$RUN_NAME" >/dev/null
    status="$(timeout 10 docker wait "$RUN_NAME")" || fail "still running 10 s after SIGTERM"
    [ "$status" = 0 ] || fail "exit status $status after SIGTERM"
    run_cleanup
}

# ---------------------------------------------------------------------------------------------
# compose: the README's Docker Compose section, then a Matrix user talks to the bot.

dc() { docker-compose -f "$COMPOSE_FILE" "$@"; }

compose_cleanup() {
    dc down -v --remove-orphans >>"$WORK/compose.log" 2>&1 || true
}

# Matrix client-server API on the published port.
mx() { # method path [json] (uses $MX_TOKEN)
    curl -sS -X "$1" -H "Authorization: Bearer ${MX_TOKEN:-}" -H 'content-type: application/json' \
        ${3:+--data "$3"} "http://127.0.0.1:8008/_matrix/client/v3$2"
}

json_get() { "$PYTHON" -c "import json, sys; print(json.load(sys.stdin)$1)"; }

step_compose() {
    trap 'dc logs --no-color >"$WORK/compose-services.log" 2>&1 || true; compose_cleanup' EXIT
    compose_cleanup
    export BOT_MATRIX_PASSWORD POSTGRES_PASSWORD
    BOT_MATRIX_PASSWORD="bot-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    POSTGRES_PASSWORD="pg-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    local admin_password status room txn since reply
    admin_password="admin-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

    log "docker-compose -f $COMPOSE_FILE up -d synapse postgres"
    dc up -d synapse postgres >>"$WORK/compose.log" 2>&1 || {
        tail -n 20 "$WORK/compose.log"
        fail "up synapse postgres"
    }
    for _ in $(seq 1 120); do
        status="$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q synapse)" 2>/dev/null || true)"
        [ "$status" = healthy ] && break
        sleep 1
    done
    [ "$status" = healthy ] || fail "synapse is $status"
    log "synapse is healthy"
    log "register_new_matrix_user: ambassador-bot (BOT_MATRIX_PASSWORD) and admin"
    dc exec -T synapse register_new_matrix_user -c /data/homeserver.yaml \
        -u ambassador-bot -p "$BOT_MATRIX_PASSWORD" --no-admin http://localhost:8008 >>"$WORK/compose.log" 2>&1 ||
        fail "registering ambassador-bot"
    dc exec -T synapse register_new_matrix_user -c /data/homeserver.yaml \
        -u admin -p "$admin_password" --admin http://localhost:8008 >>"$WORK/compose.log" 2>&1 ||
        fail "registering admin"
    log "docker-compose -f $COMPOSE_FILE up -d --build bot"
    nice -n 10 docker-compose -f "$COMPOSE_FILE" up -d --build bot >>"$WORK/compose.log" 2>&1 || {
        tail -n 20 "$WORK/compose.log"
        fail "up bot"
    }
    wait_http_200 http://127.0.0.1:8080/readyz 120 || {
        dc logs --tail 30 bot
        fail "the bot never became ready"
    }
    log "PASS the bot is ready (/readyz 200: the database answers, the first Matrix sync is done)"

    MX_TOKEN="$(mx POST /login "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"admin\"},\"password\":\"$admin_password\"}" | json_get '["access_token"]')"
    room="$(mx POST /createRoom '{"preset":"private_chat","name":"ambassadors","invite":["@ambassador-bot:localhost"]}' | json_get '["room_id"]')"
    log "admin made room $room and invited @ambassador-bot:localhost"
    for _ in $(seq 1 60); do
        mx GET "/rooms/$room/joined_members" | grep -q '@ambassador-bot:localhost' && break
        sleep 1
    done
    mx GET "/rooms/$room/joined_members" | grep -q '@ambassador-bot:localhost' || {
        dc logs --tail 30 bot
        fail "the bot did not join"
    }
    log "PASS the bot joined the room"
    txn="check-$(date +%s)"
    mx PUT "/rooms/$room/send/m.room.message/$txn" '{"msgtype":"m.text","body":"!ambassadors coverage"}' >/dev/null
    log "admin wrote: !ambassadors coverage"
    reply=""
    for _ in $(seq 1 60); do
        reply="$(mx GET "/rooms/$room/messages?dir=b&limit=20" | "$PYTHON" -c '
import json, sys
for e in json.load(sys.stdin).get("chunk", []):
    if e.get("sender") == "@ambassador-bot:localhost" and e.get("type") == "m.room.message":
        print(e["content"].get("body", "")); break')"
        [ -n "$reply" ] && break
        sleep 1
    done
    [ -n "$reply" ] || {
        dc logs --tail 30 bot
        fail "no answer from the bot in the room"
    }
    log "PASS the bot answered in the room:"
    printf '%s\n' "$reply" | sed 's/^/    | /'
    # The office's figures are private: asked in a shared room, they go to a direct room with the
    # asker, which the bot creates encrypted (a real client decrypts it; curl cannot). Asked in a
    # direct room, they are answered there: admin opens an unencrypted one and asks again.
    local dm coverage=""
    dm="$(mx POST /createRoom '{"preset":"trusted_private_chat","is_direct":true,"invite":["@ambassador-bot:localhost"]}' | json_get '["room_id"]')"
    for _ in $(seq 1 60); do
        mx GET "/rooms/$dm/joined_members" | grep -q '@ambassador-bot:localhost' && break
        sleep 1
    done
    dm_say() { # text word: admin writes text in the direct room; waits for a reply with word
        local body reply=""
        body="$("$PYTHON" -c 'import json, sys; print(json.dumps({"msgtype": "m.text", "body": sys.argv[1]}))' "$1")"
        mx PUT "/rooms/$dm/send/m.room.message/$txn-$RANDOM" "$body" >/dev/null
        for _ in $(seq 1 60); do
            reply="$(mx GET "/rooms/$dm/messages?dir=b&limit=5" | "$PYTHON" -c '
import json, sys
for e in json.load(sys.stdin).get("chunk", []):
    if e.get("type") != "m.room.message":
        continue
    if e.get("sender") != "@ambassador-bot:localhost":
        break
    body = e["content"].get("body", "")
    if sys.argv[1] in body:
        print(body)
        break' "$2")"
            [ -n "$reply" ] && break
            sleep 1
        done
        printf '%s' "$reply"
    }
    log "admin writes in a direct room $dm: !ambassadors dept add Engineering EMEA 40"
    coverage="$(dm_say '!ambassadors dept add Engineering EMEA 40' Engineering)"
    [ -n "$coverage" ] || fail "no answer to dept add"
    printf '%s\n' "$coverage" | sed 's/^/    | /'
    log "admin writes: !ambassadors coverage"
    coverage="$(dm_say '!ambassadors coverage' Engineering)"
    case "$coverage" in
    *overage*Engineering*) ;;
    *) fail "no coverage report with the new department: ${coverage:-nothing}" ;;
    esac
    log "PASS the bot answered with the coverage report:"
    printf '%s\n' "$coverage" | sed 's/^/    | /'

    # Its data is in PostgreSQL.
    local tables rows
    tables="$(dc exec -T postgres psql -U ambassador -d ambassadors -Atc \
        "select count(*) from information_schema.tables where table_schema = 'public'")"
    rows="$(dc exec -T postgres psql -U ambassador -d ambassadors -Atc \
        "select count(*) from _sqlx_migrations where success")"
    [ "${tables:-0}" -gt 1 ] && [ "${rows:-0}" -gt 0 ] || fail "PostgreSQL has $tables tables, $rows migrations"
    log "PASS PostgreSQL holds the bot's schema: $tables tables, $rows migrations applied"
    [ "$(dc exec -T postgres psql -U ambassador -d ambassadors -Atc \
        "select count(*) from departments where name = 'Engineering'")" = 1 ] ||
        fail "the department added over Matrix is not in PostgreSQL"
    log "PASS the department added over Matrix is a row of PostgreSQL's departments table"
    dc exec -T postgres psql -U ambassador -d ambassadors -Atc \
        "select relname || ': ' || n_live_tup from pg_stat_user_tables where n_live_tup > 0 order by relname" |
        sed 's/^/    /'

    log "docker-compose -f $COMPOSE_FILE down -v"
    dc down -v >>"$WORK/compose.log" 2>&1 || fail "down -v"
    local left
    left="$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")$(docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")"
    [ -z "$left" ] || fail "left after down -v: $left"
    log "PASS down -v left no container, volume or network"
}

# ---------------------------------------------------------------------------------------------
# k8s: every object in deploy/k8s against the Kubernetes API's OpenAPI schemas, offline.

K8S_VERSION=1.37

step_k8s() {
    local venv="$WORK/k8s-venv" f
    if [ ! -x "$venv/bin/kubernetes-validate" ]; then
        log "pip install kubernetes-validate==1.37.0 (it bundles the API schemas) in $venv"
        "$PYTHON" -m venv "$venv" >/dev/null
        "$venv/bin/pip" install -q "kubernetes-validate==1.37.0" >"$WORK/pip.log" 2>&1 || fail "see $WORK/pip.log"
    fi
    local files=()
    for f in deploy/k8s/*.yaml; do
        [ "$(basename "$f")" = kustomization.yaml ] || files+=("$f")
    done
    log "kubernetes-validate --strict -k $K8S_VERSION ${files[*]}"
    "$venv/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "${files[@]}" || fail "a manifest does not match the schema"
    # kustomization.yaml is no API object: its resources must be exactly the other files.
    "$PYTHON" - deploy/k8s <<'EOF' || fail "kustomization.yaml"
import pathlib, re, sys
d = pathlib.Path(sys.argv[1])
text = (d / "kustomization.yaml").read_text()
listed = set(re.findall(r"^\s*-\s*([\w.-]+\.ya?ml)\s*$", text, re.M))
present = {p.name for p in d.glob("*.yaml")} - {"kustomization.yaml"}
assert listed == present, f"kustomization.yaml lists {sorted(listed)}, the folder has {sorted(present)}"
print(f"kustomization.yaml lists every manifest: {', '.join(sorted(listed))}")
EOF
    log "PASS deploy/k8s matches the Kubernetes $K8S_VERSION schemas"
}

# ---------------------------------------------------------------------------------------------

RESULTS=()
FAILED=0
T_ALL="$(date +%s)"
for step in "${STEPS[@]}"; do
    log "== step $step"
    t0="$(date +%s)"
    set +e
    (
        set -e
        "step_${step//-/_}"
    )
    rc=$?
    set -e
    if [ "$rc" = 0 ]; then result=PASS; else result=FAIL; fi
    secs=$(($(date +%s) - t0))
    RESULTS+=("$(printf '%-12s %s %5d s' "$step" "$result" "$secs")")
    log "== step $step: $result in $secs s"
    if [ "$result" = FAIL ]; then
        FAILED=1
        case "$step" in setup | base-images | build) break ;; esac
    fi
done

echo
echo "deploy/check.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(($(date +%s) - T_ALL)) s in all"
printf '  %s\n' "${RESULTS[@]}"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "  image $IMAGE: $(image_size)"
fi
exit "$FAILED"
