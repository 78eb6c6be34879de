#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit + integration), then the
# hardening stages (README "Hardening"): the suites under ASan + UBSan, the integration tests
# under TSan, and a short run of every fuzz target. Each stage prints its time; the first failure
# stops the run. GW_STAGES picks stages (default "tests asan tsan fuzz-smoke");
# GW_HARDENING=0 runs only the first (a quick local check).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test

stage() {  # NAME COMMAND...
  local name=$1 start=$SECONDS
  shift
  echo "=== stage $name"
  "$@"
  echo "=== stage $name passed in $((SECONDS - start)) s"
}

tests() {
  scripts/build.sh
  (cd build && ctest --output-on-failure --timeout 600 -j2)
}

stages=${GW_STAGES:-tests asan tsan fuzz-smoke}
[ "${GW_HARDENING:-1}" = 0 ] && stages=tests
for s in $stages; do
  case $s in
    tests) stage tests tests ;;
    asan | tsan) stage "$s" scripts/sanitize.sh "$s" ;;
    fuzz-smoke) stage fuzz-smoke scripts/fuzz.sh --smoke ;;
    *) echo "unknown stage '$s'" >&2; exit 2 ;;
  esac
done
