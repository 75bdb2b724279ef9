#!/usr/bin/env bash
# A throwaway local high-availability PostgreSQL: pg_auto_failover (Debian's postgresql-15-auto-failover) with a
# monitor and two data nodes in one folder, loopback only, no passwords, no TLS. For trying Tessera's failover
# here; the production form (three hosts) is in deploy/README.md, "High availability: pg_auto_failover".
#
#   deploy/auto-failover.sh install                  install pg_auto_failover (and PostgreSQL 15) with apt-get
#   deploy/auto-failover.sh start DIR [BASEPORT]     create (first time) and start the monitor on BASEPORT
#                                                    (default 55460) and the nodes on BASEPORT+1 and +2, wait for
#                                                    a primary and a synchronous secondary; prints the URL
#   deploy/auto-failover.sh failover DIR             `pg_autoctl perform failover`: the secondary becomes primary
#   deploy/auto-failover.sh stop-primary DIR         SIGKILL the primary node (its pg_autoctl and PostgreSQL), as
#                                                    a crash would, and wait for the secondary's promotion
#   deploy/auto-failover.sh state DIR                `pg_autoctl show state`
#   deploy/auto-failover.sh uri DIR                  the URL for DATABASE_URL
#   deploy/auto-failover.sh stop DIR                 stop everything (nothing left running; safe to repeat)
#
# The URL names both nodes with target_session_attrs=read-write, as libpq reads it:
#   postgres://tessera@127.0.0.1:55461,127.0.0.1:55462/tessera?target_session_attrs=read-write&sslmode=disable
# Database `tessera` is owned by the role `tessera`, which logs in from loopback without a password.
# `start` again after `stop-primary` (or `stop`) starts what is not running: the crashed node rejoins as the
# secondary. failover and stop-primary print how long the primary was missing: until the monitor reported the
# new primary, and until a write through the URL committed (a client connecting with read-write, as Tessera
# will). stdout has only the URL (start, uri) or the table (state); the rest goes to stderr, and the services'
# output to DIR/*.log. TESSERA_PAF_FAST_DETECTION=1 start: failure detection in about 17s instead of 50s, for
# tests (see DETECTION_GUCS below).
#
# Replication is synchronous: with one standby, pg_auto_failover's number_sync_standbys stays 0 (the monitor
# refuses 1 until a second standby joins) and both nodes have replication-quorum true, which makes the primary
# run with synchronous_standby_names = 'ANY 1 (pgautofailover_standby_N)' and synchronous_commit = on: a commit
# is acknowledged once the standby has flushed it, so it survives the loss of the primary. `start` checks it.
# While the standby is down the monitor moves the primary to wait_primary, which stops waiting for it (writes
# go on, on one node only), and never promotes a standby that has not caught up again.
#
# PostgreSQL and pg_autoctl refuse to run as root, so as root everything runs as the `postgres` user (DIR is
# given to it). pg_autoctl keeps its configuration, state and pid files under DIR (XDG_*), not in ~postgres.
set -euo pipefail

# pg_autoctl 2.0 in Debian 12 is built for PostgreSQL 15: its extension is only in 15's folders.
PGBIN=/usr/lib/postgresql/15/bin
DEFAULT_BASEPORT=55460

install_failover() {
  if ! command -v pg_autoctl >/dev/null || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "installing pg_auto_failover (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show postgresql-15-auto-failover >/dev/null 2>&1 || apt-get update -qq >&2
    apt-get install -y -qq postgresql-15-auto-failover postgresql-15 >&2
  fi
}

need_installed() {
  command -v pg_autoctl >/dev/null && [ -x "$PGBIN/pg_ctl" ] \
    || { echo "pg_auto_failover is not installed; run: $0 install" >&2; exit 1; }
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_autoctl with its files under DIR: configuration, state and pid files (by default in ~/.config,
# ~/.local/share and /tmp/pg_autoctl, shared by every setup of the same user).
autoctl() {
  as_owner env XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" XDG_RUNTIME_DIR="$DIR/run" \
    pg_autoctl "$@"
}

psql_() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
monitor_sql() { psql_ -h 127.0.0.1 -p "$BASEPORT" -U postgres -d pg_auto_failover -tA -c "$1"; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
past() { awk -v a="$1" -v b="$EPOCHREALTIME" -v m="$2" 'BEGIN { exit !(b - a > m) }'; }   # START SECONDS

# The base port of DIR, written by its first `start`.
read_baseport() {
  [ -f "$DIR/baseport" ] || { echo "no pg_auto_failover setup in $DIR (run: $0 start $DIR)" >&2; exit 1; }
  BASEPORT=$(cat "$DIR/baseport")
}

node_port() { echo $((BASEPORT + ${1#node})); }   # node1 → BASEPORT+1, node2 → BASEPORT+2

# The pid of the pg_autoctl service of NAME (monitor, node1, node2) if it is running, else nothing.
service_pid() {
  local file="$DIR/run/pg_autoctl/${DIR#/}/$1/pg_autoctl.pid" pid
  [ -f "$file" ] || return 0
  pid=$(head -1 "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# The pid of NAME's postmaster if it is running, else nothing.
postmaster_pid() {
  local file="$DIR/$1/postmaster.pid" pid
  [ -f "$file" ] || return 0
  pid=$(head -1 "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# Run NAME's pg_autoctl service in the background, in a session of its own (so that it outlives this script
# and its process group can be killed as one), its output in DIR/NAME.log.
spawn() {
  local name=$1
  [ -z "$(service_pid "$name")" ] || return 0
  cd "$DIR"
  if [ "$(id -u)" = 0 ]; then
    setsid runuser -u postgres -- env XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" \
      XDG_RUNTIME_DIR="$DIR/run" pg_autoctl run --pgdata "$DIR/$name" >>"$DIR/$name.log" 2>&1 </dev/null &
  else
    setsid env XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/share" XDG_RUNTIME_DIR="$DIR/run" \
      pg_autoctl run --pgdata "$DIR/$name" >>"$DIR/$name.log" 2>&1 </dev/null &
  fi
}

# Wait up to SECONDS for PostgreSQL on PORT to accept connections.
wait_ready() {
  local port=$1 seconds=$2 start; start=$(now)
  until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
    past "$start" "$seconds" && { echo "PostgreSQL on port $port did not start within ${seconds}s; see $DIR/*.log" >&2; exit 1; }
    sleep 0.2
  done
}

# Settings for a throwaway setup on a shared machine, in postgresql.auto.conf (read after pg_autoctl's
# postgresql-auto-failover.conf, whose shared_buffers is a quarter of the machine's memory and whose
# wal_keep_size is 8GB). The standby's copy comes with the primary's base backup.
local_settings() {
  local conf="$DIR/$1/postgresql.auto.conf"
  grep -q '^# auto-failover.sh' "$conf" 2>/dev/null && return 0
  as_owner tee -a "$conf" >/dev/null <<'CONF'
# auto-failover.sh: a local throwaway setup
shared_buffers = '128MB'
wal_keep_size = '512MB'
max_connections = 200
CONF
}

create_monitor() {
  [ -f "$DIR/monitor.created" ] && return 0
  autoctl create monitor --pgdata "$DIR/monitor" --pgport "$BASEPORT" --pgctl "$PGBIN/pg_ctl" \
    --hostname 127.0.0.1 --auth trust --no-ssl >>"$DIR/monitor.log" 2>&1 \
    || { tail -20 "$DIR/monitor.log" >&2; exit 1; }
  # `create monitor` has no --listen: it would listen on every address.
  autoctl config set --pgdata "$DIR/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
  local_settings monitor
  touch "$DIR/monitor.created"
}

# Without --run, `create postgres` sets the node up (initdb for the first, a base backup of the primary for the
# second), registers it with the monitor and stops; spawn runs it.
create_node() {
  local name=$1
  [ -f "$DIR/$name.created" ] && return 0
  autoctl create postgres --pgdata "$DIR/$name" --pgport "$(node_port "$name")" --pgctl "$PGBIN/pg_ctl" \
    --name "$name" --hostname 127.0.0.1 --listen 127.0.0.1 --dbname tessera --auth trust --no-ssl \
    --replication-quorum true --candidate-priority 50 \
    --monitor "postgres://autoctl_node@127.0.0.1:$BASEPORT/pg_auto_failover?sslmode=disable" \
    >>"$DIR/$name.log" 2>&1 || { tail -20 "$DIR/$name.log" >&2; exit 1; }
  local_settings "$name"
  touch "$DIR/$name.created"
}

# How soon a node that stopped answering is failed over. pg_auto_failover's defaults: the monitor checks each
# node every 5s (5s timeout, 2 retries 2s apart), calls it unhealthy 20s after its last report, then waits 30s
# (primary_demote_timeout) for an old primary that may be alive behind a partition to demote itself (its keeper
# does after network_partition_timeout, 20s, without the monitor and the standby), then promotes: about 50s
# from a crash to a new primary. TESSERA_PAF_FAST_DETECTION=1 scales that down for tests, keeping the order
# (the old primary demotes itself, after 6s, well before the monitor promotes, 6s + 10s). Set at each start.
DETECTION_GUCS="health_check_period health_check_timeout health_check_max_retries health_check_retry_delay
  node_considered_unhealthy_timeout primary_demote_timeout"
detection_monitor() {
  local guc value args=()
  for guc in $DETECTION_GUCS; do
    if [ "${TESSERA_PAF_FAST_DETECTION:-0}" = 1 ]; then
      case "$guc" in
        health_check_period | health_check_timeout) value=2000 ;;
        health_check_max_retries) value=1 ;;
        health_check_retry_delay) value=1000 ;;
        node_considered_unhealthy_timeout) value=6000 ;;
        primary_demote_timeout) value=10000 ;;
      esac
      args+=(-c "ALTER SYSTEM SET pgautofailover.$guc = $value")
    else
      args+=(-c "ALTER SYSTEM RESET pgautofailover.$guc")
    fi
  done
  psql_ -h 127.0.0.1 -p "$BASEPORT" -U postgres -d pg_auto_failover "${args[@]}" -c "SELECT pg_reload_conf()" \
    >/dev/null
}
detection_node() {
  local seconds=20
  [ "${TESSERA_PAF_FAST_DETECTION:-0}" = 1 ] && seconds=6
  local out
  out=$(autoctl config set --pgdata "$DIR/$1" timeout.network_partition_timeout "$seconds" 2>&1) \
    || { echo "$out" >&2; exit 1; }
  [ -z "$(service_pid "$1")" ] || autoctl reload --pgdata "$DIR/$1" >/dev/null 2>&1 || true
}

# "P S": how many nodes reported to the monitor since SINCE (its clock) that they are primary and secondary, as
# assigned. (The monitor keeps the last state of a node that has stopped: an old report proves nothing.)
node_counts() {
  monitor_sql "SELECT count(*) FILTER (WHERE reportedstate = 'primary'), count(*) FILTER (WHERE reportedstate =
    'secondary') FROM pgautofailover.node WHERE reportedstate = goalstate AND reportedpgisrunning
    AND reporttime > '$1'" 2>/dev/null | tr '|' ' '
}

# The name of the node the monitor reports as primary or wait_primary (a primary without a standby), if any.
primary_name() {
  monitor_sql "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary')
    AND goalstate = reportedstate ORDER BY nodeid LIMIT 1" 2>/dev/null || true
}

url() {
  local uri
  uri=$(autoctl show uri --pgdata "$DIR/monitor" --formation default)
  # postgres://127.0.0.1:P1,127.0.0.1:P2/tessera?target_session_attrs=read-write&sslmode=prefer, as user
  # tessera, and without TLS, which these nodes do not offer.
  echo "$uri" | sed -e 's#^postgres://\([^@/]*@\)\{0,1\}#postgres://tessera@#' -e 's#/[^/?]*?#/tessera?#' \
    -e 's#sslmode=[a-z-]*#sslmode=disable#'
}

# The port of the node that commits a write through URL: a connection with target_session_attrs=read-write, then
# a commit that needs a primary (a temporary table leaves nothing behind). Nothing if it fails.
write_port() {
  psql_ -tA -d "$1&connect_timeout=2" -c "CREATE TEMP TABLE probe (x int); INSERT INTO probe VALUES (1);
    SELECT inet_server_port()" 2>/dev/null || true
}

# From START, until a write through URL commits on another node than OLD, the monitor reports a primary other
# than OLD and (if given) process PID has exited; then prints when each happened.
wait_promotion() {
  local old=$1 url=$2 start=$3 pid=${4:-} old_port new="" port t_reported="" t_write="" t_done=""
  old_port=$(node_port "$old")
  [ -n "$pid" ] || t_done=-
  while [ -z "$t_reported" ] || [ -z "$t_write" ] || [ -z "$t_done" ]; do
    if [ -z "$t_write" ]; then
      port=$(write_port "$url")
      if [ -n "$port" ] && [ "$port" != "$old_port" ]; then t_write=$(since "$start"); fi
    fi
    if [ -z "$t_reported" ]; then
      new=$(primary_name)
      if [ -n "$new" ] && [ "$new" != "$old" ]; then t_reported=$(since "$start"); else new=""; fi
    fi
    if [ -z "$t_done" ] && ! kill -0 "$pid" 2>/dev/null; then t_done=$(since "$start"); fi
    past "$start" 150 && { echo "no new primary within 150s; see: $0 state $DIR" >&2; exit 1; }
    sleep 0.1
  done
  echo "$new is primary: writes through the URL commit on it after ${t_write}s;" \
    "the monitor reports it after ${t_reported}s" >&2
  [ "$t_done" = - ] || echo "perform failover returned after ${t_done}s, once $old was a synchronous" \
    "secondary again" >&2
}

start() {
  BASEPORT=${1:-$DEFAULT_BASEPORT}
  mkdir -p "$DIR/run"
  if [ -f "$DIR/baseport" ] && [ "$(cat "$DIR/baseport")" != "$BASEPORT" ]; then
    echo "$DIR was set up with base port $(cat "$DIR/baseport"), not $BASEPORT" >&2; exit 1
  fi
  echo "$BASEPORT" >"$DIR/baseport"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$DIR"
  chmod 700 "$DIR/run"
  create_monitor
  spawn monitor
  wait_ready "$BASEPORT" 60
  detection_monitor
  create_node node1
  detection_node node1
  spawn node1
  wait_ready "$(node_port node1)" 60
  create_node node2   # a base backup of node1, which must be running
  detection_node node2
  spawn node2
  local start_wait monitor_now; start_wait=$(now); monitor_now=$(monitor_sql "SELECT now()")
  until [ "$(node_counts "$monitor_now")" = "1 1" ]; do
    if past "$start_wait" 180; then
      autoctl show state --pgdata "$DIR/monitor" >&2 || true
      echo "no primary and secondary within 180s; see $DIR/*.log" >&2; exit 1
    fi
    sleep 0.5
  done
  # The role the application logs in as, owner of the database that pg_autoctl created (--dbname tessera); as
  # postgres through the URL, so on the primary. initdb --auth=trust's pg_hba.conf lets both in from 127.0.0.1.
  local admin sync; admin=$(url | sed 's#^postgres://tessera@#postgres://postgres@#')
  psql_ -d "$admin" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tessera') THEN CREATE ROLE tessera LOGIN; END IF;
    END \$\$; ALTER DATABASE tessera OWNER TO tessera" >/dev/null
  sync=$(psql_ -d "$admin" -tA -c "SELECT current_setting('synchronous_standby_names') || '|' ||
    current_setting('synchronous_commit')")
  case "$sync" in
    "ANY 1 ("*"|on") ;;
    *) echo "the primary does not wait for the standby (synchronous_standby_names|synchronous_commit: $sync)" >&2
       exit 1 ;;
  esac
  url
}

failover() {
  read_baseport
  local old url start pid
  old=$(primary_name); url=$(url)
  [ -n "$old" ] || { echo "the monitor reports no primary" >&2; exit 1; }
  start=$(now)
  # It returns once the old primary has rejoined as a secondary; writes go to the new one before that.
  autoctl perform failover --pgdata "$DIR/monitor" >>"$DIR/failover.log" 2>&1 &
  pid=$!
  wait_promotion "$old" "$url" "$start" "$pid"
  wait "$pid" || { tail -20 "$DIR/failover.log" >&2; exit 1; }
}

stop_primary() {
  read_baseport
  local old url pid pgid postmaster start
  old=$(primary_name); url=$(url)
  [ -n "$old" ] || { echo "the monitor reports no primary" >&2; exit 1; }
  pid=$(service_pid "$old")
  postmaster=$(postmaster_pid "$old")
  start=$(now)
  # The whole node at once, as a crash of its host: pg_autoctl's processes share a process group (spawn's
  # setsid); the postmaster is in it too, and its children exit when it is gone.
  if [ -n "$pid" ]; then
    pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  [ -z "$postmaster" ] || kill -KILL "$postmaster" 2>/dev/null || true
  echo "killed $old (pg_autoctl ${pid:-not running}, postgres ${postmaster:-not running})" >&2
  wait_promotion "$old" "$url" "$start"
}

# Stop NAME: pg_autoctl stops its PostgreSQL (fast) and exits; if anything is left after 30s, SIGKILL.
stop_one() {
  local name=$1 pid pgid
  [ -d "$DIR/$name" ] || return 0
  pid=$(service_pid "$name")
  if [ -n "$pid" ]; then
    pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
    autoctl stop --pgdata "$DIR/$name" >/dev/null 2>&1 || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 -- "-$pgid" 2>/dev/null; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
  fi
  # A PostgreSQL left by a killed pg_autoctl.
  if [ -n "$(postmaster_pid "$name")" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR/$name" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_owner "$PGBIN/pg_ctl" -D "$DIR/$name" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

stop() {
  [ -d "$DIR" ] || return 0
  local primary="" name
  [ -f "$DIR/baseport" ] && BASEPORT=$(cat "$DIR/baseport") && primary=$(primary_name)
  # The secondary first, then the primary (so that the monitor never promotes one while the other stops),
  # the monitor last.
  for name in node1 node2; do [ "$name" = "$primary" ] || stop_one "$name"; done
  [ -z "$primary" ] || stop_one "$primary"
  stop_one monitor
}

usage() {
  echo "usage: $0 install | start DIR [BASEPORT] | failover DIR | stop-primary DIR | state DIR | uri DIR | stop DIR" >&2
  exit 2
}

[ $# -ge 1 ] || usage
command=$1; shift
if [ "$command" != install ]; then
  [ $# -ge 1 ] || usage
  if [ "$command" = start ]; then mkdir -p "$1"; fi
  if [ ! -d "$1" ]; then
    [ "$command" = stop ] && exit 0
    echo "no pg_auto_failover setup in $1" >&2; exit 1
  fi
  DIR=$(cd "$1" && pwd)
  shift
fi
case "$command" in
  install) install_failover ;;
  start) [ $# -le 1 ] || usage; install_failover; start "${1:-}" ;;
  failover) need_installed; failover ;;
  stop-primary) need_installed; stop_primary ;;
  state) need_installed; read_baseport; autoctl show state --pgdata "$DIR/monitor" ;;
  uri) need_installed; read_baseport; url ;;
  stop) need_installed; stop ;;
  *) usage ;;
esac
