#!/bin/sh
# Installs everything ssot needs, builds it, installs it (ssot on the PATH: ~/.local/bin, or
# /usr/local/bin as root; with its bash completion, libraries, headers, Lua modules and
# templates beside it) and runs the generator on the chat example.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

if [ "$(id -u)" = 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
cmake --install build --prefix "$PREFIX" >/dev/null
BINDIR="$PREFIX/bin"
case ":$PATH:" in
  *":$BINDIR:"*) echo "demo: installed $BINDIR/ssot (on your PATH: run ssot)" ;;
  *) echo "demo: installed $BINDIR/ssot, which is not on your PATH; add it (e.g. in ~/.profile):"
     echo "  export PATH=\"$BINDIR:\$PATH\"" ;;
esac
"$BINDIR/ssot" run examples/chat/config.lua
echo "demo: next, the chat live in two browser windows: examples/chat/README.md, \"Run it\""
echo "      (npm ci; npx vite build examples/chat/web; ssot serve examples/chat/config.lua; two users' tokens)"
