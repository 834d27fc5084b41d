# CBNet. `make run` and `make test` set up what they need (scripts/setup.sh).
#   make run [HOST=127.0.0.1] [PORT=8000]   demo server with the task worker
#   make test [ARGS="-k foo"]               SQLite leg, then PostgreSQL leg (+ browser, fuzz)
#   make lint | messages | bench | lock | clean

HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=
PY := .venv/bin/python
MANAGE := $(PY) manage.py
COMPILE := .venv/bin/uv pip compile pyproject.toml --python-version 3.11 --no-header --quiet

# Local overrides (see .env.example); only the variables .env defines are exported.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
endif

.PHONY: run test lint format messages bench lock clean

run:
	scripts/setup.sh
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

test:
	scripts/test.sh $(ARGS)

lint:
	scripts/setup.sh --dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

messages:
	scripts/setup.sh --dev
	$(MANAGE) makemessages -d django -l es -l fr -l pt \
		--ignore .venv --ignore node_modules --ignore bench --ignore staticfiles
	$(MANAGE) compilemessages --ignore .venv --ignore node_modules

bench:
	@test -f bench/run.py || { echo "bench/run.py does not exist yet"; exit 1; }
	scripts/setup.sh --dev
	$(PY) bench/run.py $(ARGS)

# Re-pin requirements*.txt after editing pyproject.toml (ARGS=--upgrade to move pins).
lock:
	$(COMPILE) $(ARGS) -o requirements.txt
	$(COMPILE) $(ARGS) --extra dev -c requirements.txt -o requirements-dev.txt

clean:
	rm -rf staticfiles .pytest_cache .coverage htmlcov
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' \
		-prune -exec rm -rf {} +
