# The two commands of the README: `make run` and `make test`.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 5000
export FLASK_APP := app

.PHONY: install run serve test lint format schema bench bench-load worker clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

# Served by gunicorn, as `make serve`: Werkzeug's development server can skip a response's
# close() when the browser resets the connection, and e-mail is written once the response has gone.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo "  Log in as demo@example.com with password demo-password-2026"
	@echo
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:app

# Production: migrate, then gunicorn with gunicorn.conf.py (workers from WEB_CONCURRENCY,
# bind from GUNICORN_BIND). Set SECRET_KEY, DATABASE_URL and FLASK_EXTERNAL_URL first.
serve: install
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --config gunicorn.conf.py app:app

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# ruff, then the migrations against the models (`flask db check`), then pytest on
# TEST_WORKERS processes (pytest-xdist; 0 runs it in this one), slowest groups first
# (tests/conftest.py: SLOW_GROUPS), writing bytecode even where the environment says not to
# (each worker otherwise rewrites every test module's asserts, ~5 s a run). With TEST_DATABASE_URL
# set, the migrations and the suite run on that database too (each worker on a database
# of its own, made beside it: see tests/conftest.py).
TEST_WORKERS ?= 2

test: lint
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  url="sqlite:///$$tmp/check.db"; \
	  DATABASE_URL="$$url" $(FLASK) db upgrade 2>&1 | tail -1; \
	  DATABASE_URL="$$url" $(FLASK) db check
	@if [ -n "$$TEST_DATABASE_URL" ]; then set -e; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(FLASK) db upgrade 2>&1 | tail -1; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(FLASK) db check; fi
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

# The export's JSON schema file, generated from its pydantic models (a test fails when stale).
schema: install
	$(PY) -m assessment.export_document --write

bench: install
	$(PY) bench/report.py
	$(PY) bench/save.py
	$(PY) bench/reset_timing.py

# Background jobs from REDIS_URL (without it, jobs run inside the web process).
worker: install
	$(FLASK) worker

# 32 clients for 60 s against gunicorn on PostgreSQL, then on SQLite (see bench/load.py).
bench-load: install
	$(PY) bench/load.py --database postgresql
	$(PY) bench/load.py --database sqlite

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
