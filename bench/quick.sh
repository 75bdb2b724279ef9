#!/usr/bin/env bash
# A quick client_credentials benchmark: release build, a throwaway durable PostgreSQL (fsync and
# synchronous_commit on), one tenant and application, the server, then wrk. Stops everything it started.
#
#   bench/quick.sh [DURATION=20s] [CONNECTIONS=64]
# Env: TESSERA_STORE=direct|batched (default batched), TESSERA_BIN (a binary to measure).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20s}
connections=${2:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

# TESSERA_BIN: a tessera binary to measure instead of building one.
if [ -z "${TESSERA_BIN:-}" ]; then
  swift build -c release --product tessera >&2
  TESSERA_BIN="$(swift build -c release --show-bin-path)/tessera"
fi
tessera=$TESSERA_BIN

dir=$(mktemp -d /tmp/tessera-bench.XXXXXX)
chmod 755 "$dir"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  deploy/postgres.sh stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
http_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL=$(deploy/postgres.sh start "$dir" "$pg_port")
export DATABASE_URL

"$tessera" migrate >/dev/null
"$tessera" tenant create bench.test >/dev/null
credentials=$("$tessera" app create --tenant bench.test --name bench --json)
read -r key secret < <(echo "$credentials" | python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["consumer_key"], c["consumer_secret"])')
AUTHORIZATION="Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"
export AUTHORIZATION

"$tessera" serve --port "$http_port" --log-level warning 2>"$dir/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$http_port/token" && break
  sleep 0.1
done

url="http://127.0.0.1:$http_port/t/bench.test/token"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%FT%TZ)"
echo "command: wrk -t2 -c$connections -d$duration --latency -s bench/token.lua $url"
wrk -t2 -c10 -d3s -s bench/token.lua "$url" >/dev/null   # warm-up
wrk -t2 -c"$connections" -d"$duration" --latency -s bench/token.lua "$url"
