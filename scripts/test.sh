#!/usr/bin/env bash
# The whole test suite, on both databases CBNet supports:
#   leg 1: SQLite (the default settings), without the browser and fuzz tests;
#   leg 2: a throwaway PostgreSQL 15 cluster, everything including browser and fuzz tests.
# Both legs always run; the exit status is non-zero when either failed.
# Extra arguments go to pytest in both legs: scripts/test.sh -k directory -x
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test || exit

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
pytest=.venv/bin/pytest
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# --- leg 1: SQLite ----------------------------------------------------------------------
echo "=== leg 1/2: SQLite ==="
t=$(now)
env -u DATABASE_URL "$pytest" -m "not browser and not fuzz" "$@"
rc1=$?
d1=$(since "$t")

# --- leg 2: PostgreSQL ------------------------------------------------------------------
echo "=== leg 2/2: PostgreSQL ==="
t=$(now)
pgtmp=$(mktemp -d -t cbnet-pg.XXXXXX)
pg_started=
# initdb and pg_ctl refuse to run as root: run them as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  if [ -n "$pg_started" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pgtmp/data" -m fast -s stop || true
  fi
  rm -rf "$pgtmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_pg() {
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgtmp"
  port=$(.venv/bin/python -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg "$pg_bin/initdb" -D "$pgtmp/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$pgtmp/initdb.log" 2>&1 || { cat "$pgtmp/initdb.log"; return 1; }
  local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$pgtmp"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  pg_started=1  # even a timed-out start may leave a server to stop
  as_pg "$pg_bin/pg_ctl" -D "$pgtmp/data" -l "$pgtmp/server.log" -w -t 30 -s start -o "$opts" ||
    { tail -20 "$pgtmp/server.log"; return 1; }
  as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres cbnet || return 1
  echo "PostgreSQL $("$pg_bin/postgres" -V | awk '{print $3}') on 127.0.0.1:$port ($pgtmp)"
}

if start_pg; then
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/cbnet" DJANGO_ALLOW_ASYNC_UNSAFE=true \
    "$pytest" "$@"
  rc2=$?
else
  echo "could not start PostgreSQL from $pg_bin" >&2
  rc2=1
fi
d2=$(since "$t")

# --- summary ----------------------------------------------------------------------------
verdict() { if [ "$1" = 0 ]; then echo "passed"; else echo "FAILED"; fi; }
echo "=== summary ==="
printf '  leg 1/2 SQLite:     %-6s (exit %s) in %s\n' "$(verdict $rc1)" "$rc1" "$d1"
printf '  leg 2/2 PostgreSQL: %-6s (exit %s) in %s\n' "$(verdict $rc2)" "$rc2" "$d2"
[ "$rc1" = 0 ] || exit "$rc1"
exit "$rc2"
