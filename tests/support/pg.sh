#!/bin/sh
# A throwaway PostgreSQL for tests, from Debian's postgresql package (scripts/install-deps.sh),
# never its system service:
#   pg.sh start DIR   initdb into DIR/data, start it listening only on a Unix socket in DIR (no
#                     TCP), create the database "ssot", print its libpq URL
#                     (postgresql:///ssot?host=DIR&user=postgres) on stdout
#   pg.sh stop DIR    stop that server and remove DIR
#   pg.sh bin         print the directory of PostgreSQL's programs (psql, pg_ctl, ...)
# PostgreSQL refuses to run as root: as root, the server runs as SSOT_PG_USER (default
# nobody) through runuser, and DIR is given to that user; the client connects as the database
# user "postgres" over the socket (trust: the socket is reachable through DIR only).
# SSOT_PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync, synchronous_commit and
# full_page_writes on: a commit is on disk when it is answered), for benchmarks set beside
# SQLite's durable commits; otherwise those are off, as a throwaway test database can afford.
# Exit status 77 when PostgreSQL is not installed (ctest's SKIP_RETURN_CODE), 1 on any other
# failure, with a message saying why on stderr. Uses only POSIX sh and PostgreSQL's programs.
set -eu

me="pg.sh"
die() { echo "$me: $*" >&2; exit 1; }

# The newest /usr/lib/postgresql/<version>/bin holding initdb, or exit 77. SSOT_PG_ROOT
# replaces /usr/lib/postgresql (to try the message without PostgreSQL).
bin_dir() {
  found=""
  best=-1
  for dir in "${SSOT_PG_ROOT:-/usr/lib/postgresql}"/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ] || continue
    version=${dir%/bin}
    version=${version##*/}
    major=${version%%.*}
    case $major in '' | *[!0-9]*) continue ;; esac
    if [ "$major" -gt "$best" ]; then best=$major; found=$dir; fi
  done
  if [ -z "$found" ]; then
    echo "$me: PostgreSQL is not installed (no ${SSOT_PG_ROOT:-/usr/lib/postgresql}/*/bin/initdb): install Debian's postgresql package (scripts/install-deps.sh does)" >&2
    exit 77
  fi
  echo "$found"
}

# Runs a command as the server's user: ourselves, or SSOT_PG_USER when we are root. From /,
# which that user can always enter (the current directory may be closed to it).
as_server() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u "$server_user" -- "$@")
  else
    (cd / && "$@")
  fi
}

# s as a quoted string of postgresql.conf: ' and \ doubled.
conf_string() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"
}

# DIR made absolute (the URL and the socket need it); it need not exist yet.
absolute() {
  case $1 in
    /*) echo "$1" ;;
    *) echo "$(pwd)/$1" ;;
  esac
}

# The path percent-encoded for the URL's query: all but letters, digits and -._~/ as %XX.
url_encode() {
  printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | while read -r hex; do
    [ -n "$hex" ] || continue
    case $hex in
      2[def] | 3[0-9] | 4[1-9a-f] | 5[0-9a] | 5f | 6[1-9a-f] | 7[0-9a] | 7e) printf "\\$(printf '%03o' "0x$hex")" ;;
      *) printf '%%%s' "$(echo "$hex" | tr 'a-f' 'A-F')" ;;
    esac
  done
}

# The marker that makes DIR ours to remove.
MARKER=".ssot-throwaway-postgres"

start() {
  dir=$(absolute "$1")
  bin=$(bin_dir) || exit $?
  server_user=${SSOT_PG_USER:-nobody}
  if [ "$(id -u)" = 0 ]; then
    command -v runuser >/dev/null 2>&1 || die "running as root, and PostgreSQL refuses root: runuser (util-linux) is needed to run it as $server_user"
    id -u "$server_user" >/dev/null 2>&1 || die "running as root, and PostgreSQL refuses root: no user '$server_user' to run it as (set SSOT_PG_USER)"
  fi
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir is not empty: give a new or empty directory"
  fi
  # The socket's path must fit in sockaddr_un (107 bytes on Linux).
  socket="$dir/.s.PGSQL.5432"
  [ "${#socket}" -le 107 ] || die "$dir is too long for a Unix socket path ($socket is ${#socket} bytes, at most 107): use a shorter directory"
  mkdir -p "$dir"
  : >"$dir/$MARKER"
  if [ "$(id -u)" = 0 ]; then
    chown "$server_user" "$dir" || die "cannot give $dir to $server_user"
    runuser -u "$server_user" -- test -w "$dir" ||
      die "$server_user cannot write $dir (a parent directory closed to others?): use a directory under /tmp"
  fi
  log="$dir/server.log"
  # trust: no password over the socket, which only who can reach DIR can use. --no-sync and
  # fsync=off: a throwaway database need not survive a crash, and starts in about a second
  # (--no-sync only skips syncing the files initdb writes, not how the server commits: it
  # stays with SSOT_PG_DURABLE=1).
  if ! as_server "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth=trust --encoding=UTF8 \
    --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed (above)"
  fi
  # No TCP at all: only the socket in DIR, so nothing else on the machine can collide with it.
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = $(conf_string "$dir")"
    if [ "${SSOT_PG_DURABLE:-0}" != 1 ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >>"$dir/data/postgresql.conf"
  if ! as_server "$bin/pg_ctl" --pgdata="$dir/data" --log="$log" --wait --timeout=30 start \
    >"$dir/pg_ctl.log" 2>&1; then
    cat "$dir/pg_ctl.log" "$log" >&2 2>/dev/null || true
    die "the server did not start (above)"
  fi
  if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres -c "CREATE DATABASE ssot" >"$dir/createdb.log" 2>&1; then
    cat "$dir/createdb.log" >&2
    stop "$dir" || true
    die "could not create the database (above)"
  fi
  echo "postgresql:///ssot?host=$(url_encode "$dir")&user=postgres"
}

stop() {
  dir=$(absolute "$1")
  [ -f "$dir/$MARKER" ] || die "$dir was not made by pg.sh start (no $MARKER): not touching it"
  server_user=${SSOT_PG_USER:-nobody}
  if [ -f "$dir/data/postmaster.pid" ]; then
    bin=$(bin_dir) || exit $?
    # immediate: nothing in a throwaway database needs a clean shutdown.
    as_server "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 ||
      echo "$me: pg_ctl stop failed; removing $dir anyway" >&2
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) [ $# = 2 ] || die "usage: pg.sh start DIR"; start "$2" ;;
  stop) [ $# = 2 ] || die "usage: pg.sh stop DIR"; stop "$2" ;;
  bin) [ $# = 1 ] || die "usage: pg.sh bin"; bin_dir ;;
  *) echo "usage: pg.sh start DIR | pg.sh stop DIR | pg.sh bin" >&2; exit 2 ;;
esac
