#!/bin/sh
# ctest's e2e-pg/*: runs end-to-end suites of tests/e2e against a throwaway PostgreSQL
# (tests/support/pg.sh) instead of SQLite files. helpers.mjs sees SSOT_E2E_POSTGRES and gives
# every database a suite names (--db FILE) a PostgreSQL database of its own, made with psql
# (SSOT_PSQL). Stops the server and removes its directory whatever happens. Exits 77
# (skipped) when PostgreSQL is not installed, saying why.
#   on-postgres.sh NODE SOURCE_DIR SUITE.test.mjs...
set -eu
node=$1 source=$2
shift 2
pg="$source/tests/support/pg.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/ssot-pg.XXXXXX")
status=0
url=$(sh "$pg" start "$dir") || status=$?
if [ "$status" != 0 ]; then
  if [ -f "$dir/.ssot-throwaway-postgres" ]; then sh "$pg" stop "$dir"; else rm -rf "$dir"; fi
  if [ "$status" = 77 ]; then
    echo "SKIPPED: PostgreSQL is not installed (Debian's postgresql package; scripts/install-deps.sh installs it)"
  fi
  exit "$status"
fi
trap 'sh "$pg" stop "$dir"' EXIT
trap 'exit 130' INT TERM

SSOT_E2E_POSTGRES=$url SSOT_PSQL="$(sh "$pg" bin)/psql" "$node" --test "$@"
