#!/bin/sh
# Installs the build into a temporary prefix, then builds examples/embed the way a user
# would (make + pkg-config against the installed libssot) and runs it; also checks that the
# installed ssot binary and the installed Lua module work.
set -eu
BUILD=$1
ROOT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
LIBDIR=$(find "$TMP/prefix" -name 'libssot.so' -printf '%h\n' | head -1)
PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
export PKG_CONFIG_PATH
sed -i "s|^prefix=.*|prefix=$TMP/prefix|" "$LIBDIR/pkgconfig/ssot.pc"

cp -r "$ROOT/examples/embed" "$TMP/embed"
make -s -C "$TMP/embed" >/dev/null
LD_LIBRARY_PATH="$LIBDIR" "$TMP/embed/model-summary" "$ROOT/examples/chat/config.lua" \
  "$TMP/embed/summary.lua" | grep -q '^Message /api/messages'

"$TMP/prefix/bin/ssot" version | grep -q '^ssot '
LUA_CPATH="$LIBDIR/lua/5.4/?.so;;" lua5.4 -e 'local c = require "ssot.core"; assert(#c.sha256("x") == 64)'
[ -f "$TMP/prefix/include/ssot.h" ]
echo "install/pkg-config: ok"
