#!/bin/sh
# Follows the README on a fresh Debian 12 and checks that it ends in the chat example live in two
# browser windows: debootstrap (minbase) into a directory, a clone of this repository in it, then
# in a chroot `./scripts/demo.sh`, examples/chat/README.md's "Run it" commands (ssot serve, two
# users made with the admin token and curl) and the chat example's browser test, on the Node the
# install step brought. Needs root, debootstrap and the network; takes 10-20 minutes. Not part of
# the CI suite (CI already runs on a fresh machine); run it when the install story changes:
#   sudo tests/fresh/fresh_debian.sh [DIR]     (DIR: default /tmp/ssot-fresh-debian, removed first)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-/tmp/ssot-fresh-debian}
[ "$(id -u)" = 0 ] || { echo "fresh_debian: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh_debian: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

unmount() { for d in dev/pts dev sys proc; do umount "$DIR/$d" 2>/dev/null || true; done; }
unmount
rm -rf "$DIR"
debootstrap --variant=minbase bookworm "$DIR" http://deb.debian.org/debian
trap unmount EXIT
for d in proc sys dev dev/pts; do mount --bind "/$d" "$DIR/$d"; done
cp /etc/resolv.conf "$DIR/etc/"
# The host's own certificate authorities (a TLS-inspecting proxy's, say): a machine of the same
# network would have them too, and curl and npm need them to reach the npm registry.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$DIR/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$DIR/usr/local/share/ca-certificates/"
fi
git clone -q "$ROOT" "$DIR/root/ssot"

cat >"$DIR/root/follow-readme.sh" <<'SCRIPT'
set -eu
# the CA certificates copied in: registered once ca-certificates is installed by install-deps
if [ -x /usr/sbin/update-ca-certificates ]; then update-ca-certificates >/dev/null; fi
cd /root/ssot
./scripts/demo.sh
update-ca-certificates >/dev/null
# examples/chat/README.md, "Run it"
./scripts/install-deps.sh
cmake -S . -B build && cmake --build build -j
npm ci
./build/ssot run examples/chat/config.lua
npx vite build examples/chat/web
./build/ssot serve examples/chat/config.lua >/tmp/serve.log 2>&1 &
SERVE=$!
sleep 2
ADMIN=$(./build/ssot token --sub 1 --role admin --config examples/chat/config.lua)
for name in Ada Bob; do
  curl -sf localhost:8080/api/users -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$name\",\"email\":\"$name@example.com\"}"; echo
done
./build/ssot token --sub 1 --config examples/chat/config.lua >/dev/null
curl -sf localhost:8080/ | grep -q '<div id="root">'
kill $SERVE
echo "fresh_debian: node $(node --version) from $(command -v node)"
# the two windows: the chat example's browser test, on this machine's chromium and Node
cd build && ctest -R 'e2e/chat-browser|node/engines' --output-on-failure
SCRIPT
chroot "$DIR" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  TERM=dumb NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt /bin/sh /root/follow-readme.sh
echo "fresh_debian: ok — README, demo.sh and examples/chat's Run it reach the live chat on a fresh Debian 12"
