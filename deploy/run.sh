#!/usr/bin/env bash
# The run command: builds tessera (release), starts a local PostgreSQL when DATABASE_URL is unset,
# migrates, makes sure the demo tenant acme.com has an application, prints its credentials and a curl
# line, and serves on :8280 (TESSERA_PORT) with acme.com as the default tenant.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${TESSERA_PORT:-8280}

if [ -z "${DATABASE_URL:-}" ]; then
  # The local PostgreSQL lives in .tessera/postgres and runs as the postgres user, which must be able to pass
  # through .tessera; a server started here earlier makes that folder 0700 for its self-signed key (itself
  # 0600). 0711 lets postgres through without letting anyone list the folder.
  mkdir -p .tessera && chmod 0711 .tessera
  DATABASE_URL=$(deploy/postgres.sh start .tessera/postgres "${TESSERA_DATABASE_PORT:-55439}")
  export DATABASE_URL
  echo "local PostgreSQL: $DATABASE_URL (data in .tessera/postgres; stop: deploy/postgres.sh stop .tessera/postgres)"
fi

echo "building tessera (release; the first build takes several minutes)..."
swift build -c release --product tessera
tessera="$(swift build -c release --show-bin-path)/tessera"

"$tessera" migrate
if ! "$tessera" tenant list --json | python3 -c 'import json, sys; sys.exit(0 if any(t["domain"] == "acme.com" for t in json.load(sys.stdin)) else 1)'; then
  "$tessera" tenant create acme.com
fi
# The secret is stored only as a hash, so an existing demo application gets a fresh secret to print.
key=$("$tessera" app list --tenant acme.com --json | python3 -c 'import json, sys; print(next((a["consumer_key"] for a in json.load(sys.stdin) if a["name"] == "demo"), ""))')
if [ -z "$key" ]; then
  credentials=$("$tessera" app create --tenant acme.com --name demo --scopes "default read write" --json)
else
  credentials=$("$tessera" app rotate-secret --tenant acme.com --consumer-key "$key" --json)
fi
read -r key secret < <(echo "$credentials" | python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["consumer_key"], c["consumer_secret"])')
basic=$(printf '%s:%s' "$key" "$secret" | base64 -w0)

cat <<INFO

Demo tenant acme.com, application "demo" (scopes: default read write)
  consumer key:    $key
  consumer secret: $secret

  curl -d "grant_type=client_credentials" -H "Authorization: Basic $basic" \\
       -H "Content-Type: application/x-www-form-urlencoded" http://localhost:$port/t/acme.com/token

INFO
exec "$tessera" serve --default-tenant acme.com --port "$port" --host "${TESSERA_HOST:-127.0.0.1}"
