# The few commands a newcomer needs. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JOURNEY_ENV ?= development
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# make bench-postgres: each bench creates its own databases on this server and drops them.
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: help setup run test test-postgres lint bench bench-postgres serve worker scheduler clean lock \
	messages catalogs browser

help:
	@echo "make run            set up, migrate, load demo data, serve on http://127.0.0.1:5000"
	@echo "make test           set up and run the whole test suite (SQLite)"
	@echo "make test-postgres  the suite against PostgreSQL at PG_TEST_URL"
	@echo "make lint           ruff"
	@echo "make bench          every benchmark in bench/ (SQLite)"
	@echo "make bench-postgres every benchmark on PostgreSQL at PG_BENCH_URL"
	@echo "make serve          production: check settings, migrate, gunicorn on JOURNEY_BIND (DATABASE_URL)"
	@echo "make worker         production: one message worker (run M of them)"
	@echo "make scheduler      production: the scheduler (one leads, however many run)"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "journey needs Python 3.11 or newer (found $(PYTHON))"; exit 1; }
	@if ! $(PYTHON) -m venv $(VENV) 2>/dev/null; then \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's venv module for $(PYTHON)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				"python3-venv" "$$(basename $$(readlink -f $(PYTHON)))-venv" >/dev/null \
				|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
			$(PYTHON) -m venv $(VENV); \
		else \
			echo "python's venv module is missing: sudo apt-get install python3-venv"; exit 1; \
		fi; \
	fi
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup catalogs
	$(BIN)/journey db upgrade
	$(BIN)/journey demo load
	@echo "Serving journey on http://127.0.0.1:5000 (Ctrl-C stops it)."
	@echo "Messages go to instance/outbox-sms.log and instance/mail/ unless Twilio and SMTP are set."
	@$(BIN)/journey worker & w=$$!; $(BIN)/journey scheduler & s=$$!; \
		trap 'kill $$w $$s 2>/dev/null' EXIT INT TERM; \
		$(BIN)/journey run --host 127.0.0.1 --port 5000

test: setup catalogs
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-postgres: setup catalogs
	JOURNEY_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

bench: setup
	@set -e; for b in bench/[!_]*.py; do echo "== $$b"; env -u DATABASE_URL $(BIN)/python $$b; done

bench-postgres: setup
	@set -e; for b in bench/[!_]*.py; do echo "== $$b (PostgreSQL)"; \
		DATABASE_URL=$(PG_BENCH_URL) $(BIN)/python $$b; done

# Production form (README, "Production"): settings from the environment, JOURNEY_ENV=production.
# deploy/preflight.py names a missing SECRET_KEY, data key or DATABASE_URL in one line.
serve worker scheduler: export JOURNEY_ENV = production

serve: setup catalogs
	@$(BIN)/python deploy/preflight.py
	$(BIN)/journey db upgrade
	exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py

worker: setup catalogs
	@$(BIN)/python deploy/preflight.py
	exec $(BIN)/journey worker

scheduler: setup catalogs
	@$(BIN)/python deploy/preflight.py
	exec $(BIN)/journey scheduler

catalogs: setup
	@$(BIN)/pybabel --quiet compile -d locales

messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
		--sort-output -o locales/messages.pot .

browser:  ## Debian's Chromium, for tests/web/test_browser.py (as root)
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lock: setup
	{ echo '# Exact versions of every dependency, tested together. Regenerate with `make lock`.'; $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^journey' | sed -E 's/^([A-Za-z0-9_.-]+) @ file:.*\/[^/]*-([0-9][^-]*)-py.*$$/\1==\2/'; } > constraints.txt

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
