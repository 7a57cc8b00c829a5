#!/bin/sh
# Installs everything ssot needs and runs every test: the release build's ctest (C tests,
# busted specs, examples, end-to-end suites), then the sanitizer build (ASan + UBSan) on the
# C and Lua tests and the end-to-end suites, then every fuzz target for a bounded time
# (SSOT_FUZZ_SECONDS each, default 10). Ends with each runner's own summary lines.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

./scripts/install-deps.sh
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"
status=0
(cd build && ctest --output-on-failure -V -j "$JOBS") >build/ctest.log 2>&1 || status=1
grep -E '^[0-9]+/[0-9]+ Test|tests passed|tests failed' build/ctest.log || true

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSSOT_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS"
(cd build-asan && ctest --output-on-failure -V -j "$JOBS" -L sanitize) >build-asan/ctest.log 2>&1 || status=1
grep -E '^[0-9]+/[0-9]+ Test|tests passed|tests failed' build-asan/ctest.log || true

echo "== fuzzing (libFuzzer + ASan + UBSan, ${SSOT_FUZZ_SECONDS:-10} s a target)"
mkdir -p build-fuzz
./scripts/fuzz.sh "${SSOT_FUZZ_SECONDS:-10}" >build-fuzz/fuzz.log 2>&1 || status=1
cat build-fuzz/fuzz.log

if [ "$status" != 0 ]; then
  echo "== failures (full logs: build/ctest.log, build-asan/ctest.log, build-fuzz/fuzz_<target>.log)"
  grep -B2 -A40 -E '\*\*\*Failed|\*\*\*Exception|\*\*\*Timeout' build/ctest.log build-asan/ctest.log | tail -200 || true
fi

echo "== summary"
for log in build/ctest.log build-asan/ctest.log build-fuzz/fuzz.log; do
  echo "-- $log"
  # busted, node --test, ctest and libFuzzer each print their own totals; show them as printed.
  grep -E '[0-9]+ successes / [0-9]+ failures|^[0-9]+: # (tests|pass|fail|cancelled|skipped) |^[0-9]+: ℹ (tests|pass|fail) |test_[a-z_]+: |tests passed, [0-9]+ tests failed|^fuzz_[a-z]+: |fuzz.sh: ' "$log" || true
done
exit "$status"
