# Shared by the scripts of bench/ (sourced, not run). Bash; the caller sets -euo pipefail.
#
# Everything started here is registered with on_exit, and run_cleanup (trapped on EXIT, INT and TERM by
# bench_traps) undoes it in reverse order: the servers by PID, the PostgreSQL clusters with pg_ctl.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

CLEANUP=()
on_exit() { CLEANUP+=("$1"); }
run_cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  [ -n "${WRK_PID:-}" ] && { kill -INT "$WRK_PID" 2>/dev/null || true; }
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUP[$i]}" >/dev/null 2>&1 || true
  done
  CLEANUP=()
  exit "$status"
}
bench_traps() {
  trap run_cleanup EXIT
  trap 'echo "interrupted; stopping everything started" >&2; exit 130' INT
  trap 'exit 143' TERM
}

say() { echo "$*" >&2; }

# work_dir NAME: sets $work to a new scratch directory /tmp/tessera-NAME.*, readable by the postgres user that runs
# the clusters inside it, and removed on exit.
work_dir() {
  work=$(mktemp -d "/tmp/tessera-$1.XXXXXX")
  chmod 755 "$work"
  on_exit "rm -rf '$work'"
}

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; waits when it is our child.
stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
die() { say "bench: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_tools() {
  command -v python3 >/dev/null || die "python3 is needed (seeding and the report)"
  command -v curl >/dev/null || die "curl is needed"
  if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package)..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
  fi
  "$REPO_DIR/deploy/postgres.sh" install
  command -v psql >/dev/null || die "psql is needed (it comes with Debian's postgresql package)"
}

# tessera_binary [PATH]: sets TESSERA to PATH, or builds the release binary.
tessera_binary() {
  if [ -n "${1:-}" ]; then
    [ -x "$1" ] || die "--binary $1: not an executable file"
    TESSERA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  else
    say "building: swift build -c release --product tessera (minutes the first time)"
    (cd "$REPO_DIR" && swift build -c release --product tessera >&2)
    TESSERA="$(cd "$REPO_DIR" && swift build -c release --show-bin-path)/tessera"
  fi
}

# cpu_seconds PID...: user + system CPU seconds the processes have used so far (a process gone counts 0).
cpu_seconds() {
  local ticks pid
  ticks=$(getconf CLK_TCK)
  for pid in "$@"; do cat "/proc/$pid/stat" 2>/dev/null || true; done |
    awk -v t="$ticks" '{s += $14 + $15} END {printf "%.3f", s / t}'
}

# cluster_pids DATA_DIR: the postmaster of the PostgreSQL cluster in DATA_DIR and every process it started.
cluster_pids() {
  local master
  master=$(head -1 "$1/postmaster.pid" 2>/dev/null) || return 0
  echo "$master"
  pgrep -P "$master" || true
}

# per_request_us BEFORE AFTER REQUESTS: CPU microseconds per request between two cpu_seconds readings.
# seconds_of DURATION: wrk's 20s, 2m or 1h in seconds.
seconds_of() {
  case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *) echo "${1%s}" ;;
  esac
}

per_request_us() {
  awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN {if (n > 0) printf "%.1f", (a - b) * 1000000 / n; else print "-"}'
}

# start_postgres DIR: a throwaway durable cluster (deploy/postgres.sh without "fast"); sets DATABASE_URL.
start_postgres() {
  local dir=$1 port
  port=$(free_port)
  on_exit "'$REPO_DIR/deploy/postgres.sh' stop '$dir'"
  DATABASE_URL=$("$REPO_DIR/deploy/postgres.sh" start "$dir" "$port")
  export DATABASE_URL
}

# pg_settings URL: "PostgreSQL 15.x, fsync on, synchronous_commit on"
pg_settings() {
  psql "$@" -tA -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync ' ||
    current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit')"
}

# SERVE_OFF: the benchmarks measure plain HTTP. HTTPS and metrics would take fixed ports (8243, 9090) that
# parallel runs share, and HTTPS would make a 0700 .tessera in the working directory for its certificate.
SERVE_OFF=(--https-port 0 --metrics-port 0)

# start_tessera LOG: serves on a free port; sets SERVER_PID and BASE_URL.
start_tessera() {
  local log=$1 port status
  port=$(free_port)
  "$TESSERA" serve --port "$port" --log-level warning "${SERVE_OFF[@]}" >"$log" 2>&1 &
  SERVER_PID=$!
  on_exit "stop_pid $SERVER_PID"
  BASE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$log" >&2; die "tessera serve exited"; }
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/token" || true)
    [ "$status" != 000 ] && return 0
    sleep 0.1
  done
  die "tessera serve did not answer on $BASE_URL within 20 s"
}

# seed_one TENANT OUTFILE: one tenant and one application through the CLI; writes the credentials line.
seed_one() {
  local tenant=$1 out=$2 json key secret
  "$TESSERA" tenant create "$tenant" >/dev/null
  json=$("$TESSERA" app create --tenant "$tenant" --name bench --json)
  read -r key secret < <(python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["consumer_key"], c["consumer_secret"])' <<<"$json")
  printf '/t/%s/token\tBasic %s\n' "$tenant" "$(printf '%s:%s' "$key" "$secret" | base64 -w0)" >"$out"
}

# seed_many DIR TENANTS APPS_PER_TENANT: bulk tenants and applications with COPY; writes DIR/credentials.tsv.
seed_many() {
  local dir=$1 tenants=$2 apps=$3
  python3 "$BENCH_DIR/seed.py" "$dir" --tenants "$tenants" --apps-per-tenant "$apps"
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q <<SQL
BEGIN;
CREATE TEMP TABLE seed_tenants (domain text) ON COMMIT DROP;
CREATE TEMP TABLE seed_applications (domain text, consumer_key text, secret_hash text, name text) ON COMMIT DROP;
\copy seed_tenants FROM '$dir/tenants.csv' WITH (FORMAT csv)
\copy seed_applications FROM '$dir/applications.csv' WITH (FORMAT csv)
INSERT INTO tenants (domain) SELECT domain FROM seed_tenants;
INSERT INTO applications (tenant_id, consumer_key, secret_hash, name, grant_types, allowed_scopes, default_scopes,
                          default_token_validity, max_token_validity)
SELECT t.tenant_id, s.consumer_key, s.secret_hash, s.name,
       '{client_credentials}', '{default}', '{default}', 3600, 86400
FROM seed_applications s JOIN tenants t USING (domain);
COMMIT;
ANALYZE tenants;
ANALYZE applications;
SQL
}

# check_token BASE_URL CREDENTIALS FORM: one request with the first credentials line; fails unless 200.
check_token() {
  local base=$1 credentials=$2 form=$3 path authorization line_form status body
  IFS=$'\t' read -r path authorization line_form <"$credentials"
  [ -n "$line_form" ] && form=$line_form
  body=$(mktemp)
  status=$(curl -s -o "$body" -w '%{http_code}' -H "Authorization: $authorization" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "$form" "$base$path" || true)
  if [ "$status" != 200 ]; then
    say "check: POST $base$path answered $status: $(head -c 300 "$body")"
    rm -f "$body"
    return 1
  fi
  rm -f "$body"
}

# rss_kib PID...: the summed VmRSS of the processes (kB as /proc reports it), or "-" if none is readable.
rss_kib() {
  local total=0 found=0 pid kib
  for pid in "$@"; do
    kib=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$kib" ] && { total=$((total + kib)); found=1; }
  done
  if [ "$found" = 1 ]; then echo "$total"; else echo "-"; fi
}

# run_wrk OUT BASE_URL CREDENTIALS FORM THREADS CONNECTIONS DURATION: wrk with token.lua, output in OUT.
run_wrk() {
  local out=$1 base=$2 credentials=$3 form=$4 threads=$5 connections=$6 duration=$7
  {
    echo "# $(date -u +%FT%TZ) load: $(cat /proc/loadavg)"
    echo "# CREDENTIALS=$credentials FORM='$form' wrk -t$threads -c$connections -d$duration --timeout ${WRK_TIMEOUT:-2s} --latency -s bench/token.lua $base"
  } >"$out"
  (cd "$BENCH_DIR" && CREDENTIALS="$credentials" FORM="$form" \
    exec wrk -t"$threads" -c"$connections" -d"$duration" --timeout "${WRK_TIMEOUT:-2s}" --latency -s token.lua "$base") >>"$out" 2>&1 &
  wait_wrk $!
  echo "# load after: $(cat /proc/loadavg)" >>"$out"
}

# wait_wrk PID: waits for wrk in the background rather than in the foreground, because wrk catches SIGINT
# (it stops and prints its results) and bash then would not act on Ctrl-C; the wait builtin is interrupted
# by the INT trap instead. run_cleanup stops a wrk that is still running (WRK_PID).
WRK_PID=""
wait_wrk() {
  WRK_PID=$1
  wait "$WRK_PID" || true
  WRK_PID=""
}


# run_wrk_pass OUT BASE_URL CREDENTIALS FORM THREADS CONNECTIONS: every credentials line once (token.lua's pass
# mode), then SIGINT to wrk; gives up after 300 s.
run_wrk_pass() {
  local out=$1 base=$2 credentials=$3 form=$4 threads=$5 connections=$6 done_dir
  done_dir="$(dirname "$credentials")/pass-done.$$"   # beside the credentials, in the run's throwaway folder
  rm -rf "$done_dir" && mkdir "$done_dir"
  echo "# $(date -u +%FT%TZ) one pass over $(wc -l <"$credentials") credentials; load: $(cat /proc/loadavg)" >"$out"
  (cd "$BENCH_DIR" && CREDENTIALS="$credentials" FORM="$form" PASS_THREADS="$threads" PASS_DONE_DIR="$done_dir" \
    exec wrk -t"$threads" -c"$connections" -d300s --latency -s token.lua "$base") >>"$out" 2>&1 &
  WRK_PID=$!
  while kill -0 "$WRK_PID" 2>/dev/null; do
    [ "$(find "$done_dir" -type f | wc -l)" -ge "$threads" ] && { kill -INT "$WRK_PID" 2>/dev/null || true; break; }
    sleep 0.2
  done
  wait_wrk "$WRK_PID"
  rm -rf "$done_dir"
}
