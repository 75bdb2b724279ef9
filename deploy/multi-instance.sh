#!/usr/bin/env bash
# Several instances, tested for real on loopback: one PostgreSQL, three `tessera serve` instances and nginx
# balancing them (a copy of deploy/nginx/tessera.conf). Under a load through nginx it SIGKILLs one instance
# and restarts it, then checks that
#   - requests failed only while in flight on the killed instance,
#   - every token a client received is active by introspection on another instance than the one that issued it,
#   - a token revoked through one instance, an application disabled (and enabled) and its tokens revoked with
#     the CLI are seen by every instance within one second.
# deploy/multi_instance_check.py does the load and the checks; the figures are in deploy/MULTI-INSTANCE.md.
#
#   deploy/multi-instance.sh [--binary PATH] [--threads 16] [--duration 24] [--kill-at 7] [--restart-at 12]
#                            [--kill 2] [--signal KILL|TERM] [--keep]
#
# --binary defaults to .build-release/release/tessera, then .build/release/tessera, else builds the release
# binary. nginx is Debian's binary, unpacked (apt-get download + dpkg-deb -x, never installed) into
# .tessera/validate/ as deploy/validate.sh does. PostgreSQL (durable, deploy/postgres.sh) runs as the postgres
# user when this runs as root. Everything runs on free 127.0.0.1 ports and is stopped on exit, Ctrl-C or
# SIGTERM; --keep leaves the run's folder (logs, nginx access log) in /tmp. Exits 1 if a rule is broken.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../bench/lib.sh"
die() { say "multi-instance: $*"; exit 1; }

binary="" keep=0 check_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --threads | --duration | --kill-at | --restart-at | --kill | --signal) check_args+=("$1" "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
if [ -z "$binary" ]; then
  for candidate in "$REPO_DIR/.build-release/release/tessera" "$REPO_DIR/.build/release/tessera"; do
    [ -x "$candidate" ] && { binary=$candidate; break; }
  done
fi

bench_traps
work=$(mktemp -d /tmp/tessera-multi.XXXXXX)
chmod 755 "$work"   # deploy/postgres.sh runs the cluster in it as the postgres user
if [ "$keep" = 1 ]; then on_exit "echo 'kept: $work' >&2"; else on_exit "rm -rf '$work'"; fi

command -v python3 >/dev/null || die "python3 is needed"
command -v curl >/dev/null || die "curl is needed"
"$REPO_DIR/deploy/postgres.sh" install
tessera_binary "$binary"
# A copy, so that a rebuild during the run cannot change what the restart starts.
binary_info="$TESSERA ($(date -u -r "$TESSERA" +%FT%TZ), sha256 $(sha256sum "$TESSERA" | cut -c1-12))"
cp "$TESSERA" "$work/tessera"
TESSERA=$work/tessera

# Debian's nginx binary, unpacked rather than installed (installing would start a server on port 80).
tools=${TESSERA_VALIDATE_TOOLS:-$REPO_DIR/.tessera/validate}
nginx_bin=$tools/nginx
if [ ! -x "$nginx_bin" ]; then
  say "getting Debian's nginx binary (apt-get download, dpkg-deb -x) into $tools"
  mkdir -p "$tools" "$work/deb"
  (cd "$work/deb" && { apt-get download nginx || { apt-get update -qq && apt-get download nginx; }; }) >&2 ||
    die "apt-get download nginx failed"
  dpkg-deb -x "$work"/deb/nginx_*.deb "$work/deb/root" && install -m 0755 "$work/deb/root/usr/sbin/nginx" "$nginx_bin"
fi

# One durable PostgreSQL; a smaller buffer pool than the benchmark's, this is not about throughput.
export TESSERA_PG_SHARED_BUFFERS=${TESSERA_PG_SHARED_BUFFERS:-256MB}
start_postgres "$work/pg"
"$TESSERA" migrate >/dev/null
tenant=multi.test
"$TESSERA" tenant create "$tenant" >/dev/null
umask 077
{
  echo "{"
  echo "\"load\": $("$TESSERA" app create --tenant "$tenant" --name load --json),"
  echo "\"resource\": $("$TESSERA" app create --tenant "$tenant" --name resource-server --introspect-any --json),"
  echo "\"victim\": $("$TESSERA" app create --tenant "$tenant" --name victim --json)"
  echo "}"
} >"$work/credentials.json"
umask 022

# Three instances. Each pid is kept in a file, because the check restarts one under a new pid and writes it
# there; the cleanup stops whatever pid each file holds then.
ports=()
for n in 1 2 3; do
  port=$(free_port)
  ports+=("$port")
  "$TESSERA" serve --port "$port" --purge-interval 0 --log-level warning >"$work/tessera$n.log" 2>&1 &
  echo $! >"$work/tessera$n.pid"
  disown $!   # no "Killed" notice from bash when the check SIGKILLs it; the cleanup stops it by pid
  on_exit "stop_pid \$(cat '$work/tessera$n.pid')"
done
for n in 1 2 3; do
  port=${ports[$((n - 1))]}
  for _ in $(seq 1 200); do
    kill -0 "$(cat "$work/tessera$n.pid")" 2>/dev/null ||
      { tail -20 "$work/tessera$n.log" >&2; die "instance $n exited"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/token" || true)" != 000 ] && continue 2
    sleep 0.1
  done
  die "instance $n did not answer on :$port within 20 s"
done

# nginx: the deployment's config with the two compose upstreams replaced by the three instances (a third
# server line like the second), a loopback listen port and the log in the run's folder. The one addition is an
# X-Upstream response header, so that the client knows which instance answered each request.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
sed -e '/server tessera2:8280/{p;s/tessera2:8280/tessera3:8280/}' "$REPO_DIR/deploy/nginx/tessera.conf" |
  sed -e "s/tessera1:8280/127.0.0.1:${ports[0]}/" -e "s/tessera2:8280/127.0.0.1:${ports[1]}/" \
    -e "s/tessera3:8280/127.0.0.1:${ports[2]}/" \
    -e "s/listen 8280;/listen 127.0.0.1:$nginx_port;/" -e "s#/var/log/nginx/access.log#$work/nginx/access.log#" \
    -e "/proxy_pass http:\/\/tessera;/a\        add_header X-Upstream \$upstream_addr always;" \
    -e "/location @unavailable {/a\        add_header X-Upstream \$upstream_addr always;" \
    >"$work/nginx/tessera.conf"
grep -nE 'tessera[123]:|listen 8280;|/var/log' "$work/nginx/tessera.conf" && die "the substitutions above did not apply"
[ "$(grep -c "server 127.0.0.1:.* max_fails" "$work/nginx/tessera.conf")" = 3 ] || die "the upstream is not 3 servers"
[ "$(grep -c X-Upstream "$work/nginx/tessera.conf")" = 2 ] || die "X-Upstream was not added"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/tessera.conf;
}
CONF
nginx=("$nginx_bin" -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log")
"${nginx[@]}" -t 2>/dev/null || { "${nginx[@]}" -t; die "nginx -t failed"; }
"${nginx[@]}" &
nginx_pid=$!
on_exit "stop_pid $nginx_pid"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.1; done

say "binary $binary_info"
say "PostgreSQL $(pg_settings "$DATABASE_URL" | sed 's/^PostgreSQL //');" \
  "nginx $("$nginx_bin" -v 2>&1 | grep -o '[0-9][0-9.]*') on :$nginx_port;" \
  "instances on :${ports[0]} :${ports[1]} :${ports[2]}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# In the background and waited for, so that Ctrl-C or SIGTERM runs the cleanup at once (bash runs a trap only
# after a foreground command ends); the cleanup stops the check first, then the instances, nginx, PostgreSQL.
status=0
python3 -u "$REPO_DIR/deploy/multi_instance_check.py" --work "$work" --binary "$TESSERA" --tenant "$tenant" \
  --nginx-port "$nginx_port" --ports "${ports[0]},${ports[1]},${ports[2]}" "${check_args[@]}" &
check_pid=$!
on_exit "stop_pid $check_pid"
wait "$check_pid" || status=$?
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 1 2 3; do   # --log-level warning: any line is worth a look
  [ -s "$work/tessera$n.log" ] && { say "--- instance $n log (last 5 lines):"; tail -5 "$work/tessera$n.log" >&2; }
done
[ -s "$work/nginx/error.log" ] && { say "--- nginx error log (last 10 lines):"; tail -10 "$work/nginx/error.log" >&2; }
exit "$status"
