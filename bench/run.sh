#!/usr/bin/env bash
# Benchmark the gateway against nginx and HAProxy on this machine (issue 3).
#
#   bench/run.sh                      full run: 3 rounds x 10 s per scenario and proxy (~10 min)
#   bench/run.sh --smoke              ~1 s per target, one round, every scenario (< 1 min; CI)
#   bench/run.sh --scenarios small,respond --rounds 5 --duration 20 --workers 2
#
# What it does: installs nginx-light, haproxy and wrk from Debian when they are missing; starts an
# nginx upstream on 127.0.0.1 (/small: 200-byte JSON, /big: 16 KiB); for each scenario starts the
# gateway (build/gateway, Release), nginx as a keep-alive reverse proxy and HAProxy, each on its
# own port with the same number of workers and access logs off; warms each up with wrk, then
# measures in turn A B C A B C ...; records requests/s, p50/p99 latency, CPU microseconds per
# request and peak RSS of the proxy process, and prints medians (min-max) and the gateway's ratio
# to each peer. Every run and summary goes to a JSON-lines file (--out). All traffic stays on
# 127.0.0.1; only processes started here are stopped, on exit or when the time budget runs out.
#
# Options:
#   --scenarios LIST   comma list from: small big c1000 respond newconn tls balance ratelimit
#                      jwt cache (default all; balance: the gateway with one target vs
#                      two, same run; ratelimit: a rate-limited route vs the plain one;
#                      jwt: a route with JWT auth (HS256) and a rate limit vs the plain one;
#                      cache: GET answered from the proxy's response cache; gateway vs nginx;
#                      stream: 1 GiB uploaded and 1 GiB downloaded through the gateway, its RSS
#                      growth against issue 3's < 16 MiB (bench/stream.py; 64 MiB with --smoke))
#   --rounds N         measured rounds (default 3)         --duration S  seconds per run (default 10)
#   --warmup S         warm-up seconds per target (2)      --workers N   workers of every proxy (1)
#   --wrk-threads N    wrk threads (1)                     --out FILE    results (bench/results-DATE.jsonl)
#   --gateway PATH     gateway binary (build/gateway)      --max-time S  overall time budget
#   --keep-tmp         keep the temp dir (configs, logs)   --smoke       quick check, see above
#   --soak MINUTES     instead of the scenarios: steady load with reloads and upstream restarts,
#                      RSS and descriptors over time, to catch leaks (bench/soak.py)
# Exit status: 0 when every proxy started and every run answered only 2xx; 1 otherwise.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
HELP="$BENCH_DIR/helpers.py"
ALL_SCENARIOS="small big c1000 respond newconn tls balance ratelimit jwt cache stream"

SCENARIOS=$ALL_SCENARIOS
ROUNDS=3 DURATION=10 WARMUP=2 WORKERS=1 WRK_THREADS=1
OUT="" GATEWAY="$ROOT/build/gateway" MAX_TIME="" KEEP_TMP=0 SMOKE=0 SOAK=""

die() { echo "run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --scenarios) SCENARIOS=${2//,/ }; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --wrk-threads) WRK_THREADS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --gateway) GATEWAY=$2; shift 2 ;;
        --max-time) MAX_TIME=$2; shift 2 ;;
        --keep-tmp) KEEP_TMP=1; shift ;;
        --smoke) SMOKE=1; shift ;;
        --soak) SOAK=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
if [ "$SMOKE" = 1 ]; then ROUNDS=1 DURATION=1 WARMUP=0; fi
for s in $SCENARIOS; do
    case " $ALL_SCENARIOS " in *" $s "*) ;; *) die "unknown scenario '$s' (known: $ALL_SCENARIOS)" ;; esac
done
for v in ROUNDS DURATION WARMUP WORKERS WRK_THREADS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v,,} needs a whole number"
done
[ -x "$GATEWAY" ] || die "no gateway binary at $GATEWAY (build it Release first: scripts/build.sh)"
[ -n "$OUT" ] || OUT="$BENCH_DIR/results-$(date +%Y%m%d-%H%M%S).jsonl"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- dependencies from Debian, only when missing ------------------------------------------------
find_bin() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }
missing=()
[ -n "$(find_bin nginx)" ] || missing+=(nginx-light)
[ -n "$(find_bin haproxy)" ] || missing+=(haproxy)
[ -n "$(find_bin wrk)" ] || missing+=(wrk)
case " $SCENARIOS " in *" ratelimit "*) [ -n "$(find_bin redis-server)" ] || missing+=(redis-server) ;; esac
[ -n "$(find_bin openssl)" ] || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    log "installing ${missing[*]} from Debian"
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
NGINX=$(find_bin nginx) HAPROXY=$(find_bin haproxy) WRK=$(find_bin wrk) REDIS=$(find_bin redis-server)
PY=$(python3 -c 'import sys; print(sys.executable)')   # the real binary: no shim start-up cost
if [ -n "$SOAK" ]; then
    [[ $SOAK =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--soak needs minutes"
    exec "$PY" "$BENCH_DIR/soak.py" --minutes "$SOAK" --gateway "$GATEWAY" --nginx "$NGINX" \
        --wrk "$WRK" --workers "$WORKERS" --out "${OUT/results-/soak-}"
fi
CLK_TCK=$(getconf CLK_TCK)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# HAProxy refuses to start when maxconn needs more descriptors than it may open (2 per connection)
HAPROXY_MAXCONN=$(( ($(ulimit -n) - 100) / 2 )); [ "$HAPROXY_MAXCONN" -le 20000 ] || HAPROXY_MAXCONN=20000

# ---- process tracking: stop only what we started ------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gateway-bench.XXXXXX")
chmod 755 "$TMP"   # nginx workers may run as www-data and must read the body files
PIDS=()
WATCHDOG=""
stop_pid() {   # stop_pid PID: TERM, up to 3 s, then KILL; reap
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    [ -z "$WATCHDOG" ] || stop_pid "$WATCHDOG"
    if [ "$KEEP_TMP" = 1 ] || [ "$rc" != 0 ]; then log "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "stopped (time budget of ${MAX_TIME}s exceeded, or TERM)"; exit 124' TERM
untrack() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }

n_scen=0; for s in $SCENARIOS; do n_scen=$((n_scen + 1)); done
if [ -z "$MAX_TIME" ]; then   # generous: 4 targets per scenario, start-up, waits and reporting
    MAX_TIME=$(( n_scen * (4 * (WARMUP + 2 + ROUNDS * (DURATION + 3)) + 20) + 60 ))
fi
( trap 'kill $sp 2>/dev/null; exit 0' TERM
  sleep "$MAX_TIME" & sp=$!; wait $sp; kill -TERM $$ 2>/dev/null ) &
WATCHDOG=$!

# ---- bodies, certificate -----------------------------------------------------------------------
python3 - "$TMP" <<'EOF'
import json, sys
d = sys.argv[1]
small = {"id": 12345, "name": "benchmark item", "status": "active",
         "tags": ["alpha", "beta", "gamma"], "price": 19.99, "currency": "EUR", "note": ""}
s = json.dumps(small, separators=(",", ":"))
small["note"] = "x" * (200 - len(s))
s = json.dumps(small, separators=(",", ":"))
assert len(s) == 200 and "'" not in s and "$" not in s and "\\" not in s
open(f"{d}/small.json", "w").write(s)
items = []
while len(json.dumps({"items": items, "pad": ""}, separators=(",", ":"))) < 16384 - 120:
    i = len(items)
    items.append({"id": i, "sku": f"SKU-{i:06d}", "qty": i % 17, "ok": i % 3 == 0})
b = {"items": items, "pad": ""}
b["pad"] = "y" * (16384 - len(json.dumps(b, separators=(",", ":"))))
big = json.dumps(b, separators=(",", ":"))
assert len(big) == 16384
open(f"{d}/big.json", "w").write(big)
EOF
chmod 644 "$TMP/small.json" "$TMP/big.json"
SMALL_BODY=$(cat "$TMP/small.json")
SMALL_LEN=200 BIG_LEN=16384
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
cat "$TMP/cert.pem" "$TMP/key.pem" > "$TMP/combined.pem"
chmod 600 "$TMP/key.pem" "$TMP/combined.pem"
# Scenario jwt: an HS256 secret for this run, and one token signed with it (a day long), sent by
# wrk to both routes of that scenario so the requests differ only in the route's steps.
JWT_SECRET=$(openssl rand -hex 32)
JWT_ISS="https://bench.invalid/" JWT_AUD=bench JWT_SUB=bench-client
JWT_TOKEN=$("$PY" "$HELP" jwt "$JWT_SECRET" --iss "$JWT_ISS" --aud "$JWT_AUD" --sub "$JWT_SUB")

# ---- starting processes -----------------------------------------------------------------------
declare -A PORT PID
free_ports() { "$PY" "$HELP" ports "$1"; }

nginx_common() {   # nginx_common DIR WORKERS: main and events sections, temp paths inside DIR
    cat <<EOF
worker_processes $2;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 20000; }
EOF
}
nginx_http_common() {
    cat <<EOF
    access_log off;
    client_body_temp_path $1/body; proxy_temp_path $1/proxy; fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi; scgi_temp_path $1/scgi;
    keepalive_requests 1000000; keepalive_timeout 120s;
    types { } default_type application/json;
EOF
}

launch() {   # launch NAME LOGFILE CMD...: start in the background, remember the pid
    local name=$1 logf=$2; shift 2
    "$@" >"$logf" 2>&1 &
    PID[$name]=$!
    PIDS+=("$!")
}

start_upstream() {
    local d=$TMP/upstream; mkdir -p "$d"
    local ports=($(free_ports 2))
    PORT[upstream]=${ports[0]} PORT[upstream2]=${ports[1]}   # one nginx, two targets
    { nginx_common "$d" 1
      echo "http {"; nginx_http_common "$d"
      cat <<EOF
    server {
        listen 127.0.0.1:${PORT[upstream]} backlog=4096;
        listen 127.0.0.1:${PORT[upstream2]} backlog=4096;
        location = /small { return 200 '$SMALL_BODY'; }
        location = /big { alias $TMP/big.json; }
    }
}
EOF
    } > "$d/nginx.conf"
    launch upstream "$d/stderr.log" "$NGINX" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf"
    "$PY" "$HELP" wait-http "http://127.0.0.1:${PORT[upstream]}/small" --pid "${PID[upstream]}" \
        --expect-len $SMALL_LEN || { tail -5 "$d/error.log" "$d/stderr.log" >&2; return 1; }
}

start_gateway() {   # start_gateway NAME TLS(0|1) ACCESS(off|file) [TARGETS(1|2)]
    local name=$1 tls=$2 access=$3 d=$TMP/$1 ports
    local targets="{ url: \"http://127.0.0.1:${PORT[upstream]}\" }"
    # Two targets, round robin: what balancing costs against the single-target upstream.
    [ "${4:-1}" = 1 ] || targets="$targets, { url: \"http://127.0.0.1:${PORT[upstream2]}\" }"
    mkdir -p "$d"; ports=($(free_ports 2)); PORT[$name]=${ports[0]}; PORT[$name.admin]=${ports[1]}
    { cat <<EOF
server:
  listen: "127.0.0.1:${ports[0]}"
  workers: $WORKERS
  limits: { max_connections: 20000, idle_timeout: 120s }
  drain_timeout: 1s
EOF
      [ "$tls" = 0 ] || printf '  tls: { cert_file: %s, key_file: %s }\n' "$TMP/cert.pem" "$TMP/key.pem"
      cat <<EOF
admin:
  listen: "127.0.0.1:${ports[1]}"
log:
  level: info
  access: $access
upstreams:
  up:
    targets: [$targets]
    timeouts: { connect: 1s, response: 10s }
    keepalive: { max_idle: 64, idle_timeout: 60s }
routes:
  - name: small
    match: { path: /small, methods: [GET] }
    upstream: up
  - name: big
    match: { path: /big, methods: [GET] }
    upstream: up
  - name: respond
    match: { path: /respond, methods: [GET] }
    respond: { status: 200, headers: { content-type: application/json }, body: '$SMALL_BODY' }
  - name: cached
    match: { path: /cached, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    cache: { ttl: 600s }
  # Scenario ratelimit: /small behind a local rate limit that never triggers (every wrk
  # connection is one client, 127.0.0.1, so all workers update the same counter).
  - name: limited
    match: { path: /limited, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    rate_limit:
      - { key: ip, limit: 1000000000, window: 1s }
  # Scenario jwt: /small behind a JWT (HS256, verified with OpenSSL on every request, claims
  # checked, the token's sub mapped to a consumer) and a per-consumer local rate limit that
  # never refuses: what authenticating an API call costs against the plain route.
  - name: jwt
    match: { path: /jwt, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    auth: [bench-jwt]
    rate_limit:
      - { key: consumer, limit: 1000000000, window: 1s }
EOF
      # The same limit in Redis (scenario ratelimit starts one): one EVALSHA per request.
      [ -z "${PORT[redis]:-}" ] || cat <<EOF
  - name: limited-redis
    match: { path: /limited-redis, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    rate_limit:
      - { key: ip, limit: 1000000000, window: 1s, store: redis }
redis:
  url: "redis://127.0.0.1:${PORT[redis]}/0"
  timeout: 1s
EOF
      cat <<EOF
consumers:
  - { name: bench-client, jwt_subject: "$JWT_SUB" }
authenticators:
  bench-jwt: { type: jwt, issuer: "$JWT_ISS", audiences: [$JWT_AUD], algorithms: [HS256],
               secret: "$JWT_SECRET" }
EOF
    } > "$d/gateway.yaml"
    launch "$name" "$d/stderr.log" "$GATEWAY" -c "$d/gateway.yaml"
    "$PY" "$HELP" wait-http "http://127.0.0.1:${ports[1]}/readyz" --pid "${PID[$name]}" \
        || { tail -5 "$d/stderr.log" >&2; return 1; }
}

start_redis() {   # our own redis-server on a free port, no persistence; waits until it listens
    local d=$TMP/redis i; mkdir -p "$d"; PORT[redis]=$(free_ports 1)
    launch redis "$d/stderr.log" "$REDIS" --bind 127.0.0.1 --port "${PORT[redis]}" --save "" \
        --appendonly no --dir "$d"
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/${PORT[redis]}") 2>/dev/null && return 0
        kill -0 "${PID[redis]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -5 "$d/stderr.log" >&2; return 1
}

start_nginx_proxy() {   # start_nginx_proxy NAME TLS
    local name=$1 tls=$2 d=$TMP/$1 listen
    mkdir -p "$d"; PORT[$name]=$(free_ports 1)
    listen="127.0.0.1:${PORT[$name]} backlog=4096"
    [ "$tls" = 0 ] || listen="$listen ssl"
    { nginx_common "$d" "$WORKERS"
      echo "http {"; nginx_http_common "$d"
      cat <<EOF
    upstream up { server 127.0.0.1:${PORT[upstream]}; keepalive 64; keepalive_requests 1000000; }
    proxy_cache_path $d/cache keys_zone=hits:10m;
    server {
        listen $listen;
        ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;
        location = /respond { return 200 '$SMALL_BODY'; }
        location = /cached {
            proxy_cache hits; proxy_cache_valid 200 600s; proxy_cache_lock on;
            proxy_pass http://up/small;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } > "$d/nginx.conf"
    launch "$name" "$d/stderr.log" "$NGINX" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf"
}

start_haproxy() {   # start_haproxy NAME TLS
    local name=$1 tls=$2 d=$TMP/$1 bind
    mkdir -p "$d"; PORT[$name]=$(free_ports 1)
    bind="127.0.0.1:${PORT[$name]}"
    [ "$tls" = 0 ] || bind="$bind ssl crt $TMP/combined.pem"
    cat > "$d/haproxy.cfg" <<EOF
global
    nbthread $WORKERS
    maxconn $HAPROXY_MAXCONN
    pidfile $d/haproxy.pid
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 120s
frontend fe
    bind $bind
    http-request return status 200 content-type application/json string '$SMALL_BODY' if { path /respond }
    default_backend up
backend up
    server s1 127.0.0.1:${PORT[upstream]}
EOF
    launch "$name" "$d/stderr.log" "$HAPROXY" -db -f "$d/haproxy.cfg"
}

target_url() {   # target_url NAME SCENARIO
    local scheme=http path=/small
    [ "$2" = tls ] && scheme=https
    case $2 in big) path=/big ;; respond) path=/respond ;; cache) path=/cached ;; esac
    [ "$1" = gateway+rl ] && path=/limited
    [ "$1" = gateway+jwt ] && path=/jwt
    [ "$1" = gateway+rlredis ] && path=/limited-redis
    echo "$scheme://127.0.0.1:${PORT[$1]}$path"
}

# ---- measuring -----------------------------------------------------------------------------------
FAILED=0
note_failure() { FAILED=1; log "FAIL: $*"; }
emit() { printf '%s\n' "$1" >> "$OUT"; }

run_wrk() {   # run_wrk NAME SCENARIO SECONDS OUTFILE: wrk's exit status in WRK_RC
    local conns=64 hdr=() wpid
    [ "$2" = c1000 ] && conns=1000
    [ "$2" = newconn ] && hdr=(-H "Connection: close")
    [ "$2" = jwt ] && hdr=(-H "Authorization: Bearer $JWT_TOKEN")
    timeout -k 2 $(( $3 + 20 )) "$WRK" -t"$WRK_THREADS" -c"$conns" -d"$3"s --timeout 5s \
        --latency -s "$BENCH_DIR/wrk_report.lua" "${hdr[@]}" "$(target_url "$1" "$2")" >"$4" 2>&1 &
    wpid=$!; PIDS+=("$wpid")
    WRK_RC=0; wait "$wpid" || WRK_RC=$?
    untrack "$wpid"
}

measure_idle_memory() {   # measure_idle_memory NAME: RSS growth with 1,000 idle keep-alive conns
    local name=$1 before after ready=$TMP/$1.idle-ready hp rc=0 n=1000
    "$PY" "$HELP" wait-http "$(target_url "$name" c1000)" >/dev/null || true  # first request
    sleep 0.2
    before=$("$PY" "$HELP" mem "${PID[$name]}" rss)
    rm -f "$ready"
    "$PY" "$HELP" idle-conns "${PORT[$name]}" $n "$ready" --hold 120 2>"$TMP/$name.idle.err" &
    hp=$!; PIDS+=("$hp")
    for _ in $(seq 300); do [ -e "$ready" ] || ! kill -0 "$hp" 2>/dev/null && break; sleep 0.1; done
    if [ ! -e "$ready" ]; then
        note_failure "$name: could not open $n idle connections: $(tail -1 "$TMP/$name.idle.err")"
        stop_pid "$hp"; untrack "$hp"; return 0
    fi
    sleep 0.5
    after=$("$PY" "$HELP" mem "${PID[$name]}" rss)
    read -r opened bad < "$ready"
    stop_pid "$hp"; untrack "$hp"
    [ "$bad" = 0 ] || note_failure "$name: $bad of $opened idle-connection requests failed"
    emit "$(printf '{"type":"idle_memory","scenario":"c1000","proxy":"%s","connections":%d,"failed_requests":%d,"rss_before_kib":%d,"rss_after_kib":%d,"kib_per_conn":%.2f}' \
        "$name" "$opened" "$bad" "$before" "$after" "$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN {print (a - b) / n}')")"
    log "  $name: RSS ${before} KiB -> ${after} KiB with $opened idle connections"
}

# ---- the run --------------------------------------------------------------------------------------
GW_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
GW_DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/"/\\"/g')
MEM_KIB=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
emit "$(printf '{"type":"meta","date":"%s","host_nproc":%d,"cpu_model":"%s","mem_total_kib":%d,"gateway":"%s","gateway_commit":"%s","gateway_dirty":%s,"nginx":"%s","haproxy":"%s","wrk":"%s","workers":%d,"rounds":%d,"duration_s":%d,"warmup_s":%d,"wrk_threads":%d,"smoke":%s}' \
    "$(date -Iseconds)" "$(nproc)" "$CPU_MODEL" "$MEM_KIB" "$GATEWAY" "$GW_COMMIT" "$GW_DIRTY" \
    "$("$NGINX" -v 2>&1 | sed 's/.*\///')" "$("$HAPROXY" -v | head -1 | awk '{print $3}')" \
    "$("$WRK" -v 2>&1 | head -1 | awk '{print $2}')" "$WORKERS" "$ROUNDS" "$DURATION" "$WARMUP" \
    "$WRK_THREADS" "$([ "$SMOKE" = 1 ] && echo true || echo false)")"
log "results -> $OUT (time budget ${MAX_TIME}s, temp $TMP)"

start_upstream || { note_failure "upstream nginx did not start"; exit 1; }
log "upstream nginx on 127.0.0.1:${PORT[upstream]}"

for scen in $SCENARIOS; do
    if [ "$scen" = stream ]; then
        gib=1; [ "$SMOKE" = 1 ] && gib=0.0625
        log "scenario stream: $gib GiB up and down through the gateway"
        "$PY" "$BENCH_DIR/stream.py" --gateway "$GATEWAY" --gib "$gib" --out "$OUT" ||
            note_failure "stream: the transfer failed"
        continue
    fi
    tls=0; [ "$scen" = tls ] && tls=1
    targets=(gateway nginx haproxy)
    [ "$scen" = small ] && targets+=("gateway+log")
    [ "$scen" = balance ] && targets=(gateway gateway+2t)
    [ "$scen" = cache ] && targets=(gateway nginx)   # cache hits: the gateway vs nginx proxy_cache
    # The rate-limited routes (local, Redis) against the plain proxy route of the same build.
    [ "$scen" = ratelimit ] && targets=(gateway gateway+rl gateway+rlredis)
    # JWT auth plus a rate limit against the plain proxy route, same build, same run.
    [ "$scen" = jwt ] && targets=(gateway gateway+jwt)
    log "scenario $scen: starting ${targets[*]}"
    ok=1
    unset 'PORT[redis]'
    if [ "$scen" = ratelimit ]; then
        start_redis || { note_failure "redis-server did not start"; targets=(gateway gateway+rl); }
    fi
    for t in "${targets[@]}"; do
        case $t in
            gateway) start_gateway gateway "$tls" off || ok=0 ;;
            gateway+log) start_gateway gateway+log "$tls" "$TMP/gateway+log/access.log" || ok=0 ;;
            gateway+2t) start_gateway gateway+2t "$tls" off 2 || ok=0 ;;
            gateway+rl) start_gateway gateway+rl "$tls" off || ok=0 ;;
            gateway+jwt) start_gateway gateway+jwt "$tls" off || ok=0 ;;
            gateway+rlredis) start_gateway gateway+rlredis "$tls" off || ok=0 ;;
            nginx) start_nginx_proxy nginx "$tls" ;;
            haproxy) start_haproxy haproxy "$tls" ;;
        esac
    done
    expect=$SMALL_LEN; [ "$scen" = big ] && expect=$BIG_LEN
    live=() auth=()
    [ "$scen" = jwt ] && auth=(--header "Authorization: Bearer $JWT_TOKEN")
    for t in "${targets[@]}"; do
        if "$PY" "$HELP" wait-http "$(target_url "$t" "$scen")" --pid "${PID[$t]}" \
                --expect-len "$expect" "${auth[@]}"; then
            live+=("$t")
        else
            note_failure "$scen: $t did not answer 200 with a $expect-byte body"
            tail -n 5 "$TMP/$t"/*.log >&2 2>/dev/null || true
            emit "{\"type\":\"run\",\"scenario\":\"$scen\",\"proxy\":\"$t\",\"ok\":false,\"error\":\"did not start or answer 200\"}"
        fi
    done
    if [ "$scen" = c1000 ]; then
        log "scenario c1000: memory per idle keep-alive connection"
        for t in "${live[@]}"; do measure_idle_memory "$t"; done
    fi
    if [ "$WARMUP" -gt 0 ]; then
        for t in "${live[@]}"; do run_wrk "$t" "$scen" "$WARMUP" "$TMP/warmup.out"; done
    fi
    for r in $(seq 1 "$ROUNDS"); do
        for t in "${live[@]}"; do
            rt=()   # a Redis-limited route: Redis's CPU counts too
            [ "$t" != gateway+rlredis ] ||
                rt=(--redis-ticks-before "$("$PY" "$HELP" ticks "${PID[redis]}")"
                    --redis-calls-before "$("$PY" "$HELP" redis-calls "${PORT[redis]}")")
            t0=$("$PY" "$HELP" ticks "${PID[$t]}")
            run_wrk "$t" "$scen" "$DURATION" "$TMP/wrk.out"
            t1=$("$PY" "$HELP" ticks "${PID[$t]}")
            [ "$t" != gateway+rlredis ] ||
                rt+=(--redis-ticks-after "$("$PY" "$HELP" ticks "${PID[redis]}")"
                     --redis-calls-after "$("$PY" "$HELP" redis-calls "${PORT[redis]}")")
            hwm=$("$PY" "$HELP" mem "${PID[$t]}" hwm)
            conns=64; [ "$scen" = c1000 ] && conns=1000
            if line=$("$PY" "$HELP" record --scenario "$scen" --proxy "$t" --round "$r" \
                    --duration "$DURATION" --connections "$conns" --ticks-before "$t0" \
                    --ticks-after "$t1" --clk-tck "$CLK_TCK" --hwm-kib "$hwm" --wrk-rc "$WRK_RC" \
                    --wrk-out "$TMP/wrk.out" "${rt[@]}" 2>"$TMP/record.err"); then
                log "  $scen $t round $r: $(cat "$TMP/record.err")"
            else
                note_failure "$scen/$t round $r: $(cat "$TMP/record.err")"
                tail -n 3 "$TMP/wrk.out" >&2
            fi
            emit "$line"
        done
    done
    for t in "${targets[@]}"; do
        kill -0 "${PID[$t]}" 2>/dev/null || note_failure "$scen: $t exited during the run"
        stop_pid "${PID[$t]}"; untrack "${PID[$t]}"
    done
    if [ -n "${PORT[redis]:-}" ]; then stop_pid "${PID[redis]}"; untrack "${PID[redis]}"; fi
done

"$PY" "$BENCH_DIR/report.py" "$OUT" --append-summary || FAILED=1
log "results in $OUT"
[ "$FAILED" = 0 ] || { log "some proxy failed to start or answered errors (see above)"; exit 1; }
exit 0
