#!/usr/bin/env bash
# libFuzzer targets of tests/fuzz/ (clang, ASan + UBSan), built in build-fuzz.
#   scripts/fuzz.sh --smoke          every target for FUZZ_SMOKE_SECONDS (20) each; CI runs this
#   scripts/fuzz.sh NAME MINUTES     one target (e.g. router) for longer, e.g. before a release
#   scripts/fuzz.sh --list           the target names
# The checked-in seeds (tests/fuzz/corpus/NAME) are only read; what a run learns goes to
# build-fuzz/corpus/NAME, and a crash leaves its input in build-fuzz/artifacts/NAME/. Any crash,
# leak, sanitizer report, timeout (5 s per input) or out-of-memory fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

targets() { for f in tests/fuzz/*_fuzz.cpp; do basename "$f" _fuzz.cpp; done; }

build() {
  CXX=clang++ cmake -S . -B build-fuzz -DGW_FUZZ=ON -DGW_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    >/dev/null
  cmake --build build-fuzz -j2 --target fuzz_targets
}

# run NAME SECONDS
run() {
  local name=$1 seconds=$2
  local work=build-fuzz/corpus/$name artifacts=build-fuzz/artifacts/$name/
  mkdir -p "$work" "$artifacts"
  local dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  echo "== fuzz $name: ${seconds}s"
  local log=build-fuzz/artifacts/$name.log status=0 supp=$PWD/tests/sanitizers/ubsan.supp
  # halt_on_error / abort: libFuzzer must see a sanitizer report as a crash of that input.
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$supp \
    "build-fuzz/tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=5 \
      -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$artifacts" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  # libFuzzer's progress lines are noise in CI's output; the full log stays in $log.
  sed '/Recommended dictionary/,/End of recommended dictionary/d' "$log" |
    grep -v -e '^#[0-9]' -e '^INFO: ' -e '^MERGE' -e 'NEW_FUNC' || true
  grep -e '^#[0-9].*DONE' "$log" || true
  return "$status"
}

case "${1:-}" in
  --list) targets ;;
  --smoke)
    build
    failed=()
    for name in $(targets); do
      run "$name" "${FUZZ_SMOKE_SECONDS:-20}" || failed+=("$name")
    done
    if [ ${#failed[@]} -ne 0 ]; then
      echo "fuzz smoke FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/)" >&2
      exit 1
    fi
    echo "fuzz smoke: all targets ran without a crash" ;;
  "" | -*) sed -n '2,8p' "$0" >&2; exit 2 ;;
  *)
    [ -f "tests/fuzz/${1}_fuzz.cpp" ] || { echo "no target '$1'; see --list" >&2; exit 2; }
    build
    run "$1" $(( ${2:-10} * 60 )) ;;
esac
