#!/usr/bin/env bash
# The test command: the whole suite against a throwaway PostgreSQL that this script starts and stops.
# Extra arguments go to `swift test` (for example: deploy/test.sh --filter TokenEndpoint). A full run ends with
# the benchmark smoke (bench/smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/postgres.sh install
# pg_auto_failover for the failover run at the end of a full run: installed first, because installing it may
# upgrade PostgreSQL's packages, and a cluster already running on the old binaries then fails to load the new
# libraries (plpgsql.so: undefined symbol), which broke the fuzzer's cluster once.
if [ $# -eq 0 ]; then deploy/auto-failover.sh install; fi
# Headless Chromium and its driver drive the sign-in and consent pages in a real browser (Tests/browser/).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing Chromium (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium chromium-driver >&2
fi
# PyJWT signs the private_key_jwt assertions of the end-to-end test (Tests/jose/client_assertion.py): the server's
# verifier is tested against a third-party library. cryptography, which it needs, comes with it if missing.
# openapi-spec-validator checks the admin API's OpenAPI document (Tests/openapi/validate.py). Authlib (with
# requests) is the third-party client of the authorization code flow (Tests/oauth/); Selenium drives Chromium.
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'PyJWT[crypto]==2.10.1' \
    'openapi-spec-validator==0.9.0' 'Authlib==1.6.5' 'requests==2.32.5' 'selenium==4.27.1'
# pyoidc registers a client by dynamic client registration in the end-to-end test (Tests/dcr/): a third party's
# RFC 7591/7592 client. In a venv of its own (its dependencies are many), kept under .tessera/ between runs.
pyoidc=.tessera/test-tools/pyoidc
if [ ! -x "$pyoidc/bin/python" ] || ! "$pyoidc/bin/python" -c 'import oic' 2>/dev/null; then
  python3 -m venv "$pyoidc"
  "$pyoidc/bin/pip" install --quiet --disable-pip-version-check 'oic==1.7.0'
fi
TESSERA_PYOIDC_PYTHON=$(pwd)/$pyoidc/bin/python
export TESSERA_PYOIDC_PYTHON
# The official MCP Python SDK connects to an MCP server protected by Tessera (Tests/mcp/): its authorization code
# client (a registered public client, and a client known by its metadata document) and its client-credentials
# client, with their defaults. In a venv of its own, kept under .tessera/ like pyoidc's.
mcp=.tessera/test-tools/mcp
if [ ! -x "$mcp/bin/python" ] || ! "$mcp/bin/python" -c 'import mcp' 2>/dev/null; then
  python3 -m venv "$mcp"
  "$mcp/bin/pip" install --quiet --disable-pip-version-check 'mcp==2.3.0'
fi
TESSERA_MCP_PYTHON=$(pwd)/$mcp/bin/python
export TESSERA_MCP_PYTHON
dir=$(mktemp -d /tmp/tessera-test-postgres.XXXXXX)
chmod 755 "$dir"
# The tests' own files (the servers' logs, throwaway clusters) go to a folder of this run (TMPDIR): removed after
# a passing run, kept and named after a failing one.
files=$(mktemp -d /tmp/tessera-test-files.XXXXXX)
chmod 755 "$files"
cleanup() {
  local status=$?
  deploy/postgres.sh stop "$dir" || true
  rm -rf "$dir"
  if [ "$status" -eq 0 ]; then rm -rf "$files"; else echo "test files (server logs, clusters): $files" >&2; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TESSERA_TEST_DATABASE_URL=$(deploy/postgres.sh start "$dir" "$port" fast)
export TESSERA_TEST_DATABASE_URL
echo "test database: $TESSERA_TEST_DATABASE_URL"

swift build --build-tests
TESSERA_BINARY="$(swift build --show-bin-path)/tessera"
export TESSERA_BINARY
# At most 16 tests at once (TESSERA_TEST_WIDTH): unbounded, every suite of a full run started together, each with its
# own database, pool and services, and on two cores database answers past the product's 3 s deadlines failed
# tests that pass alone (the clock of the product, not of an overloaded test host, is what the suites judge).
TMPDIR=$files swift test --skip-build --experimental-maximum-parallelization-width "${TESSERA_TEST_WIDTH:-16}" "$@"

# The benchmark smoke (issue 5): a few seconds of client_credentials against the built binary, failing on any
# error, never on speed. Only on a full run: a --filter run is someone iterating on one suite.
# The restart under load (issue 20): PostgreSQL killed (-9) and fast-stopped while clients loop on /token and
# /introspect; about 30 s, at most 180 s. Also only on a full run, as the failover below.
if [ $# -eq 0 ]; then
  bench/smoke.sh --binary "$TESSERA_BINARY" --duration 3s
  python3 Tests/restart/restart_under_load.py --binary "$TESSERA_BINARY"
  # The failover under load (issue 20): pg_auto_failover (a monitor and two nodes, synchronous replication),
  # `perform failover` and a SIGKILL of the primary while clients loop on /token and /introspect; about 60 s, at
  # most 240 s.
  deploy/auto-failover.sh install
  python3 Tests/failover/failover_under_load.py --binary "$TESSERA_BINARY"
  # The admin API fuzzer (issue 16): schemathesis against the served OpenAPI document for 60 s with a fixed seed:
  # no 5xx, and every status, content type and body as the document says. About 90 s with its venv's install.
  python3 Tests/openapi/fuzz_admin_api.py --binary "$TESSERA_BINARY" --max-time 60
fi
