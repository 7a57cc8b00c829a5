#!/bin/sh
# Runs examples/embed's model-summary on the chat example and on a broken config:
# the summary is the one examples/embed/README.md shows; a config error exits 3 naming the
# file and line.
set -eu
TOOL=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$TOOL" "$ROOT/examples/chat/config.lua" "$ROOT/examples/embed/summary.lua" >"$TMP/out"
cat "$TMP/out"
# the README's sample output: the code block after "Output for the chat example:"
awk '/^Output for the chat example:/ { found = 1; next }
     found && /^```/ { if (inside) exit; inside = 1; next }
     inside { print }' "$ROOT/examples/embed/README.md" >"$TMP/readme"
grep -q '^Message /api/messages: ' "$TMP/readme"
if ! diff -u "$TMP/readme" "$TMP/out"; then
  echo "examples/embed: README.md's sample output differs from the tool's (above): update it" >&2
  exit 1
fi

printf 'models = {\n  Note = { fields = { { "id", "id" }, { "body", "strng" } } },\n}\n' >"$TMP/bad.lua"
status=0
"$TOOL" "$TMP/bad.lua" "$ROOT/examples/embed/summary.lua" >"$TMP/out" 2>"$TMP/err" || status=$?
cat "$TMP/err"
[ "$status" -eq 3 ]
grep -q "bad.lua:2:" "$TMP/err"
grep -q "strng" "$TMP/err"
echo "examples/embed: ok"
