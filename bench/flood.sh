#!/usr/bin/env bash
# A flood of bad client credentials beside a legitimate client (issue 14, Deliver item 6).
#
#   bench/flood.sh [--binary PATH] [--rate 400] [--factor 6] [--duration 20] [--keys 50000] [--addresses 16]
#
# A durable throwaway PostgreSQL, one application (bench.test), and `tessera serve --trusted-proxies 127.0.0.1`, so
# that X-Forwarded-For names each request's address. Two phases of --duration seconds, each measured with
# bench/ratebench.c (fixed rate, latency from each request's due time):
#   solo   the legitimate client: client_credentials at --rate on 8 connections, from 10.0.0.1;
#   flood  the same, while a second generator sends --factor times that rate on 32 connections from --addresses
#          addresses (10.9.0.1, 10.9.0.2, ...): half with random consumer keys that look like ours (28 alphanumerics, from a
#          list of --keys, each sent again only after the whole list), half with the real key and a wrong secret.
# Prints per phase the legitimate client's rate, p50, p99 and errors, the flood's answers by status, and what the
# database did: transactions/s (pg_stat_database) and application lookups/s (index scans of `applications`). The
# figures to hold: the legitimate client keeps >= 80% of its solo rate and at most 2x its solo p99.
# Output under bench/results/<UTC time>-flood/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_traps

binary="" rate=400 factor=6 duration=20 keys=50000 addresses=16
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --factor) factor=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --addresses) addresses=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
need_tools
tessera_binary "$binary"
results="$REPO_DIR/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-flood"
mkdir -p "$results"
work_dir flood
cc -O2 -o "$work/ratebench" "$BENCH_DIR/ratebench.c"

start_postgres "$work/pg"
"$TESSERA" migrate >/dev/null
seed_one bench.test "$work/cc.tsv"
TESSERA_TRUSTED_PROXIES=127.0.0.1 start_tessera "$results/tessera.log"
port=${BASE_URL##*:}

# The requests: the legitimate one, and the flood's list (random keys and wrong secrets, alternating).
python3 - "$work/cc.tsv" "$work/legit.txt" "$work/flood.txt" "$keys" "$addresses" <<'PY'
import base64, random, string, sys
path, authorization = open(sys.argv[1]).read().rstrip("\n").split("\t")
key = base64.b64decode(authorization.split()[1]).decode().split(":")[0]
body = "grant_type=client_credentials"
def request(authorization, address):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: {address}\r\nAuthorization: {authorization}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}")
open(sys.argv[2], "w").write(request(authorization, "10.0.0.1"))
alphabet = string.ascii_letters + string.digits
flood = []
for i in range(int(sys.argv[4])):
    number = i % int(sys.argv[5]) + 1
    address = f"10.9.{number // 256}.{number % 256}"
    if i % 2 == 0:
        credentials = "".join(random.choices(alphabet, k=28)) + ":" + "".join(random.choices(alphabet, k=32))
    else:
        credentials = key + ":" + "".join(random.choices(alphabet, k=32))
    flood.append(request("Basic " + base64.b64encode(credentials.encode()).decode(), address))
open(sys.argv[3], "w").write("".join(r + "\x1e\n" for r in flood))
PY

# database_counters: "transactions application_index_scans"
database_counters() {
  psql "$DATABASE_URL" -tA -F' ' -c "SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database
    WHERE datname = current_database()), (SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables
    WHERE relname = 'applications')"
}

legit() { "$work/ratebench" 127.0.0.1 "$port" "$rate" "$1" 8 "$work/legit.txt"; }

say "warm-up: 3 s of the legitimate client"
legit 3 >"$results/warmup.txt"
sync -f "$work"

phase() {
  local name=$1 before after
  before=$(database_counters)
  local started=$SECONDS
  if [ "$name" = flood ]; then
    "$work/ratebench" 127.0.0.1 "$port" "$((rate * factor))" "$((duration + 2))" 32 "$work/flood.txt" \
      >"$results/flood-generator.txt" &
    local flood_pid=$!
    sleep 1
  fi
  legit "$duration" >"$results/$name.txt"
  [ "$name" = flood ] && wait "$flood_pid"
  after=$(database_counters)
  echo "$before $after $((SECONDS - started))" >"$results/$name-database.txt"
}
say "solo: the legitimate client alone, $rate/s for $duration s"
phase solo
say "flood: the same beside $((rate * factor))/s of bad credentials from $addresses addresses"
phase flood

python3 - "$results" "$rate" "$factor" <<'PY'
import re, sys
results, rate, factor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def legit(name):
    text = open(f"{results}/{name}.txt").read()
    completed, rps = re.search(r"completed (\d+) \(([\d.]+)/s\)", text).groups()
    errors = sum(int(x) for x in re.search(r"non-2xx (\d+), socket errors (\d+), not sent (\d+)", text).groups())
    p50 = float(re.search(r"^p50\s+([\d.]+) ms", text, re.M).group(1))
    p99 = float(re.search(r"^p99\s+([\d.]+) ms", text, re.M).group(1))
    b0, b1, a0, a1, seconds = map(int, open(f"{results}/{name}-database.txt").read().split())
    return float(rps), p50, p99, errors, (a0 - b0) / seconds, (a1 - b1) / seconds
solo, flood = legit("solo"), legit("flood")
print(f"{'phase':6} {'legit/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'db xact/s':>9} {'app lookups/s':>13}")
for name, row in (("solo", solo), ("flood", flood)):
    print(f"{name:6} {row[0]:8.1f} {row[1]:7.2f} {row[2]:7.2f} {row[3]:6d} {row[4]:9.1f} {row[5]:13.1f}")
generator = open(f"{results}/flood-generator.txt").read()
sent = re.search(r"completed (\d+) \(([\d.]+)/s\), non-2xx (\d+)", generator)
statuses = ", ".join(f"{code}: {count}" for code, count in re.findall(r"^status (\d+): (\d+)", generator, re.M))
print(f"flood: {rate * factor}/s scheduled; answers by status: {statuses}")
print(f"legit under flood: {100 * flood[0] / solo[0]:.0f}% of its solo rate (>= 80% to hold), "
      f"p99 {flood[2] / solo[2]:.2f}x solo (<= 2x to hold)")
PY
say "raw output: $results"
