#!/usr/bin/env bash
# The first quick benchmark, kept for the README's command line: now a thin wrapper around bench/run.sh
# (client_credentials on one tenant; durable PostgreSQL; stops everything it started).
#
#   bench/quick.sh [DURATION=20s] [CONNECTIONS=64]
# Env: TESSERA_BIN, a binary to measure instead of building one (run.sh --binary).
set -euo pipefail
exec "$(dirname "$0")/run.sh" --duration "${1:-20s}" --connections "${2:-64}" --scenario cc \
  ${TESSERA_BIN:+--binary "$TESSERA_BIN"}
