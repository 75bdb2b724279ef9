#!/usr/bin/env bash
# Token table growth and purge (issue 4, Deliver 7), measured on a throwaway durable PostgreSQL:
#
#   bench/lifecycle.sh [--live 10000000] [--expired 1000000] [--duration 15s] [--connections 64] [--binary PATH]
#
#   1. client_credentials with an empty token table;
#   2. the same after --live tokens were stored in the very partition the new tokens go to (they expire in
#      an hour, like the benchmark's): the ratio to 1. is what counts;
#   3. --expired tokens that expired yesterday, then the same load again while `tessera purge` runs in the
#      middle of it: the purge's own time, and the load's rate and p99 next to run 2.
# Prints one table and writes raw output to bench/results/<UTC time>-lifecycle/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
live=10000000 expired=1000000 duration=15s connections=64 binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --live) live=$2; shift 2 ;;
    --expired) expired=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$live" =~ ^[0-9]+$ && "$expired" =~ ^[0-9]+$ && "$connections" =~ ^[0-9]+$ ]] || die "numbers expected"

bench_traps
need_tools
tessera_binary "$binary"
results="$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)-lifecycle"
mkdir -p "$results"
work_dir lifecycle
summary="$results/summary.txt"
note() { echo "$*" | tee -a "$summary" >&2; }
note "date:     $(date -u '+%F %T UTC'); machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
note "command:  bench/lifecycle.sh --live $live --expired $expired --duration $duration --connections $connections"

start_postgres "$work/pg"
note "database: $(pg_settings "$DATABASE_URL")"
"$TESSERA" migrate >/dev/null
seed_one bench.test "$work/cc.tsv"
# --purge-interval 0: this script decides when purge runs.
start_tessera_args=(--purge-interval 0)
port=$(free_port)
"$TESSERA" serve --port "$port" --log-level warning "${start_tessera_args[@]}" "${SERVE_OFF[@]}" >"$results/tessera.log" 2>&1 &
SERVER_PID=$!
on_exit "stop_pid $SERVER_PID"
BASE_URL="http://127.0.0.1:$port"
for _ in $(seq 1 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/token" || true)" != 000 ] && break
  sleep 0.1
done

sql() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qtA "$@"; }
rows=()
# load NAME: wrk at the settings above; appends "NAME rps p50 p99 errors" to the table.
load() {
  local name=$1 out="$results/$1.txt" parsed
  run_wrk "$results/$name-warmup.txt" "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials 2 "$connections" 3s
  run_wrk "$out" "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials 2 "$connections" "$duration"
  parsed=$(python3 "$BENCH_DIR/wrk_report.py" parse "$out")
  read -r _ rps p50 p99 _ _ errors _ <<<"$parsed"
  rows+=("$name|$rps|$p50|$p99|$errors")
  say "  $name: $rps/s p50 $p50 ms p99 $p99 ms errors $errors"
}

# Bulk tokens straight into the table, as the server would write them (tenant 1, application 1).
fill() {
  local count=$1 expiry=$2 label=$3
  sql -c "SELECT tessera_ensure_token_partition('access_tokens', $expiry)" >/dev/null
  sql -c "INSERT INTO access_tokens (tenant_id, token_hash, expires_at, application_id, subject, scopes, grant_type, issued_at)
          SELECT 1, sha256(int8send(i) || convert_to('$label', 'UTF8')), $expiry, 1, 'bench', '{default}',
                 'client_credentials', now()
          FROM generate_series(1, $count) i"
  sql -c "ANALYZE access_tokens" >/dev/null
}

say "1. empty token table ..."
sql -c "TRUNCATE access_tokens"
load empty

say "2. storing $live live tokens in the partition the benchmark writes to ..."
started=$(date +%s)
fill "$live" "now() + interval '3600 seconds'" live
note "filled:   $live live tokens in $(($(date +%s) - started)) s; access_tokens is $(sql -c "SELECT pg_size_pretty(sum(pg_total_relation_size(partition::regclass))) FROM token_partitions WHERE parent = 'access_tokens'")"
load "live-$live"

say "3. storing $expired tokens that expired yesterday, then purging during the load ..."
fill "$expired" "now() - interval '1 day'" expired
(sleep 6; /usr/bin/time -f '%e' -o "$results/purge-time.txt" "$TESSERA" purge >"$results/purge.txt" 2>&1) &
purger=$!
load "purge-during-load"
wait "$purger" || die "tessera purge failed: $(cat "$results/purge.txt")"
note "purge:    $(cat "$results/purge.txt") (wall clock of the command, connection included: $(cat "$results/purge-time.txt") s)"
note "left:     $(sql -c 'SELECT count(*) FROM access_tokens') tokens"

{
  printf '%-24s %12s %10s %10s %8s\n' scenario requests/s p50_ms p99_ms errors
  for row in "${rows[@]}"; do
    IFS='|' read -r name rps p50 p99 errors <<<"$row"
    printf '%-24s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  done
} | tee -a "$summary"
