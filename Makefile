# The two commands of the README:
#   make run    set up a virtualenv, migrate SQLite, create demo users, serve http://127.0.0.1:8000
#   make test   set up both supported stacks and run the whole suite on each
# PostgreSQL (127.0.0.1:5432, database "test") must be running for the tests.

SHELL := /bin/bash
RUN_VENV := .venv
PY311 = $(shell scripts/find-python 3.11)
PY312 = $(shell scripts/find-python 3.12)
PYTEST_ARGS ?= -n 2 -m "not serial"

.PHONY: run test test-django52 test-django61 lint bench clean system-deps

$(RUN_VENV)/.installed: requirements/base.txt requirements/django52.txt pyproject.toml
	$(PY311) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install -q --upgrade pip
	$(RUN_VENV)/bin/pip install -q -r requirements/django52.txt -e .
	touch $@

run: $(RUN_VENV)/.installed
	$(RUN_VENV)/bin/python manage.py migrate --noinput -v0
	$(RUN_VENV)/bin/python manage.py demo_setup
	$(RUN_VENV)/bin/python manage.py runserver 127.0.0.1:8000

# Python 3.11 + Django 5.2 LTS
.venv-py311/.installed: requirements/base.txt requirements/django52.txt requirements/test.txt pyproject.toml
	$(PY311) -m venv .venv-py311
	.venv-py311/bin/pip install -q --upgrade pip
	.venv-py311/bin/pip install -q -r requirements/django52.txt -r requirements/test.txt -e .
	touch $@

# Python 3.12 + Django 6.1
.venv-py312/.installed: requirements/base.txt requirements/django61.txt requirements/test.txt pyproject.toml
	$(PY312) -m venv .venv-py312
	.venv-py312/bin/pip install -q --upgrade pip
	.venv-py312/bin/pip install -q -r requirements/django61.txt -r requirements/test.txt -e .
	touch $@

# System packages the tests drive: Debian's chromium (Playwright cannot
# download a browser here) and nginx (the reverse-proxy tests).
system-deps:
	@command -v chromium >/dev/null && command -v nginx >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq chromium nginx-light; }

# Each stack: the suite on two workers, then the tests that restart PostgreSQL, alone.
test-django52: .venv-py311/.installed system-deps
	.venv-py311/bin/python -m pytest $(PYTEST_ARGS)
	.venv-py311/bin/python -m pytest -m serial

test-django61: .venv-py312/.installed system-deps
	.venv-py312/bin/python -m pytest $(PYTEST_ARGS)
	.venv-py312/bin/python -m pytest -m serial

lint: .venv-py312/.installed
	.venv-py312/bin/ruff check django_sse tests example_project bench
	.venv-py312/bin/ruff format --check django_sse tests example_project bench

test: lint test-django52 test-django61

# The benchmark's own environment: django-sse's stack plus django-eventstream.
bench/.env/.installed: bench/requirements.txt requirements/base.txt requirements/django61.txt pyproject.toml
	$(PY312) -m venv bench/.env
	bench/.env/bin/pip install -q --upgrade pip
	bench/.env/bin/pip install -q -r bench/requirements.txt -e .
	touch $@

bench: bench/.env/.installed
	bench/.env/bin/python bench/run.py

clean:
	rm -rf $(RUN_VENV) .venv-py311 .venv-py312 .test-logs
