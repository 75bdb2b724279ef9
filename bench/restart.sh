#!/usr/bin/env bash
# PostgreSQL restarted under load (issue 20): recovery time, 503s and the slowest answer around each restart.
#
#   bench/restart.sh [--binary PATH] [--runs 3] [--postgres durable|fast]
#
# Runs Tests/restart/restart_under_load.py --runs N: a throwaway PostgreSQL (durable by default, as the other
# scenarios; fast = fsync off, as the test command), the server from --binary (default .build/release/tessera, else
# .build/debug/tessera; never builds), 8 threads looping client_credentials on /token and 4 on /introspect, and per
# run a kill -9 of PostgreSQL then a fast stop, each restarted ~2 s later. Prints per run and fault: the outage, the
# recovery time (PostgreSQL accepting connections again -> first token answered 200), the readiness delay, the 503s
# and the max latency; exits 1 if any of the test's assertions failed. The output is kept under
# bench/results/<UTC time>-restart/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

binary="" runs=3 postgres=durable
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --postgres) postgres=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  for candidate in "$repo/.build/release/tessera" "$repo/.build/debug/tessera"; do
    [ -x "$candidate" ] && { binary=$candidate; break; }
  done
fi
[ -n "$binary" ] && [ -x "$binary" ] || { echo "no tessera binary: build one, or pass --binary PATH" >&2; exit 1; }

"$repo/deploy/postgres.sh" install
out="$repo/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-restart"
mkdir -p "$out"
echo "binary: $binary ($(stat -c '%y' "$binary" | cut -d. -f1)); PostgreSQL: $postgres; results: $out"
status=0
python3 "$repo/Tests/restart/restart_under_load.py" --binary "$binary" --runs "$runs" --postgres "$postgres" \
  2>&1 | tee "$out/output.txt" || status=$?
exit "$status"
