#!/bin/sh
# ctest's postgres/schema: starts a throwaway PostgreSQL (tests/support/pg.sh), runs the busted
# specs of this folder against it (SSOT_PG_URL, SSOT_PSQL), stops it and removes its directory
# whatever happens. Exits 77 (skipped) when PostgreSQL is not installed, saying why.
#   run.sh LUA BUSTED SOURCE_DIR
set -eu
lua=$1 busted=$2 source=$3
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

SSOT_PG_URL=$url SSOT_PSQL="$(sh "$pg" bin)/psql" "$lua" "$busted" --output=utfTerminal "$source/tests/postgres"
