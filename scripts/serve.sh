#!/usr/bin/env bash
# Serve CBNet with granian (WSGI, 2 workers) and the django-tasks database worker beside it.
# Both stop together: on Ctrl-C, on SIGTERM, or when either one exits.
# HOST and PORT come from the environment (the Makefile passes them).
set -euo pipefail
cd "$(dirname "$0")/.."

host=${HOST:-127.0.0.1}
port=${PORT:-8000}
pids=()
stop() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each child gets its own session: Ctrl-C reaches only this script, which then stops each
# child once with SIGTERM (granian workers hit by both signals may hang on shutdown).
setsid .venv/bin/python manage.py db_worker &
pids+=($!)
# --blocking-threads 1: granian's default pool with persistent connections exhausts
# PostgreSQL's connection slots (MACHINE-NOTES.md). --workers-kill-timeout bounds the
# shutdown should a worker still hang.
setsid .venv/bin/granian --interface wsgi --blocking-threads 1 --workers 2 --workers-kill-timeout 5 \
  --host "$host" --port "$port" cbnet.config.wsgi:application &
pids+=($!)
echo "serve: http://$host:$port/  (Ctrl-C stops the server and the task worker)"

status=0
wait -n "${pids[@]}" || status=$?
echo "serve: a process exited (status $status); stopping the other" >&2
exit "$status"
