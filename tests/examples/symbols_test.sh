#!/bin/sh
# The shared libraries export exactly the functions their public headers declare SSOT_API:
# libssot those of include/ssot.h, libssot-runtime those and include/ssot_runtime.h's, the
# Lua C module only luaopen_ssot_core. Everything else is hidden, so no internal name can
# clash with an embedding program's or become an API by accident.
set -eu
BUILD=$1
ROOT=$2
declared() { sed -n 's/^SSOT_API [^(]*[ *]\([a-z_]*\)(.*/\1/p' "$@" | sort; }
exported() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort; }
check() {
  if [ "$(exported "$1")" != "$2" ]; then
    echo "symbols: $1 exports what its headers do not declare (or misses some):"
    printf 'exported:\n%s\ndeclared:\n%s\n' "$(exported "$1")" "$2"
    exit 1
  fi
}
check "$BUILD/libssot.so" "$(declared "$ROOT/include/ssot.h")"
check "$BUILD/libssot-runtime.so" "$(declared "$ROOT/include/ssot.h" "$ROOT/include/ssot_runtime.h")"
check "$BUILD/lua/ssot/core.so" "luaopen_ssot_core"
if ldd "$BUILD/libssot.so" | grep -E 'libwebsockets|libsqlite3|libjansson|libjwt'; then
  echo "symbols: libssot links the runtime's libraries (above); it must not"
  exit 1
fi
echo "symbols: libssot exports $(declared "$ROOT/include/ssot.h" | wc -l) functions, libssot-runtime $(exported "$BUILD/libssot-runtime.so" | wc -l), as declared"
