#!/usr/bin/env bash
# Installs everything and runs the whole test suite twice: on a SQLite file and on PostgreSQL.
# PostgreSQL (and Redis, Chromium) come from apt when missing; a throwaway PostgreSQL cluster
# is started on 127.0.0.1 for the run and stopped afterwards. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
if command -v dpkg >/dev/null; then
  apt_install postgresql redis-server chromium fonts-noto-core gettext
fi
ensure_venv
cd "$ROOT"

echo "==> lint: ruff, mypy, migrations"
ruff check .
ruff format --check . >/dev/null || { ruff format --diff . | head -50; echo "ruff format: files need formatting"; exit 1; }
mypy dateline
DATELINE_DATA_DIR="$(mktemp -d)" dateline makemigrations --check --dry-run >/dev/null

TMP="$(mktemp -d /tmp/dateline-test.XXXXXX)"
PG_PID=""
REDIS_PID=""
cleanup() {
  if [ -n "$PG_PID" ]; then
    pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$PG_BIN/initdb" ] || { echo "error: PostgreSQL server binaries not found" >&2; exit 1; }
  local port
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$TMP/pg" "$TMP/pgsock"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$TMP"
  chmod 755 "$TMP"
  pg_as "$PG_BIN/initdb" -D "$TMP/pg" -U dateline --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w \
    -o "-p $port -k $TMP/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  PG_PID=1
  export DATABASE_URL="postgres://dateline@127.0.0.1:$port/dateline"
}

# A throwaway Redis beside PostgreSQL: the cache and rate limits several processes share
# (tests/server/test_two_processes.py needs both).
start_redis() {
  local port
  port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$port/0"
}

status=0
echo "==> tests on SQLite"
env -u DATABASE_URL DATELINE_TEST_DB=sqlite pytest "$@" || status=$?
if [ "$status" = 0 ]; then
  start_postgres
  start_redis
  echo "==> tests on PostgreSQL ($DATABASE_URL) with Redis ($REDIS_URL)"
  DATELINE_TEST_DB=postgres pytest "$@" || status=$?
fi
exit "$status"
