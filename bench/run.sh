#!/usr/bin/env bash
# The benchmark in one command: installs wrk (and PostgreSQL, Redis) from apt when missing,
# builds .venv, then runs bench/__main__.py, which rewrites docs/performance.md. Extra
# arguments go to it (--duration 5, --connections 32, --no-postgres, --no-write).
set -euo pipefail
source "$(dirname "$0")/../scripts/bootstrap.sh"
if command -v dpkg >/dev/null; then
  apt_install wrk postgresql redis-server
fi
ensure_venv
cd "$ROOT"
exec "$VENV/bin/python" -m bench "$@"
