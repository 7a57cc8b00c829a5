#!/bin/sh
# `ssot run` on the chat example under valgrind: no invalid reads/writes, no leaks.
set -eu
SSOT=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$SSOT" run -q --output "$TMP/out" "$ROOT/examples/chat/config.lua"
[ -f "$TMP/out/schema.sql" ]
echo "valgrind ssot run: clean"
