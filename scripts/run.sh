#!/usr/bin/env bash
# Installs what is missing, builds, starts the demo upstream and the gateway on the bundled
# config/gateway.yaml. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target gateway

export DEMO_UPSTREAM_PORT=${DEMO_UPSTREAM_PORT:-9000}
python3 scripts/demo_upstream.py --port "$DEMO_UPSTREAM_PORT" &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
echo "demo upstream on 127.0.0.1:$DEMO_UPSTREAM_PORT; gateway on ${GATEWAY_LISTEN:-0.0.0.0:8080}" >&2
build/gateway -c config/gateway.yaml
