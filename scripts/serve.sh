#!/usr/bin/env bash
# Serve CBNet with granian (WSGI, 2 workers), the django-tasks database worker beside it, and
# a loop that runs the periodic commands (send_reminders, send_digests) every
# CBNET_PERIODIC_SECONDS (default 3600; production runs them from cron, docs/deploy.md).
# All stop together: on Ctrl-C, on SIGTERM, or when any one exits.
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
# Both commands are idempotent (what they sent is recorded), so running them hourly sends
# each reminder and each day's digest once. A failed run is reported and retried next time.
# Without a configured mail server the demo writes these e-mails to the log below instead of
# failing on localhost:25 every hour.
periodic=${CBNET_PERIODIC_SECONDS:-3600}
periodic_log=${CBNET_PERIODIC_LOG:-${TMPDIR:-/tmp}/cbnet-periodic.log}
if [ -z "${EMAIL_BACKEND:-}${EMAIL_HOST:-}" ]; then
  periodic_mail=django.core.mail.backends.console.EmailBackend
else
  periodic_mail=${EMAIL_BACKEND:-django.core.mail.backends.smtp.EmailBackend}
fi
EMAIL_BACKEND=$periodic_mail setsid bash -c '
  trap "kill \$! 2>/dev/null; exit 0" TERM
  while true; do
    .venv/bin/python manage.py send_reminders || echo "serve: send_reminders failed" >&2
    .venv/bin/python manage.py send_digests || echo "serve: send_digests failed" >&2
    sleep "$0" & wait $!
  done' "$periodic" >>"$periodic_log" 2>&1 &
pids+=($!)
# --blocking-threads 1: granian's default pool with persistent connections exhausts
# PostgreSQL's connection slots (MACHINE-NOTES.md). --workers-kill-timeout bounds the
# shutdown should a worker still hang.
setsid .venv/bin/granian --interface wsgi --blocking-threads 1 --workers 2 --workers-kill-timeout 5 \
  --host "$host" --port "$port" cbnet.config.wsgi:application &
pids+=($!)
echo "serve: http://$host:$port/  (Ctrl-C stops the server, the task worker and the periodic loop)"
echo "serve: reminders and digests every ${periodic}s, output in $periodic_log"

status=0
wait -n "${pids[@]}" || status=$?
echo "serve: a process exited (status $status); stopping the other" >&2
exit "$status"
