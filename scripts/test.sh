#!/bin/sh
# Installs everything ssot needs and runs every test: the release build's ctest (C tests,
# busted specs, examples, end-to-end suites), then the sanitizer build (ASan + UBSan) on the
# C and Lua tests. Ends with each runner's own summary lines.
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

if [ "$status" != 0 ]; then
  echo "== failures (full logs: build/ctest.log, build-asan/ctest.log)"
  grep -B2 -A40 -E '\*\*\*Failed|\*\*\*Exception|\*\*\*Timeout' build/ctest.log build-asan/ctest.log | tail -200 || true
fi

echo "== summary"
for log in build/ctest.log build-asan/ctest.log; do
  echo "-- $log"
  # busted, node --test and ctest each print their own totals; show them as printed.
  grep -E '[0-9]+ successes / [0-9]+ failures|^[0-9]+: # (tests|pass|fail|cancelled|skipped) |^[0-9]+: ℹ (tests|pass|fail) |test_[a-z_]+: |tests passed, [0-9]+ tests failed' "$log" || true
done
exit "$status"
