#!/usr/bin/env bash
# Server memory against tokens issued (issue 5): RSS after a warm-up, then after every further million tokens,
# up to --tokens (5,000,000), client_credentials at --connections on a throwaway durable PostgreSQL.
#
#   bench/memory.sh [--tokens 5000000] [--connections 64] [--binary PATH]
#
# Memory that grew with tokens issued (a cache keyed by token, a leak per request) shows as a climbing RSS;
# a flat one, after the first million has warmed allocators and pools, is the goal.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

tokens=5000000 connections=64 binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tokens) tokens=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$tokens" =~ ^[0-9]+$ && "$connections" =~ ^[0-9]+$ ]] || die "numbers expected"

bench_traps
need_tools
tessera_binary "$binary"
work_dir memory
start_postgres "$work/pg"
"$TESSERA" migrate >/dev/null
seed_one bench.test "$work/cc.tsv"
start_tessera "$work/tessera.log"
count() { psql "$DATABASE_URL" -tA -c 'SELECT count(*) FROM access_tokens'; }

echo "date: $(date -u '+%F %T UTC'); machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/{print $2}') GiB; wrk -t2 -c$connections"
run_wrk "$work/warmup.txt" "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials 2 "$connections" 5s
printf '%12s %12s\n' tokens "RSS (MiB)"
printf '%12s %12s\n' "$(count)" "$(awk '{printf "%.1f", $1 / 1024}' <<<"$(rss_kib "$SERVER_PID")")"
(cd "$BENCH_DIR" && CREDENTIALS="$work/cc.tsv" exec wrk -t2 -c"$connections" -d2h -s token.lua "$BASE_URL") \
  >"$work/load.txt" 2>&1 &
WRK_PID=$!
step=$(( tokens < 1000000 ? tokens : 1000000 ))
next=$step
while true; do
  sleep 5
  issued=$(count)
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped (see $work/tessera.log)"
  if [ "$issued" -ge "$next" ]; then
    printf '%12s %12s\n' "$issued" "$(awk '{printf "%.1f", $1 / 1024}' <<<"$(rss_kib "$SERVER_PID")")"
    next=$((next + step))
  fi
  [ "$issued" -ge "$tokens" ] && break
done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
WRK_PID=""
grep -E "^status|Socket errors" "$work/load.txt" || true
