#!/usr/bin/env bash
# Installs the Debian packages the gateway needs and that are missing.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh test     also what the tests need
#   scripts/install-deps.sh bench    also what the benchmark needs
set -euo pipefail

packages=(g++ cmake make ccache pkg-config python3
          libboost1.81-dev libboost-regex1.81-dev libboost-url1.81-dev
          libssl-dev libyaml-cpp-dev rapidjson-dev libhiredis-dev libcrypt-dev)
case "${1:-}" in
  test) packages+=(catch2 openssl curl redis-server) ;;
  bench) packages+=(nginx-light haproxy wrk curl) ;;
  "") ;;
  *) echo "usage: $0 [test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
