#!/bin/sh
# Installs the Debian packages ssot needs to build, test and benchmark.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
set -eu

PACKAGES="build-essential cmake pkg-config
  lua5.4 liblua5.4-dev lua-cjson-dev lua-busted
  libwebsockets-dev libwebsockets-evlib-ev libev-dev libsqlite3-dev sqlite3 libjansson-dev libjwt-dev libssl-dev
  valgrind wrk curl
  clang libclang-rt-14-dev
  python3 chromium"  # curl: the docs' examples talk to ssot serve with it; clang + compiler-rt:
            # the libFuzzer targets (scripts/fuzz.sh); python3: node-gyp compiles better-sqlite3
            # for the bench/peers servers; chromium: the examples' browser tests (playwright-core)

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done

# Node.js may come from Debian or from NodeSource (whose nodejs bundles npm and conflicts
# with Debian's npm package): only ask for it when there is no node or npm at all.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi

echo "install-deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
