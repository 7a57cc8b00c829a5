#!/bin/sh
# Installs the build into a temporary prefix, then builds examples/embed the way a user
# would (make + pkg-config against the installed libssot) and runs it; also checks that the
# installed ssot binary runs a config, and that the installed header, static library, Lua C
# module, Lua modules and templates are there and work from stock lua5.4, and the bash
# completion where bash-completion looks for it.
set -eu
BUILD=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
LIBDIR=$(find "$TMP/prefix" -name 'libssot.so' -printf '%h\n' | head -1)
PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
export PKG_CONFIG_PATH
sed -i "s|^prefix=.*|prefix=$TMP/prefix|" "$LIBDIR/pkgconfig/ssot.pc" "$LIBDIR/pkgconfig/ssot-runtime.pc"

cp -r "$ROOT/examples/embed" "$TMP/embed"
make -s -C "$TMP/embed" >/dev/null
LD_LIBRARY_PATH="$LIBDIR" "$TMP/embed/model-summary" "$ROOT/examples/chat/config.lua" \
  "$TMP/embed/summary.lua" | grep -q '^Message /api/messages'
# the generator alone: nothing of the runtime's libraries comes with it
if LD_LIBRARY_PATH="$LIBDIR" ldd "$TMP/embed/model-summary" | grep -E 'libwebsockets|libsqlite3|libjansson|libjwt'; then
  echo "install/pkg-config: examples/embed links the runtime's libraries"
  exit 1
fi
# the runtime library links through its own pkg-config file
cat >"$TMP/serve.c" <<'C'
#include <ssot_runtime.h>
int main(int argc, char **argv) {
    if (argc > 1) ssot_serve_stop();
    return argc > 2 ? ssot_serve(ssot_host_new(NULL), argv[1], NULL) : 0;
}
C
cc -o "$TMP/serve" "$TMP/serve.c" $(pkg-config --cflags --libs ssot-runtime)
LD_LIBRARY_PATH="$LIBDIR" "$TMP/serve"

"$TMP/prefix/bin/ssot" version | grep -q '^ssot '
"$TMP/prefix/bin/ssot" run --quiet --output "$TMP/generated" "$ROOT/examples/chat/config.lua"
grep -q 'CREATE TABLE IF NOT EXISTS "messages"' "$TMP/generated/schema.sql"
LUA_CPATH="$LIBDIR/lua/5.4/?.so;;" lua5.4 -e 'local c = require "ssot.core"; assert(#c.sha256("x") == 64)'
[ -f "$TMP/prefix/include/ssot.h" ] && [ -f "$TMP/prefix/include/ssot_runtime.h" ]
[ -f "$LIBDIR/libssot.a" ] && [ -f "$LIBDIR/libssot-runtime.a" ]
# The Lua modules and templates, usable from stock lua5.4 with the installed C module.
SHARE="$TMP/prefix/share"
[ -f "$SHARE/ssot/templates/sql/schema.sql.tpl" ]
CONFIG="$ROOT/examples/chat/config.lua" LUA_PATH="$SHARE/lua/5.4/?.lua;$SHARE/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$LIBDIR/lua/5.4/?.so;;" lua5.4 -e '
  local ir = require("ssot.config").load(os.getenv("CONFIG"))
  assert(ir.model_by_name.RoomMember and #ir.models == 4)'
# The bash completion, under the name bash-completion loads for `ssot`, defining its function.
COMPLETION="$SHARE/bash-completion/completions/ssot"
[ -f "$COMPLETION" ]
bash -c '. "$1" && complete -p ssot' sh "$COMPLETION" | grep -q -- '-F _ssot ssot'
echo "install/pkg-config: ok"
