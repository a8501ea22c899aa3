#!/usr/bin/env bash
# The benchmark in one command: installs wrk (and PostgreSQL, Redis) from apt when missing,
# builds .venv, then runs bench/__main__.py. Extra arguments go to it.
#
#   bash bench/run.sh                 the full benchmark; rewrites docs/performance.md
#                                     (--duration 5, --connections 32, --no-postgres, --no-write)
#   bash bench/run.sh post            POST a comment, Dateline beside Isso 0.14 in one run:
#                                     Isso, Dateline, Isso, Dateline, 32 connections, 8 s each,
#                                     guests half returning, half new; accepted/s, p50/p99,
#                                     errors, and every accepted comment checked stored exactly
#                                     once; SQLite, then PostgreSQL + Redis (--no-postgres,
#                                     --duration, --rounds, --returning). bench/post_ab.py
#   bash bench/run.sh profile-post    one POST in-process: CPU ms, statements (SQL and caller)
#                                     and Redis round trips for a first-time and a returning
#                                     guest, and a cProfile of the path (--n, --top,
#                                     --no-postgres). bench/profile_post.py
#   bash bench/run.sh import-wordpress  a generated WordPress export (10,000 posts, 100,000
#                                     comments) imported into an empty site, then again:
#                                     wall time and peak memory, SQLite then PostgreSQL +
#                                     Redis (--posts, --comments, --no-postgres).
#                                     bench/import_wordpress.py
#   bash bench/run.sh servers         production server candidates side by side (gunicorn,
#                                     granian): 200 slow clients vs /healthz, cached page,
#                                     POST, memory, SIGHUP under load. bench/servers.py
#
# Isso is installed with pip into bench/.peers/isso-venv on first use (git-ignored).
# post and profile-post write to bench/results/ (git-ignored), not to docs/performance.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/bootstrap.sh"
if command -v dpkg >/dev/null; then
  apt_install wrk postgresql redis-server
fi
ensure_venv
cd "$ROOT"
if [ "${1:-}" = servers ] && ! "$VENV/bin/python" -c "import waitress" 2>/dev/null; then
  "$VENV/bin/python" -m pip install -q "waitress==3.0.2"  # a candidate measured, not a dependency
fi
exec "$VENV/bin/python" -m bench "$@"
