#!/usr/bin/env bash
# Installs the Debian packages the gateway needs and that are missing.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh test     also what the tests need
#   scripts/install-deps.sh bench    also what the benchmark needs
set -euo pipefail

packages=(g++ cmake make ccache pkg-config python3
          libboost1.81-dev libboost-regex1.81-dev libboost-url1.81-dev
          libssl-dev libyaml-cpp-dev rapidjson-dev libhiredis-dev libcrypt-dev libmimalloc-dev)
case "${1:-}" in
  test) packages+=(catch2 openssl curl redis-server)
        # Hardening stages: clang for the libFuzzer targets; libclang-rt-14-dev holds the fuzzer
        # and sanitizer runtimes (only recommended by clang, and we install without those).
        packages+=(clang libclang-rt-14-dev)
        # Node runs the identity provider of the token tests (tests/integration/idp); a node
        # that is already there (e.g. from NodeSource) is used as it is.
        command -v npm >/dev/null || packages+=(nodejs npm) ;;
  bench) packages+=(nginx-light haproxy wrk curl) ;;
  "") ;;
  *) echo "usage: $0 [test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The test identity provider's npm packages, exactly as pinned in its package-lock.json.
idp="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/idp"
if [ "${1:-}" = test ] && [ ! -d "$idp/node_modules" ]; then
  (cd "$idp" && npm ci --no-audit --no-fund --loglevel=error)
fi
