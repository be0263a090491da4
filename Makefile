# Doorstep: every command a developer, an operator or CI needs.
#
#   make demo    start PostgreSQL + Redis under var/, migrate, seed "Acme Outdoor", run web + worker + beat on :8000
#   make test    the whole test suite, on PostgreSQL and Redis (the machine's, else embedded under var/)
#   make soak    the demo stack under steady webhook and message traffic for 10 minutes
#   make lint    ruff, import contracts, mypy (baseline), missing migrations, OpenAPI schema warnings (what CI checks)
#   make bench   the benchmarks in bench/ (ratios against a same-run baseline)
#
# `.venv` is created or refreshed only when pyproject.toml or requirements.lock changed
# (the stamp file below), so repeated runs start at once.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.doorstep-installed
# Extra pytest arguments: make test ARGS="-x -k healthz"
ARGS ?=

.PHONY: help venv demo demo-reset test soak lint check bench lock

help:
	@sed -n 's/^#   make /  make /p' $(firstword $(MAKEFILE_LIST))

$(STAMP): pyproject.toml requirements.lock
	@if ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
		echo "Creating $(VENV) with $(PYTHON)"; \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV); \
	fi
	@echo "Installing dependencies from requirements.lock into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# Deletes the embedded PostgreSQL and Redis data and the dev outbox (not the generated secret
# key); the next `make demo` starts from an empty database. Refuses while the demo runs.
demo-reset: $(STAMP)
	@$(PY) -c 'import sys; from config import embedded; sys.exit(embedded.in_use("var"))' \
		|| { echo "The demo (or a test run) is using var/: stop it first."; exit 1; }
	rm -rf var/postgres var/redis var/run var/outbox var/celerybeat-schedule* var/*.log

# Two pytest-xdist workers, a test file each at a time (--dist loadfile: a module's tests share
# fixtures such as a running demo and depend on their order). Serially the suite took 15-19
# minutes on a 2-core machine, much of it waiting on servers, workers and Chromium.
# ARGS="-n 0" runs it in one process (for --pdb).
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile $(ARGS)

# The soak test at full length (CI runs it for a minute as part of `make test`).
soak: $(STAMP)
	DOORSTEP_SOAK_SECONDS=$${DOORSTEP_SOAK_SECONDS:-600} $(PY) -m pytest tests/test_demo.py -v -s $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(PY) scripts/mypy_baseline.py
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

check: test lint

bench: $(STAMP)
	@for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script; done

# After changing dependencies in pyproject.toml: resolve them afresh and pin the result.
lock:
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ sed -n '/^#/p' requirements.lock; $(PY) -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	@touch $(STAMP)
