#!/usr/bin/env bash
# Tessera's benchmark harness: one command, one table.
#
#   bench/run.sh [--duration 20s] [--connections 64] [--threads 2] [--warmup 3s]
#                [--scenario all|cc|cc-jwt|cc-tenants|...[,...]] [--peer authlib] [--binary PATH] [--limit-binary PATH]
#                [--rounds 4]
#
# It builds the release binary (skipped with --binary), starts a throwaway durable PostgreSQL (fsync and
# synchronous_commit on) and the server, seeds them, runs each scenario with wrk (bench/token.lua), and prints
# one table: scenario, requests/s, p50, p99, errors (every non-2xx answer and every socket error), the token
# rows stored during the run, the server's RSS before and after the scenario, and the CPU per request of the
# server and of its database. The cc scenario also runs against the limit server (bench/limit-server: a bare
# Hummingbird server answering the same request with a fixed body, built with --limit-binary unless given), and
# the table is followed by Tessera's CPU per token as a multiple of the limit's CPU per request. Raw wrk output, the server
# log and the table go to bench/results/<UTC time>/ (git-ignored). It stops everything it started, also on
# Ctrl-C and on errors.
#
# Scenarios:
#   cc          client_credentials, 1 tenant, 1 application (created with the CLI)
#   cc-jwt      the same for an application with --token-format jwt (ES256 or JWT_ALGORITHM; RFC 9068), alternating with the opaque
#               application (row cc-opaque) in --rounds slices of --duration / --rounds each (A B, B A, ...); the
#               table adds its rate and CPU per token as ratios to cc-opaque's
#   cc-tenants  client_credentials spread over 10,000 tenants and 20,000 applications (seeded with COPY);
#               the warm-up sends each credential once (the server's cache then holds them all), then every
#               wrk thread walks all 20,000 round robin
#   cc-rate     client_credentials at a fixed --rate (5000/s) on --connections, with bench/ratebench.c (a small
#               open-loop generator in the manner of wrk2, which Debian does not package): latency is measured
#               from each request's scheduled time, so stalls are not hidden
#   introspection  POST /introspect of 1,000 live tokens (round robin) by a resource server (--introspect-any)
#   password       the password grant, bcrypt cost 12 on the server's hashing pool, at 4 connections (more would
#                  only queue: about 4 sign-ins/s per hashing thread at cost 12)
#   mixed          cc at --connections while a second wrk keeps the password grant saturated (16 connections);
#                  the table adds cc's rate and p99 under that load as ratios to the cc row
#
# Before each measured run (after its warm-up) the page cache of the databases' file system is written out
# (`sync -f`): a run then does not meet the kernel's writeback of the scenario before it. Without that, the
# fixed-rate scenario, which follows cc's 150,000+ inserts, met their writeback 30 s later in one burst, and
# stalls of 50-100 ms with it (bench/RESULTS.md, session 10). A CHECKPOINT would flush them too, but then every
# page the run touches first writes a full-page image to the WAL.
#
# --peer authlib also starts the Authlib peer (../shared/peers/authlib, gunicorn -w 2, its own durable
# PostgreSQL from ../shared/peers/glewlwyd/pg_start.sh, in a throwaway data folder), runs the same cc scenario
# against it and prints the tessera/authlib ratio. If the peer cannot be started, the table says why.
#
# Env: TENANTS (10000), APPS_PER_TENANT (2), PEERS_DIR (../shared/peers), AUTHLIB_VENV (where a virtualenv is
# made when the peer has no .venv; default /tmp/tessera-bench-authlib-venv), AUTHLIB_WORKERS (2),
# TESSERA_DATABASE_CONNECTIONS (the server's pool, default 16), JWT_ALGORITHM (cc-jwt's: ES256, EdDSA or RS256).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }

command_line="bench/run.sh $*"
duration=20s connections=64 threads=2 warmup=3s scenario=all peer="" binary="" rate=5000 limit_binary="" rounds=4
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --limit-binary) limit_binary=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for one in ${scenario//,/ }; do
  case "$one" in all | cc | cc-jwt | cc-rate | cc-tenants | introspection | password | mixed) ;;
    *) die "--scenario: all, cc, cc-jwt, cc-rate, cc-tenants, introspection, password or mixed, or several joined by commas (not $one)" ;;
  esac
done
case "$peer" in "" | authlib) ;; *) die "--peer: only authlib is supported (not $peer)" ;; esac
[[ "$connections" =~ ^[0-9]+$ && "$threads" =~ ^[0-9]+$ && "$rounds" =~ ^[1-9][0-9]*$ ]] ||
  die "--connections, --threads and --rounds take numbers"
[ "$connections" -ge "$threads" ] || die "--connections must be at least --threads ($threads)"
[[ "$duration" =~ ^[0-9]+[smh]?$ && "$warmup" =~ ^[0-9]+[smh]?$ ]] || die "--duration/--warmup: like 20s, 2m"
tenants=${TENANTS:-10000}
apps_per_tenant=${APPS_PER_TENANT:-2}
want() { [ "$scenario" = all ] || [[ ",$scenario," == *",$1,"* ]]; }

bench_traps
need_tools
tessera_binary "$binary"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results="$BENCH_DIR/results/$stamp"
mkdir -p "$results"
work_dir bench
rows="$results/rows.tsv"
: >"$rows"
summary="$results/summary.txt"
note() { echo "$*" | tee -a "$summary" >&2; }
# note_row SCENARIO SERVER TEXT: a row whose measurement columns are one remark.
note_row() { printf '%s\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t%s\t\t\n' "$1" "$2" "$3" >>"$rows"; }

note "date:        $(date -u '+%F %T UTC')"
note "machine:     $(nproc) CPUs ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/{print $2}') GiB memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
note "command:     $command_line"
head=$(git -C "$REPO_DIR" rev-parse --short HEAD)
if [ -n "$binary" ]; then
  origin="given with --binary; this checkout is at $head"
elif [ -n "$(git -C "$REPO_DIR" status --porcelain --untracked-files=no)" ]; then
  origin="built from this checkout: $head plus uncommitted changes"
else
  origin="built from this checkout: $head"
fi
note "binary:      $TESSERA (modified $(date -u -r "$TESSERA" '+%F %T UTC'); $origin)"
note "wrk:         $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) -t$threads -c$connections -d$duration --latency -s bench/token.lua, after a warm-up at the same settings: $warmup, or for cc-tenants one request per credentials line"

# --- Tessera: database, seed, server -------------------------------------------------------------------------
say "starting PostgreSQL (durable) ..."
# Its log goes to the results: autovacuum runs, checkpoints and slow statements, to line a latency tail up with.
TESSERA_PG_OPTIONS="-c log_autovacuum_min_duration=0 -c log_checkpoints=on -c log_min_duration_statement=100" \
  start_postgres "$work/pg"
on_exit "cp '$work/pg/postgres.log' '$results/postgres.log' 2>/dev/null"
note "tessera db:  $(pg_settings "$DATABASE_URL")"
"$TESSERA" migrate >/dev/null
if want cc || want cc-jwt || want cc-rate || want introspection || want password || want mixed; then
  seed_one bench.test "$work/cc.tsv"
fi
if want cc-jwt; then
  # The same request for an application of the same tenant whose tokens are ES256 JWTs (its key made by the
  # first token, during the warm-up).
  "$TESSERA" app create --tenant bench.test --name bench-jwt --token-format jwt --json >"$work/jwt.json"
  # Another algorithm: the tenant's first key, made now, signs at once.
  [ "${JWT_ALGORITHM:-ES256}" = ES256 ] ||
    "$TESSERA" key rotate --tenant bench.test --algorithm "$JWT_ALGORITHM" >/dev/null
  python3 -c 'import base64, json, sys; c = json.load(open(sys.argv[1]))
print("/t/bench.test/token\tBasic %s" % base64.b64encode(("%s:%s" % (c["consumer_key"], c["consumer_secret"])).encode()).decode())' \
    "$work/jwt.json" >"$work/cc-jwt.tsv"
fi
if want password || want mixed; then
  "$TESSERA" app create --tenant bench.test --name mobile --grant-types password --json >"$work/mobile.json"
  printf 'bench-password' | "$TESSERA" user create --tenant bench.test --username bench --password-stdin >/dev/null
  python3 -c 'import base64, json, sys; c = json.load(open(sys.argv[1]))
print("/t/bench.test/token\tBasic %s\tgrant_type=password&username=bench&password=bench-password"
      % base64.b64encode(("%s:%s" % (c["consumer_key"], c["consumer_secret"])).encode()).decode())' \
    "$work/mobile.json" >"$work/password.tsv"
fi
if want cc-tenants; then
  say "seeding $tenants tenants x $apps_per_tenant applications (COPY) ..."
  started=$(date +%s)
  seed_many "$work/many" "$tenants" "$apps_per_tenant"
  note "seeded:      $(psql "$DATABASE_URL" -tA -c "SELECT count(DISTINCT t.tenant_id) || ' tenants, ' || count(*) ||
    ' applications' FROM tenants t JOIN applications a USING (tenant_id) WHERE t.domain LIKE '%.many.bench.test'") for cc-tenants, with COPY, in $(($(date +%s) - started)) s"
fi
start_tessera "$results/tessera.log"
note "tessera:     $TESSERA serve on $BASE_URL, pid $SERVER_PID, database connections ${TESSERA_DATABASE_CONNECTIONS:-16} (default 16)"

tessera_tokens() { psql "$DATABASE_URL" -tA -c 'SELECT count(*) FROM access_tokens'; }
tessera_pids() { echo "$SERVER_PID"; }
# settle: write out the dirty page cache of the file system the databases live on (see the header).
settle() { sync -f "$work"; }

# measure SCENARIO SERVER BASE_URL CREDENTIALS FORM PIDS_FUNCTION COUNT_FUNCTION [pass]: one row of the table.
# settle runs between the warm-up and the measured run.
# The warm-up is --warmup long, or with "pass" one request for every credentials line, so that the
# many-tenant scenario measures a server that has seen each application once (its cache full), not its
# first lookups.
measure() {
  local scenario=$1 server=$2 base=$3 credentials=$4 form=$5 pids=$6 count=$7 warm=${8:-}
  local out="$results/$scenario-$server.txt" rss_before rss_after before after parsed
  say "$scenario on $server: checking one request ..."
  if ! check_token "$base" "$credentials" "$form"; then
    note_row "$scenario" "$server" "failed: the first request was not answered 200 (see above)"
    return 0
  fi
  rss_before=$(rss_kib $($pids))
  if [ "$warm" = pass ]; then
    say "$scenario on $server: warm-up pass over $(wc -l <"$credentials") credentials, then $duration at $connections connections ..."
    run_wrk_pass "$results/$scenario-$server-warmup.txt" "$base" "$credentials" "$form" "$threads" "$connections"
  else
    say "$scenario on $server: warm-up $warmup, then $duration at $connections connections ..."
    run_wrk "$results/$scenario-$server-warmup.txt" "$base" "$credentials" "$form" "$threads" "$connections" "$warmup"
  fi
  settle
  before=$($count)
  local server_cpu db_cpu cluster=${DB_CLUSTER:-$work/pg/data}
  server_cpu=$(cpu_seconds $($pids))
  db_cpu=$(cpu_seconds $(cluster_pids "$cluster"))
  run_wrk "$out" "$base" "$credentials" "$form" "$threads" "$connections" "$duration"
  server_cpu="$server_cpu $(cpu_seconds $($pids))"
  db_cpu="$db_cpu $(cpu_seconds $(cluster_pids "$cluster"))"
  after=$($count)
  rss_after=$(rss_kib $($pids))
  [ "$rss_after" != "-" ] || note "$server:     NOT RUNNING after the $scenario run (see its log in bench/results/$stamp/)"
  parsed=$(python3 "$BENCH_DIR/wrk_report.py" parse "$out")
  local requests=${parsed%%$'\t'*}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\n' "$scenario" "$server" "$connections" "$parsed" "$((after - before))" \
    "$rss_before" "$rss_after" "$(per_request_us $server_cpu "$requests")" "$(per_request_us $db_cpu "$requests")" \
    >>"$rows"
  say "  $(tail -1 "$rows" | cut -f4-12 | tr '\t' ' ')"
}

# measure_alternating BASE_URL FORM PIDS_FUNCTION COUNT_FUNCTION A A_CREDENTIALS B B_CREDENTIALS: two rows, A and B,
# measured in --rounds rounds of one slice each (A B, then B A, ...), each slice --duration / --rounds long, after
# a warm-up of each. Every slice starts settled; p50 and p99 are the worst slice's.
measure_alternating() {
  local base=$1 form=$2 pids=$3 count=$4 slice round name credentials rss_before
  local -a order
  slice=$(awk -v d="$(seconds_of "$duration")" -v r="$rounds" 'BEGIN {printf "%d", d / r}')
  [ "$slice" -ge 1 ] || die "--duration / --rounds must leave at least 1 s per slice"
  for name in "$5" "$7"; do
    credentials=$6; [ "$name" = "$7" ] && credentials=$8
    say "$name on tessera: checking one request ..."
    check_token "$base" "$credentials" "$form" || { note_row "$name" tessera "failed: the first request was not answered 200 (see above)"; return 0; }
  done
  rss_before=$(rss_kib $($pids))
  for name in "$5" "$7"; do
    credentials=$6; [ "$name" = "$7" ] && credentials=$8
    say "$name on tessera: warm-up $warmup ..."
    run_wrk "$results/$name-tessera-warmup.txt" "$base" "$credentials" "$form" "$threads" "$connections" "$warmup"
    : >"$work/$name.slices"
  done
  say "$5 and $7 alternating: $rounds rounds of ${slice}s each at $connections connections ..."
  for round in $(seq 1 "$rounds"); do
    order=("$5" "$7"); [ $((round % 2)) -eq 0 ] && order=("$7" "$5")
    for name in "${order[@]}"; do
      credentials=$6; [ "$name" = "$7" ] && credentials=$8
      settle
      local before server_cpu db_cpu out="$results/$name-tessera-$round.txt"
      before=$($count)
      server_cpu=$(cpu_seconds $($pids))
      db_cpu=$(cpu_seconds $(cluster_pids "$work/pg/data"))
      run_wrk "$out" "$base" "$credentials" "$form" "$threads" "$connections" "${slice}s"
      printf '%s\t%s\t%s\t%s\n' "$(python3 "$BENCH_DIR/wrk_report.py" parse "$out")" "$(($($count) - before))" \
        "$(awk -v a="$server_cpu" -v b="$(cpu_seconds $($pids))" 'BEGIN {printf "%.3f", b - a}')" \
        "$(awk -v a="$db_cpu" -v b="$(cpu_seconds $(cluster_pids "$work/pg/data"))" 'BEGIN {printf "%.3f", b - a}')" \
        >>"$work/$name.slices"
      say "  round $round $name: $(tail -1 "$work/$name.slices" | cut -f2-4 | tr '\t' ' ')"
    done
  done
  for name in "$5" "$7"; do
    python3 "$BENCH_DIR/wrk_report.py" slices "$work/$name.slices" "$name" tessera "$connections" "$rss_before" \
      "$(rss_kib $($pids))" >>"$rows"
  done
}

if want cc; then
  measure cc tessera "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials tessera_pids tessera_tokens
  # The limit: the same requests to a server that does nothing but answer them.
  if [ -z "$limit_binary" ]; then
    say "building the limit server: swift build -c release --package-path bench/limit-server (minutes the first time)"
    (cd "$BENCH_DIR/limit-server" && swift build -c release >&2)
    limit_binary="$(cd "$BENCH_DIR/limit-server" && swift build -c release --show-bin-path)/LimitServer"
  fi
  limit_port=$(free_port)
  "$limit_binary" "$limit_port" >"$results/limit.log" 2>&1 &
  LIMIT_PID=$!
  on_exit "stop_pid $LIMIT_PID"
  for _ in $(seq 1 100); do port_in_use "$limit_port" && break; sleep 0.1; done
  limit_pids() { echo "$LIMIT_PID"; }
  no_tokens() { echo 0; }
  DB_CLUSTER="$work/no-database" measure cc limit "http://127.0.0.1:$limit_port" "$work/cc.tsv" \
    grant_type=client_credentials limit_pids no_tokens
  stop_pid "$LIMIT_PID"
fi
if want cc-jwt; then
  # JWT against opaque tokens, alternating in slices rather than one after the other: run after cc on the same
  # server and database, cc-jwt measured 71-79% of cc's rate where alternation measured 87% (bench/RESULTS.md,
  # session 17); the second of two back-to-back runs pays for the first's rows. Both rows count every slice.
  measure_alternating "$BASE_URL" grant_type=client_credentials tessera_pids tessera_tokens \
    cc-jwt "$work/cc-jwt.tsv" cc-opaque "$work/cc.tsv"
fi
if want cc-rate; then
  # The same request as cc, sent at a fixed rate; the row's p50/p99 come from ratebench's own report.
  cc -O2 -o "$work/ratebench" "$BENCH_DIR/ratebench.c"
  IFS=$'\t' read -r rate_path rate_authorization <"$work/cc.tsv"
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials' \
    "$rate_path" "$rate_authorization" >"$work/rate-request.txt"
  say "cc-rate: warm-up, then $rate requests/s for ${duration%s} s on $connections connections ..."
  run_wrk "$results/cc-rate-warmup.txt" "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials "$threads" "$connections" "$warmup"
  settle
  rate_before=$(tessera_tokens)
  rss_before=$(rss_kib "$SERVER_PID")
  rate_cpu="$(cpu_seconds "$SERVER_PID") $(cpu_seconds $(cluster_pids "$work/pg/data"))"
  # Each 100 ms whose slowest request took over 20 ms is listed in the raw output, with its time into the run.
  echo "started $(date -u '+%F %T.%3N') UTC" >"$results/cc-rate-tessera.txt"
  RATEBENCH_STALLS=20 "$work/ratebench" 127.0.0.1 "${BASE_URL##*:}" "$rate" "${duration%s}" "$connections" \
    "$work/rate-request.txt" >>"$results/cc-rate-tessera.txt"
  rate_cpu="$rate_cpu $(cpu_seconds "$SERVER_PID") $(cpu_seconds $(cluster_pids "$work/pg/data"))"
  cat "$results/cc-rate-tessera.txt" >&2
  python3 - "$results/cc-rate-tessera.txt" "$connections" "$(( $(tessera_tokens) - rate_before ))" "$rss_before" \
    "$(rss_kib "$SERVER_PID")" $rate_cpu >>"$rows" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
completed, rps = re.search(r"completed (\d+) \(([\d.]+)/s\)", text).groups()
non2xx, sockets, unsent = re.search(r"non-2xx (\d+), socket errors (\d+), not sent (\d+)", text).groups()
p50 = re.search(r"^p50\s+([\d.]+) ms", text, re.M).group(1)
p99 = re.search(r"^p99\s+([\d.]+) ms", text, re.M).group(1)
errors = int(non2xx) + int(sockets) + int(unsent)
server_before, db_before, server_after, db_after = map(float, sys.argv[6:10])
per_request = lambda before, after: "%.1f" % ((after - before) * 1e6 / int(completed)) if int(completed) else "-"
print("\t".join(["cc-rate", "tessera", sys.argv[2], completed, rps, p50, p99, non2xx, str(int(sockets) + int(unsent)),
                 str(errors), "", sys.argv[3], sys.argv[4], sys.argv[5], "", per_request(server_before, server_after),
                 per_request(db_before, db_after)]))
PY
fi
if want cc-tenants; then
  measure cc-tenants tessera "$BASE_URL" "$work/many/credentials.tsv" grant_type=client_credentials \
    tessera_pids tessera_tokens pass
fi
if want introspection; then
  say "introspection: issuing 1,000 tokens to introspect ..."
  "$TESSERA" app create --tenant bench.test --name api --introspect-any --json >"$work/api.json"
  python3 "$BENCH_DIR/tokens.py" "$BASE_URL" "$work/cc.tsv" "$work/api.json" 1000 >"$work/introspect.tsv"
  measure introspection tessera "$BASE_URL" "$work/introspect.tsv" token=unused tessera_pids tessera_tokens
fi
if want password; then
  saved_connections=$connections
  connections=4
  # Sign-ins queue for the hashing thread by design (a second or more at cost 12): wrk's 2 s timeout would
  # count a slow 200 as a socket error.
  WRK_TIMEOUT=10s measure password tessera "$BASE_URL" "$work/password.tsv" unused tessera_pids tessera_tokens
  connections=$saved_connections
fi
if want mixed; then
  # The password load runs for the whole cc measurement (warm-up included) and is stopped after it.
  (cd "$BENCH_DIR" && CREDENTIALS="$work/password.tsv" exec wrk -t1 -c16 -d10m --timeout 10s --latency -s token.lua "$BASE_URL") \
    >"$results/mixed-password-load.txt" 2>&1 &
  password_load=$!
  on_exit "kill -INT $password_load"
  sleep 2
  measure mixed tessera "$BASE_URL" "$work/cc.tsv" grant_type=client_credentials tessera_pids tessera_tokens
  kill -INT "$password_load" 2>/dev/null || true
  wait "$password_load" 2>/dev/null || true
fi

# --- The Authlib peer ------------------------------------------------------------------------------------------
peer_row() { note_row cc authlib "$1"; note "authlib:     $1"; }
authlib_pids() {
  local master
  master=$(cat "$work/authlib.pid" 2>/dev/null) || return 0
  echo "$master" $(ps -o pid= --ppid "$master" 2>/dev/null)
}

# start_authlib: sets AUTHLIB_URL, AUTHLIB_PG_PORT; returns 1 (after a row saying why) if it cannot.
start_authlib() {
  local peers=${PEERS_DIR:-$REPO_DIR/../shared/peers}
  local app_dir="$peers/authlib" pg_dir="$work/peer-pg" venv pg_port http_port status
  [ -f "$app_dir/app.py" ] && [ -x "$peers/glewlwyd/pg_start.sh" ] || { peer_row "not started: no peer in $peers"; return 1; }
  peers=$(cd "$peers" && pwd)
  app_dir="$peers/authlib"
  # The peer's start.sh runs $app_dir/.venv/bin/gunicorn. shared/ is read-only, so when that venv is missing
  # one is made (once) outside the repository, from the peer's pinned requirements.txt, and gunicorn is run
  # with start.sh's arguments.
  if [ -x "$app_dir/.venv/bin/gunicorn" ]; then
    venv="$app_dir/.venv"
  else
    venv=${AUTHLIB_VENV:-/tmp/tessera-bench-authlib-venv}
    if [ ! -x "$venv/bin/gunicorn" ]; then
      say "authlib: making a virtualenv in $venv from $app_dir/requirements.txt (pip) ..."
      if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$app_dir/requirements.txt"; } >"$results/authlib-venv.log" 2>&1; then
        peer_row "not started: could not make its virtualenv in $venv (see results/$stamp/authlib-venv.log)"
        return 1
      fi
    fi
  fi
  # Its README's ports (PostgreSQL 55432, HTTP 5000) when free; otherwise free ones, so that a peer someone
  # else is running is left alone. The PostgreSQL data folder is throwaway (PGDATA_DIR), defaults are durable.
  pg_port=55432; port_in_use "$pg_port" && pg_port=$(free_port)
  http_port=5000; port_in_use "$http_port" && http_port=$(free_port)
  AUTHLIB_PG_PORT=$pg_port
  on_exit "PGDATA_DIR='$pg_dir' '$peers/glewlwyd/pg_stop.sh'"
  if ! PGDATA_DIR="$pg_dir" PGPORT="$pg_port" "$peers/glewlwyd/pg_start.sh" >"$results/authlib-pg.log" 2>&1; then
    peer_row "not started: its PostgreSQL did not start (see results/$stamp/authlib-pg.log)"
    return 1
  fi
  # init_db.sh loads init_db.sql, then makes rsa.key beside itself if missing, which fails on a read-only
  # shared/; the key is only for AUTHLIB_TOKENS=jwt, and this run uses the default opaque tokens.
  PGPORT="$pg_port" "$app_dir/init_db.sh" >>"$results/authlib-pg.log" 2>&1 || true
  if [ "$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d authlib -tA -c 'SELECT count(*) FROM oauth2_client' 2>/dev/null)" != 1 ]; then
    peer_row "not started: init_db.sh did not load its database (see results/$stamp/authlib-pg.log)"
    return 1
  fi
  on_exit "[ -f '$work/authlib.pid' ] && stop_pid \$(cat '$work/authlib.pid')"
  if ! (cd "$app_dir" && AUTHLIB_DSN="host=127.0.0.1 port=$pg_port dbname=authlib user=postgres" \
      "$venv/bin/gunicorn" -w "${AUTHLIB_WORKERS:-2}" -b "127.0.0.1:$http_port" --pid "$work/authlib.pid" \
      --error-logfile "$results/authlib.log" --daemon app:app); then
    peer_row "not started: gunicorn failed (see results/$stamp/authlib.log)"
    return 1
  fi
  AUTHLIB_URL="http://127.0.0.1:$http_port"
  for _ in $(seq 1 100); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AUTHLIB_URL/oauth/token" || true)
    [ "$status" != 000 ] && [ -f "$work/authlib.pid" ] && break
    sleep 0.2
  done
  note "authlib:     gunicorn -w ${AUTHLIB_WORKERS:-2} (pid $(cat "$work/authlib.pid" 2>/dev/null || echo ?), $venv) on $AUTHLIB_URL; db: $(pg_settings -h 127.0.0.1 -p "$pg_port" -U postgres -d authlib)"
}
authlib_tokens() { psql -h 127.0.0.1 -p "$AUTHLIB_PG_PORT" -U postgres -d authlib -tA -c 'SELECT count(*) FROM oauth2_token'; }

if [ "$peer" = authlib ]; then
  if ! want cc; then
    note "authlib:     skipped (the peer runs the cc scenario; --scenario is $scenario)"
  elif start_authlib; then
    printf '/oauth/token\tBasic %s\n' "$(printf 'peer-client:peer-secret' | base64 -w0)" >"$work/authlib.tsv"
    DB_CLUSTER="$work/peer-pg" measure cc authlib "$AUTHLIB_URL" "$work/authlib.tsv" "grant_type=client_credentials&scope=api.read" \
      authlib_pids authlib_tokens
  fi
fi


# --- The table -------------------------------------------------------------------------------------------------
{
  echo
  python3 "$BENCH_DIR/wrk_report.py" table "$rows"
  python3 - "$rows" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) > 14 and not f[14] and f[4]:
        rows[(f[0], f[1])] = f
t, a = rows.get(("cc", "tessera")), rows.get(("cc", "authlib"))
if t and a and float(a[4]) > 0:
    print("\ntessera/authlib ratio (cc, requests/s): %.1f   (p99: tessera %s ms, authlib %s ms)"
          % (float(t[4]) / float(a[4]), t[6], a[6]))
limit = rows.get(("cc", "limit"))
if t and limit and len(t) > 16 and len(limit) > 16 and t[15] not in ("", "-") and limit[15] not in ("", "-", "0.0"):
    tessera_cpu = float(t[15]) + float(t[16])
    print("\ncc CPU per token: tessera %.1f us (server %s + database %s) = %.2fx the limit server's %s us per request"
          % (tessera_cpu, t[15], t[16], tessera_cpu / float(limit[15]), limit[15]))
i = rows.get(("introspection", "tessera"))
if i and limit and len(i) > 16 and i[15] not in ("", "-") and limit[15] not in ("", "-", "0.0"):
    introspection_cpu = float(i[15]) + float(i[16])
    print("introspection CPU per request: tessera %.1f us (server %s + database %s) = %.2fx the limit server's %s us"
          % (introspection_cpu, i[15], i[16], introspection_cpu / float(limit[15]), limit[15]))
j, o = rows.get(("cc-jwt", "tessera")), rows.get(("cc-opaque", "tessera"))
if o and j and float(o[4]) > 0 and len(j) > 16 and j[15] not in ("", "-") and o[15] not in ("", "-"):
    print("cc-jwt: %.0f%% of the opaque rate (cc-opaque, alternating with it); CPU per token %.1f us (server %s +"
          " database %s), %.2fx opaque's %.1f us"
          % (100 * float(j[4]) / float(o[4]), float(j[15]) + float(j[16]), j[15], j[16],
             (float(j[15]) + float(j[16])) / (float(o[15]) + float(o[16])), float(o[15]) + float(o[16])))
m = rows.get(("mixed", "tessera"))
if t and m and float(t[4]) > 0 and t[6] not in ("", "-") and m[6] not in ("", "-"):
    print("mixed: cc under saturated password grants keeps %.0f%% of its solo rate; p99 %.1fx its solo p99"
          % (100 * float(m[4]) / float(t[4]), float(m[6]) / float(t[6])))
PY
  echo
  echo "RSS: the server's VmRSS (authlib: gunicorn master and workers) before the scenario's warm-up and after its run."
  echo "tokens stored: token rows added in the database during the measured run."
  echo "raw output: bench/results/$stamp/"
} | tee -a "$summary"
