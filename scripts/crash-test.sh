#!/bin/sh
# Crash consistency, repeated: kills `ssot serve` with SIGKILL under a mixed write load TRIALS
# times (default 20), each on a fresh database, and checks after each restart that every
# write answered 2xx is there, PRAGMA integrity_check passes and the change stream is
# gapless and replays into the tables (tests/e2e/crash.test.mjs; CI runs 3 trials).
#   scripts/crash-test.sh [TRIALS]      SSOT_BIN=build-asan/ssot scripts/crash-test.sh 5
set -eu
cd "$(dirname "$0")/.."
SSOT_CRASH_TRIALS=${1:-20} exec node --test tests/e2e/crash.test.mjs
