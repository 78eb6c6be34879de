#!/usr/bin/env bash
# Profile the gateway with callgrind on the `small` scenario: an nginx upstream serving a 200-byte
# body, the gateway (1 worker, access log off) under `valgrind --tool=callgrind`, a short bounded
# wrk load; then the top functions by inclusive and by self cost.
#
#   bench/profile.sh [--seconds 3] [--connections 16] [--gateway build/gateway] [--out DIR]
#                    [--path /small|/cached|/respond|/limited|/limited-redis] [--max-idle N]
#
# Paths: /small proxied (the default), /cached a cache hit after the first call, /respond a
# respond: route, /limited /small behind a local rate limit that never refuses, /limited-redis
# the same limit with `store: redis` (a redis-server of its own is started, as bench/run.sh does).
#
# --max-idle sets the upstream pool's keepalive max_idle (64 by default, as nginx's `keepalive 64`
# in bench/run.sh); 0 opens an upstream connection per request: what the connect path costs.
#
# Collection starts only once the gateway is ready (start-up and config loading are left out).
# Needs valgrind (apt-get install valgrind), nginx and wrk (bench/run.sh installs those).
# For readable names, build with symbols (RelWithDebInfo or -g); Release still names functions.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
SECONDS_LOAD=3 CONNS=16 GATEWAY="$ROOT/build/gateway" OUTDIR="" LOAD_PATH=/small MAX_IDLE=64
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_LOAD=$2; shift 2 ;;
        --connections) CONNS=$2; shift 2 ;;
        --gateway) GATEWAY=$2; shift 2 ;;
        --out) OUTDIR=$2; shift 2 ;;
        --path) LOAD_PATH=$2; shift 2 ;;
        --max-idle) MAX_IDLE=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds S] [--connections N] [--gateway PATH] [--out DIR] [--path P] [--max-idle N]" >&2; exit 2 ;;
    esac
done
for b in valgrind callgrind_annotate callgrind_control wrk; do
    command -v "$b" >/dev/null || { echo "profile.sh: $b is missing (apt-get install valgrind wrk)" >&2; exit 2; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PY=$(python3 -c 'import sys; print(sys.executable)')
HELP="$BENCH_DIR/helpers.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gateway-profile.XXXXXX"); chmod 755 "$TMP"
[ -n "$OUTDIR" ] || OUTDIR=$TMP
mkdir -p "$OUTDIR"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
    done
    [ "$OUTDIR" = "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT

read -r UP GW ADMIN REDIS_PORT < <("$PY" "$HELP" ports 4)
BODY='{"id":12345,"name":"benchmark item","status":"active","tags":["alpha","beta","gamma"],"price":19.99,"currency":"EUR","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'
mkdir -p "$TMP/up"
cat > "$TMP/up/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $TMP/up/nginx.pid; error_log $TMP/up/error.log warn;
events { worker_connections 4096; }
http {
    access_log off; keepalive_requests 1000000;
    client_body_temp_path $TMP/up/body; proxy_temp_path $TMP/up/proxy; fastcgi_temp_path $TMP/up/fastcgi;
    uwsgi_temp_path $TMP/up/uwsgi; scgi_temp_path $TMP/up/scgi;
    types { } default_type application/json;
    server { listen 127.0.0.1:$UP; location = /small { return 200 '$BODY'; } }
}
EOF
"$NGINX" -p "$TMP/up/" -e "$TMP/up/error.log" -c "$TMP/up/nginx.conf" >"$TMP/up/stderr.log" 2>&1 &
PIDS+=($!)
if [ "$LOAD_PATH" = /limited-redis ]; then
    REDIS=$(command -v redis-server || true)
    [ -n "$REDIS" ] || { echo "profile.sh: redis-server is missing (apt-get install redis-server)" >&2
                         exit 2; }
    mkdir -p "$TMP/redis"
    "$REDIS" --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$TMP/redis" \
        >"$TMP/redis/stderr.log" 2>&1 &
    PIDS+=($!)
fi
cat > "$TMP/gateway.yaml" <<EOF
server: { listen: "127.0.0.1:$GW", workers: 1, drain_timeout: 1s }
admin: { listen: "127.0.0.1:$ADMIN" }
log: { level: warn, access: off }
upstreams:
  up:
    targets: [{ url: "http://127.0.0.1:$UP" }]
    keepalive: { max_idle: $MAX_IDLE, idle_timeout: 60s }
routes:
  - name: small
    match: { path: /small, methods: [GET] }
    upstream: up
  - name: cached
    match: { path: /cached, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    cache: { ttl: 600s }
  - name: respond
    match: { path: /respond, methods: [GET] }
    respond: { status: 200, headers: { content-type: application/json }, body: '$BODY' }
  - name: limited
    match: { path: /limited, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    rate_limit: [{ key: ip, limit: 1000000000, window: 1s }]
EOF
[ "$LOAD_PATH" != /limited-redis ] || cat >> "$TMP/gateway.yaml" <<EOF
  - name: limited-redis
    match: { path: /limited-redis, methods: [GET] }
    upstream: up
    rewrite: { path: /small }
    rate_limit: [{ key: ip, limit: 1000000000, window: 1s, store: redis }]
redis: { url: "redis://127.0.0.1:$REDIS_PORT/0", timeout: 5s }
EOF
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUTDIR/callgrind.out" \
    "$GATEWAY" -c "$TMP/gateway.yaml" >"$TMP/gateway.log" 2>&1 &
GPID=$!; PIDS+=($GPID)
"$PY" "$HELP" wait-http "http://127.0.0.1:$UP/small" --timeout 10
"$PY" "$HELP" wait-http "http://127.0.0.1:$ADMIN/readyz" --pid $GPID --timeout 60
"$PY" "$HELP" wait-http "http://127.0.0.1:$GW$LOAD_PATH" --pid $GPID --timeout 30   # first request
callgrind_control -i on $GPID >/dev/null 2>&1
timeout 60 wrk -t1 -c"$CONNS" -d"${SECONDS_LOAD}"s --timeout 10s "http://127.0.0.1:$GW$LOAD_PATH" | tee "$OUTDIR/wrk.txt"
callgrind_control -i off $GPID >/dev/null 2>&1
kill -TERM $GPID; wait $GPID 2>/dev/null || true   # callgrind writes its file on exit
for mode in yes no; do
    echo; echo "== top functions, $([ $mode = yes ] && echo inclusive || echo self) cost (Ir) =="
    callgrind_annotate --inclusive=$mode --threshold=99 "$OUTDIR/callgrind.out" 2>/dev/null \
        | sed -n '/^-\{20,\}$/,$p' | grep -E '^ *[0-9,]+ ' | head -30 | cut -c1-200
done | tee "$OUTDIR/top.txt"
echo; echo "profile: $OUTDIR/callgrind.out (open with kcachegrind or callgrind_annotate)"
