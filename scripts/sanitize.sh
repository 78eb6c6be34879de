#!/usr/bin/env bash
# Sanitizer builds and the tests run against them (README "Hardening"); scripts/test.sh runs both.
#   scripts/sanitize.sh asan   build-asan: ASan + UBSan (+ LeakSanitizer) gateway and unit tests;
#                              every unit and integration test against them
#   scripts/sanitize.sh tsan   build-tsan: ThreadSanitizer gateway; every integration test
#                              against it (the unit tests run single-threaded under ASan)
# A report fails the test that caused it: the process stops at the first finding (halt_on_error),
# and harness.py fails a test whose gateway printed a report, even one at exit (leaks).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}

# -O1 -g1: readable stacks, and a shorter build than Release (-O3).
configure() {  # DIR SANITIZE
  cmake -S . -B "$1" -DGW_SANITIZE="$2" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
}

case "${1:-}" in
  asan)
    configure build-asan ON
    cmake --build build-asan -j2
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
    export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    cd build-asan && ctest --output-on-failure --timeout 900 -j2 ;;
  tsan)
    configure build-tsan thread
    cmake --build build-tsan -j2 --target gateway
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp
    cd build-tsan
    # No address randomisation: TSan's shadow memory layout needs it on kernels that use more
    # mmap entropy than the TSan runtime of GCC 12 expects.
    setarch "$(uname -m)" -R ctest --output-on-failure --timeout 900 -j2 \
      -R '^integration\.' ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
