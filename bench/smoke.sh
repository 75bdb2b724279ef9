#!/usr/bin/env bash
# Benchmark smoke: a few seconds of client_credentials under wrk; fails on errors, never on speed.
#
#   bench/smoke.sh [--binary PATH] [--duration 3s] [--connections 8]
#   bench/smoke.sh --url http://127.0.0.1:8280 --tenant acme.com --key KEY --secret SECRET [...]
#
# Without --url it starts what it needs and stops it afterwards: a throwaway durable PostgreSQL, one tenant and
# application made with the CLI, and the server (the binary from --binary, else a release build). With --url it
# measures a server that is already running, with the given application's credentials.
#
# Exits 0 when every answer was 2xx, no socket error happened and at least one request completed; otherwise
# prints why and exits 1. The raw wrk output is printed as well.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

duration=3s connections=8 binary="" url="" tenant="" key="" secret=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --url) url=${2%/}; shift 2 ;;
    --tenant) tenant=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --secret) secret=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
threads=2
[ "$connections" -ge 2 ] || threads=1

bench_traps
work_dir smoke
command -v wrk >/dev/null || need_tools

if [ -n "$url" ]; then
  [ -n "$tenant" ] && [ -n "$key" ] && [ -n "$secret" ] || die "--url needs --tenant, --key and --secret"
  printf '/t/%s/token\tBasic %s\n' "$tenant" "$(printf '%s:%s' "$key" "$secret" | base64 -w0)" >"$work/cc.tsv"
  BASE_URL=$url
  log=""
else
  need_tools
  tessera_binary "$binary"
  start_postgres "$work/pg"
  "$TESSERA" migrate >/dev/null
  seed_one smoke.test "$work/cc.tsv"
  log="$work/server.log"
  start_tessera "$log"
fi

failed() {
  say "smoke: FAILED: $*"
  [ -n "$log" ] && { say "--- server log (last 20 lines)"; tail -20 "$log" >&2; }
  exit 1
}

check_token "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials || failed "the first token request was not answered 200"
run_wrk "$work/wrk.txt" "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials "$threads" "$connections" "$duration"
cat "$work/wrk.txt"
read -r requests rps p50 p99 non2xx socket errors statuses < <(python3 "$BENCH_DIR/wrk_report.py" parse "$work/wrk.txt")
summary="$requests requests, $rps requests/s, p50 $p50 ms, p99 $p99 ms, statuses $statuses, non-2xx $non2xx, socket errors $socket"
[ "$requests" -gt 0 ] || failed "no request completed ($summary)"
[ "$errors" = 0 ] || failed "$errors errors ($summary)"
echo "smoke: ok: $summary"
