#!/usr/bin/env bash
# A throwaway local PostgreSQL for development and tests: its own data folder and port, loopback only.
#
#   deploy/postgres.sh install               install PostgreSQL with apt-get if it is missing
#   deploy/postgres.sh start DIR PORT [fast] create (first time) and start a cluster in DIR; prints its URL
#   deploy/postgres.sh stop DIR              stop the cluster in DIR
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
# "fast" turns fsync off: for tests only, never for anything whose data matters.
set -euo pipefail

install_postgres() {
  if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    echo "installing PostgreSQL (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] || { echo "PostgreSQL is not installed; run: $0 install" >&2; exit 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 port=$2 mode=${3:-}
  local bin; bin=$(bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U tessera --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200"
  if [ "$mode" = fast ]; then
    # The test command's cluster: its suites run in parallel, each with a server composed as serve composes it
    # (batch workers and the change feed hold connections of their own), and two hundred were seen too few.
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600"
  else
    # Durable (fsync, synchronous_commit and full_page_writes stay on), tuned as a token server's database
    # should be: token hashes are random keys, so each insert touches a random index page. A buffer pool that
    # holds the hot partition's index, compressed full-page images and checkpoints far apart keep that cheap.
    options="$options -c shared_buffers=${TESSERA_PG_SHARED_BUFFERS:-2GB} -c wal_compression=lz4"
    options="$options -c max_wal_size=8GB -c checkpoint_timeout=30min -c checkpoint_completion_target=0.9"
  fi
  # Anything else for this cluster, for example logging settings (bench/run.sh logs autovacuum and checkpoints).
  options="$options ${TESSERA_PG_OPTIONS:-}"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$options" -w -t 60 start >/dev/null \
    || { tail -20 "$dir/postgres.log" >&2; exit 1; }
  if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U tessera -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'tessera'" | grep -q 1; then
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U tessera tessera
  fi
  echo "postgres://tessera@127.0.0.1:$port/tessera"
}

stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

case "${1:-}" in
  install) install_postgres ;;
  start) [ $# -ge 3 ] || { echo "usage: $0 start DIR PORT [fast]" >&2; exit 2; }; install_postgres; start "$2" "$3" "${4:-}" ;;
  stop) [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 install | start DIR PORT [fast] | stop DIR" >&2; exit 2 ;;
esac
