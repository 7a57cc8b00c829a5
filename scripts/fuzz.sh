#!/bin/sh
# Runs the libFuzzer targets of tests/fuzz, each for SECONDS (default 60), or only the targets
# named; builds build-fuzz with clang first:
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 3600 http
# Inputs that find new paths are kept in build-fuzz/corpus/<target> (the seeds under
# tests/fuzz/corpus are only read), so later runs go on from there. A crash, a leak, a hang
# (over 10 s) or undefined behaviour stops that target, leaves its input in
# build-fuzz/crashes/ and makes the script exit 1 naming it; rerun the input with
# build-fuzz/tests/fuzz/fuzz_<target> <file>. Each target's last line is libFuzzer's own
# "Done N runs in S second(s)". docs/security.md records the time run and what was found.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"http body query jwt manifest ws config rules template"}

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSSOT_FUZZ=ON -DSSOT_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
mkdir -p build-fuzz/crashes
failed=""
for target in $TARGETS; do
  binary=build-fuzz/tests/fuzz/fuzz_$target
  if [ ! -x "$binary" ]; then
    echo "fuzz.sh: no target '$target' (targets: http body query jwt manifest ws config rules template)" >&2
    exit 2
  fi
  mkdir -p "build-fuzz/corpus/$target"
  echo "-- fuzz_$target, ${SECONDS_EACH} s"
  if "$binary" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$target-" "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" \
      >"build-fuzz/fuzz_$target.log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "build-fuzz/fuzz_$target.log" | sed "s/^/fuzz_$target: /"
  else
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "build-fuzz/fuzz_$target.log" | head -20
    failed="$failed $target"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz.sh: found a problem in:$failed (logs: build-fuzz/fuzz_<target>.log, inputs: build-fuzz/crashes/)" >&2
  exit 1
fi
