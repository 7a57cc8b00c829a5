#!/bin/sh
# Runs examples/embed's model-summary on the chat example and on a broken config:
# the summary lists every model; a config error exits 3 naming the file and line.
set -eu
TOOL=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$TOOL" "$ROOT/examples/chat/config.lua" "$ROOT/examples/embed/summary.lua" >"$TMP/out"
cat "$TMP/out"
grep -q '^Message /api/messages: 9 fields (7 required), owned by authorId$' "$TMP/out"
grep -q '^Room /api/rooms: ' "$TMP/out"
grep -q '^User /api/users: ' "$TMP/out"
[ "$(wc -l <"$TMP/out")" -eq 3 ]

printf 'models = {\n  Note = { fields = { { "id", "id" }, { "body", "strng" } } },\n}\n' >"$TMP/bad.lua"
status=0
"$TOOL" "$TMP/bad.lua" "$ROOT/examples/embed/summary.lua" >"$TMP/out" 2>"$TMP/err" || status=$?
cat "$TMP/err"
[ "$status" -eq 3 ]
grep -q "bad.lua:2:" "$TMP/err"
grep -q "strng" "$TMP/err"
echo "examples/embed: ok"
