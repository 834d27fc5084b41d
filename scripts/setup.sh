#!/usr/bin/env bash
# Bring the checkout to a runnable state; cheap when everything is already there.
#
#   scripts/setup.sh          what `make run` needs (runtime requirements, then collectstatic)
#   scripts/setup.sh --dev    the dev tools too (ruff, pytest, ...): lint, messages, bench
#   scripts/setup.sh --test   --dev plus the Debian packages tests use (Chromium, poppler, ...)
#
# Each step is skipped when its input has not changed since it last ran: the Python
# requirements (hash stamp in .venv/), package-lock.json (hash stamp in node_modules/),
# the .po catalogues (compared with their .mo) and the static sources (staticfiles/ stamp).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
  --test) mode=test ;;
  --dev) mode=dev ;;
  "") ;;
  *) echo "usage: $0 [--dev|--test]" >&2; exit 2 ;;
esac

say() { printf 'setup: %s\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# --- Debian packages -------------------------------------------------------------------
# WeasyPrint (PDF reports) needs pango and, from version 66 on, harfbuzz's subsetter.
apt_wanted=(gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "$mode" = test ]; then
  apt_wanted+=(chromium poppler-utils)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || apt_wanted+=(postgresql-15)
fi
command -v npm >/dev/null 2>&1 || apt_wanted+=(nodejs npm)
apt_missing=()
for pkg in "${apt_wanted[@]}"; do
  installed "$pkg" || apt_missing+=("$pkg")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${apt_missing[@]}" >/dev/null 2> >(grep -v '^debconf: ' >&2)
fi

# --- Python ----------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  python=$(command -v python3.11 || command -v python3)
  say "creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: .venv is not Python 3.11; remove it and run again" >&2
  exit 1
fi
if [ ! -x .venv/bin/uv ]; then
  say "installing uv into .venv"
  # pip.conf on these machines names local indexes that may be absent: quiet the warnings.
  .venv/bin/python -m pip install -q uv 2> >(grep -v "is ignored" >&2)
fi

# requirements-dev.txt pins runtime + dev tools, so a dev set-up also serves `make run`.
run_stamp="run $(hash_of requirements.txt)"
dev_stamp="dev $(hash_of requirements.txt requirements-dev.txt)"
current=$(cat .venv/.cbnet-requirements 2>/dev/null || true)
if [ "$mode" = run ]; then want=$run_stamp; reqs=requirements.txt
else want=$dev_stamp; reqs=requirements-dev.txt; fi
if [ "$current" != "$want" ] && [ "$current" != "$dev_stamp" ]; then
  say "uv pip sync $reqs"
  .venv/bin/uv pip sync --quiet --python .venv/bin/python "$reqs"
  echo "$want" > .venv/.cbnet-requirements
fi

# --- npm assets ------------------------------------------------------------------------
lock_hash=$(hash_of package-lock.json)
if [ "$(cat node_modules/.cbnet-lock 2>/dev/null || true)" != "$lock_hash" ]; then
  say "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.cbnet-lock
fi

# --- translations ----------------------------------------------------------------------
if [ -d cbnet/locale ]; then
  stale=$(find cbnet/locale -name '*.po' | while read -r po; do
    mo=${po%.po}.mo
    if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then echo "$po"; fi
  done)
  if [ -n "$stale" ]; then
    say "compilemessages"
    .venv/bin/python manage.py compilemessages --ignore .venv --ignore node_modules -v 0
  fi
fi

# --- static files (run only: tests serve static files through the finders) --------------
if [ "$mode" = run ]; then
  stamp=staticfiles/.cbnet-collected
  if [ ! -f "$stamp" ] || [ node_modules/.cbnet-lock -nt "$stamp" ] ||
     [ .venv/.cbnet-requirements -nt "$stamp" ] ||
     [ -n "$(find cbnet -newer "$stamp" \( -path '*/static/*' -o -name settings.py \) \
             -print -quit)" ]; then
    say "collectstatic"
    .venv/bin/python manage.py collectstatic --noinput --clear -v 0
    touch "$stamp"
  fi
fi

say "ready ($mode)"
