# The two commands of the README: `make run` and `make test`.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 5000
export FLASK_APP := app

.PHONY: install run test lint format bench worker clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo "  Log in as demo@example.com with password demo-password-2026"
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# ruff, then the migrations against the models (`flask db check`), then pytest.
# With TEST_DATABASE_URL set, the migrations and the suite run on that database too.
test: lint
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  url="sqlite:///$$tmp/check.db"; \
	  DATABASE_URL="$$url" $(FLASK) db upgrade 2>&1 | tail -1; \
	  DATABASE_URL="$$url" $(FLASK) db check
	@if [ -n "$$TEST_DATABASE_URL" ]; then set -e; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(FLASK) db upgrade 2>&1 | tail -1; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(FLASK) db check; fi
	$(PY) -m pytest

bench: install
	$(PY) bench/report.py
	$(PY) bench/save.py

# Background jobs from REDIS_URL (without it, jobs run inside the web process).
worker: install
	$(FLASK) worker

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
