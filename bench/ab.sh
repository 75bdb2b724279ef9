#!/usr/bin/env bash
# A/B of two builds in one run: client_credentials at 64 connections against one durable PostgreSQL, the two
# binaries alternating round by round, each with CPU per request measured from /proc (user + system time of the
# server, and of every PostgreSQL process of the cluster, over the measured run). On these shared machines the
# rate moves with what the host takes; CPU per request, and ratios of the same run, do not.
#
#   bench/ab.sh --a PATH --b PATH [--rounds 3] [--duration 10s] [--connections 64]
set -euo pipefail
cd "$(dirname "$0")/.."
a="" b="" rounds=3 duration=10s connections=64
while [ $# -gt 0 ]; do
  case "$1" in
    --a) a=$2; shift 2 ;;
    --b) b=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "usage: $0 --a PATH --b PATH [--rounds 3] [--duration 10s] [--connections 64]" >&2; exit 2 ;;
  esac
done
[ -x "$a" ] && [ -x "$b" ] || { echo "--a and --b must be executables" >&2; exit 2; }
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

dir=$(mktemp -d /tmp/tessera-ab.XXXXXX); chmod 755 "$dir"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  deploy/postgres.sh stop "$dir/pg" || true
  rm -rf "$dir"
}
trap cleanup EXIT
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL=$(deploy/postgres.sh start "$dir/pg" "$pgport")
"$b" migrate >/dev/null
"$b" tenant create bench.test >/dev/null
creds=$("$b" app create --tenant bench.test --name bench --json)
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["consumer_key"])' "$creds")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["consumer_secret"])' "$creds")
export AUTHORIZATION="Basic $(printf '%s' "$key:$secret" | base64 -w0)"
ticks=$(getconf CLK_TCK)

# CPU seconds (user + system) of a process, and of every process whose command line names the cluster's folder.
cpu_of() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
cpu_of_postgres() {
  local total=0 pid
  for pid in $(pgrep -f "$dir/pg/data"; pgrep -P "$(head -1 "$dir/pg/data/postmaster.pid")"); do
    [ -r "/proc/$pid/stat" ] && total=$(awk -v s="$total" -v t="$ticks" '{print s + ($14 + $15) / t}' "/proc/$pid/stat")
  done
  echo "$total"
}

printf '%-5s %-3s %10s %14s %14s %8s\n' round bin "tokens/s" "server us/tok" "postgres us/tok" errors
for round in $(seq 1 "$rounds"); do
  # a first in odd rounds, b first in even ones: a host that speeds up or slows down through the run favours
  # neither side (session 18's A/B ran b second in every round and could not tell a gain from the host).
  order="a b"; [ $((round % 2)) -eq 0 ] && order="b a"
  for side in $order; do
    binary=$a; [ "$side" = b ] && binary=$b
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$binary" serve --port "$port" --https-port 0 --metrics-port 0 --purge-interval 0 --log-level notice \
      2>"$dir/server-$side-$round.log" &
    server=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health/live" && break; sleep 0.1; done
    url="http://127.0.0.1:$port/t/bench.test/token"
    wrk -t2 -c"$connections" -d3s -s bench/token.lua "$url" >/dev/null
    sync -f "$dir"
    s0=$(cpu_of "$server"); p0=$(cpu_of_postgres)
    wrk -t2 -c"$connections" -d"$duration" -s bench/token.lua "$url" >"$dir/wrk.txt"
    s1=$(cpu_of "$server"); p1=$(cpu_of_postgres)
    requests=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
    rate=$(awk '/Requests\/sec/ {print $2}' "$dir/wrk.txt")
    errors=$(awk '/^status / && $2 != "200:" {n += $3} END {print n + 0}' "$dir/wrk.txt")
    printf '%-5s %-3s %10s %14.1f %14.1f %8s\n' "$round" "$side" "$rate" \
      "$(echo "($s1 - $s0) * 1000000 / $requests" | bc -l)" "$(echo "($p1 - $p0) * 1000000 / $requests" | bc -l)" "$errors"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
