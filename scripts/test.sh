#!/bin/sh
# Installs everything ssot needs (a Node package.json's engines accept included) and runs every
# test: the Release build's ctest with gcc (C tests, busted specs, examples, end-to-end suites),
# a Release build with clang (compiled only), then the sanitizer build (ASan + UBSan) on the C
# and Lua tests and the end-to-end suites, then every fuzz target for a bounded time
# (SSOT_FUZZ_SECONDS each, default 10). Warnings are errors here (SSOT_WERROR). When npm
# packages cannot be installed (no registry), everything that does not need them still runs,
# and the script fails at the end saying which suites could not. Ends with each runner's own
# summary lines.
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

./scripts/install-deps.sh
status=0
npm_missing=""
# .npmrc has engine-strict: a Node that package.json's engines reject fails here, loudly.
if [ -f package-lock.json ] && ! npm ci --no-audit --no-fund; then
  npm_missing="npm ci failed (is the npm registry reachable? does package.json accept node $(node --version)?)"
  status=1
fi
# Without node_modules the suites labelled "npm" cannot run: leave them out, say so at the end.
skip_npm=""
[ -n "$npm_missing" ] && skip_npm="-LE npm"

echo "== release build (gcc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSSOT_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
# shellcheck disable=SC2086 # skip_npm is two words or none
(cd build && ctest --output-on-failure -V -j "$JOBS" $skip_npm) >build/ctest.log 2>&1 || status=1
grep -E '^ *[0-9]+/[0-9]+ Test|tests passed|tests failed' build/ctest.log || true

echo "== release build (clang), compiled only"
mkdir -p build-clang
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DSSOT_WERROR=ON >/dev/null
if cmake --build build-clang -j "$JOBS" >build-clang/build.log 2>&1; then
  echo "clang: Release build with -Werror: ok"
else
  tail -50 build-clang/build.log
  status=1
fi

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSSOT_SANITIZE=ON -DSSOT_WERROR=ON >/dev/null
cmake --build build-asan -j "$JOBS"
(cd build-asan && ctest --output-on-failure -V -j "$JOBS" -L sanitize $skip_npm) >build-asan/ctest.log 2>&1 || status=1
grep -E '^ *[0-9]+/[0-9]+ Test|tests passed|tests failed' build-asan/ctest.log || true

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
if [ -n "$npm_missing" ]; then
  echo "-- $npm_missing: these suites could not run:"
  (cd build && ctest -N -L npm | grep -E 'Test +#' | sed 's/^ */   /')
fi
exit "$status"
