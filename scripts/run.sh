#!/usr/bin/env bash
# Installs everything and runs the site at http://127.0.0.1:8000 with demo content:
# production server (granian) + background worker. Ctrl-C stops both. Data lives in ./data.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
ensure_venv
cd "$ROOT"
export DATELINE_DATA_DIR="${DATELINE_DATA_DIR:-$ROOT/data}"
export DATELINE_ALLOWED_HOSTS="${DATELINE_ALLOWED_HOSTS:-127.0.0.1,localhost}"
export DATELINE_BASE_URL="${DATELINE_BASE_URL:-http://127.0.0.1:8000}"
# The local run serves plain HTTP on loopback; production sets DATELINE_HTTPS=true (the default).
export DATELINE_HTTPS="${DATELINE_HTTPS:-false}"
dateline migrate --noinput -v 0
dateline collectstatic --noinput -v 0
dateline setup-demo
exec dateline serve --bind "${DATELINE_BIND:-127.0.0.1:8000}"
