# The two commands of the README: `make run` (set up and serve) and `make test` (the whole suite).
# `make install` sets up both: Python packages in .venv, npm packages (KaTeX) in node_modules.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/quicktakes
REDIS ?= redis://127.0.0.1:6379/1

$(PY):
	$(PYTHON) -m venv $(VENV)

.PHONY: install run test lint test-sqlite test-postgres
install: $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	npm ci --no-audit --no-fund --loglevel=error

run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py import_seeds fixtures --subjects fixtures/subjects.yaml
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The linter, then the whole suite twice: on the embedded SQLite default, then on PostgreSQL
# with the Redis cache.
test: install lint test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check .

test-sqlite:
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest

test-postgres:
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(PY) -m pytest
