#!/bin/sh
# Installs everything ssot needs, builds it and runs the generator on the chat example.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
./build/ssot run examples/chat/config.lua
