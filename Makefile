# The two commands of the README:
#   make run    set up a virtualenv, migrate SQLite, create demo users, serve http://127.0.0.1:$(PORT)
#               (and run the jobs worker beside the server)
#   make test   lint, types, docs and packaging, then the whole suite on every supported stack
# PostgreSQL (127.0.0.1:5432, database "test") and Redis must be running for the tests.

SHELL := /bin/bash
RUN_VENV := .venv
PORT ?= 8000
PY311 = $(shell scripts/find-python 3.11)
PY312 = $(shell scripts/find-python 3.12)
PY313 = $(shell scripts/find-python 3.13)
PYTEST_ARGS ?= -n 2 -m "not serial and not quickstart"
# Real Chromium runs the JS against one stack (Django 6.1, with coverage):
# the JS is the same on every stack, and what each stack serves it is
# tested over HTTP on all three. Half the suite's time is in the browser.
OTHER_STACKS_ARGS ?= $(PYTEST_ARGS) --ignore=tests/browser
# Every auth path again with a custom user model whose pk is a UUID.
UUID_USER_TESTS = tests/core/test_security.py tests/core/test_views.py tests/core/test_http.py \
  tests/core/test_streams.py tests/contrib
export NO_MKDOCS_2_WARNING := 1

.PHONY: run test test-django52 test-django61 test-django60-wheel lint docs dist bench clean system-deps

$(RUN_VENV)/.installed: requirements/base.txt requirements/django52.txt pyproject.toml
	$(PY311) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install -q --upgrade pip
	$(RUN_VENV)/bin/pip install -q -r requirements/django52.txt -e .
	touch $@

run: $(RUN_VENV)/.installed
	@scripts/port-free $(PORT)
	$(RUN_VENV)/bin/python manage.py migrate --noinput -v0
	$(RUN_VENV)/bin/python manage.py demo_setup
	scripts/run-demo $(RUN_VENV)/bin/python 127.0.0.1:$(PORT)

# Python 3.11 + Django 5.2 LTS (editable install)
.venv-py311/.installed: requirements/base.txt requirements/django52.txt requirements/test.txt pyproject.toml | system-deps
	$(PY311) -m venv .venv-py311
	.venv-py311/bin/pip install -q --upgrade pip
	.venv-py311/bin/pip install -q -r requirements/django52.txt -r requirements/test.txt -e .
	touch $@

# Python 3.12 + Django 6.1 (editable install; lint, types, docs, packaging, coverage)
.venv-py312/.installed: requirements/base.txt requirements/django61.txt requirements/test.txt requirements/docs.txt pyproject.toml | system-deps
	$(PY312) -m venv .venv-py312
	.venv-py312/bin/pip install -q --upgrade pip
	.venv-py312/bin/pip install -q -r requirements/django61.txt -r requirements/test.txt -r requirements/docs.txt -e .
	touch $@

# Python 3.13 + Django 6.0: the suite runs against the built wheel, installed.
.venv-py313/.installed: requirements/base.txt requirements/django60.txt requirements/test.txt | system-deps
	$(PY313) -m venv .venv-py313
	.venv-py313/bin/pip install -q --upgrade pip
	.venv-py313/bin/pip install -q -r requirements/django60.txt -r requirements/test.txt
	touch $@

# System packages the tests drive: Debian's chromium (Playwright cannot
# download a browser here), nginx (the reverse-proxy tests) and the MariaDB
# client library that mysqlclient builds against (the MariaDB tests).
system-deps:
	@command -v chromium >/dev/null && command -v nginx >/dev/null && \
	  pkg-config --exists libmariadb || \
	  { apt-get update -qq && apt-get install -y -qq chromium nginx-light libmariadb-dev pkg-config; }

lint: .venv-py312/.installed
	.venv-py312/bin/ruff check .
	.venv-py312/bin/ruff format --check .
	.venv-py312/bin/lint-imports
	.venv-py312/bin/mypy

docs: .venv-py312/.installed
	.venv-py312/bin/mkdocs build --strict -d site

# The sdist and wheel, with their metadata checked: a venv of build and
# twine alone, nothing of the test stacks.
.venv-dist/.installed: requirements/dist.txt
	$(PY312) -m venv .venv-dist
	.venv-dist/bin/pip install -q -r requirements/dist.txt
	touch $@

dist: .venv-dist/.installed
	rm -rf dist
	.venv-dist/bin/python -m build -q . >/dev/null
	.venv-dist/bin/twine check --strict dist/*

# Each stack: the suite on two workers, then the tests that restart
# PostgreSQL, alone. On this one, the auth paths with UUID user pks too.
test-django52: .venv-py311/.installed system-deps clients/js/node_modules/.installed tests/browser/node_modules/.installed
	.venv-py311/bin/python -m pytest $(OTHER_STACKS_ARGS)
	SSE_UUID_USERS=1 .venv-py311/bin/python -m pytest $(OTHER_STACKS_ARGS) $(UUID_USER_TESTS)
	.venv-py311/bin/python -m pytest -m serial

# Coverage of the package (servers and workers the tests start included),
# with the floor in pyproject.toml; and the tutorial, followed word for word.
test-django61: .venv-py312/.installed system-deps dist clients/js/node_modules/.installed tests/browser/node_modules/.installed
	rm -f .coverage .coverage.*
	.venv-py312/bin/python -m pytest $(PYTEST_ARGS) --cov --cov-report=
	.venv-py312/bin/python -m pytest -m serial --cov --cov-append --cov-report=
	DJANGO_SSE_WHEEL=$$(ls $(CURDIR)/dist/*.whl) .venv-py312/bin/python -m pytest -m quickstart --cov --cov-append --cov-report=term

# The installed wheel, not the source tree: the suite runs from a copy of
# the repository without django_sse/.
test-django60-wheel: .venv-py313/.installed system-deps dist clients/js/node_modules/.installed tests/browser/node_modules/.installed
	.venv-py313/bin/pip install -q --force-reinstall --no-deps dist/*.whl
	rm -rf .wheel-test && mkdir .wheel-test
	tar -c --exclude=./django_sse --exclude='./.venv*' --exclude=./.git --exclude=./bench/.env \
	  --exclude=./dist --exclude=./.wheel-test --exclude=./site . | tar -x -C .wheel-test
	cd .wheel-test && ../.venv-py313/bin/python -c \
	  "import django_sse, pathlib; assert 'site-packages' in django_sse.__file__, django_sse.__file__"
	cd .wheel-test && ../.venv-py313/bin/python -m pytest $(OTHER_STACKS_ARGS)
	cd .wheel-test && ../.venv-py313/bin/python -m pytest -m serial

test: lint docs test-django52 test-django61 test-django60-wheel

# The npm client's development packages (React, jsdom, TypeScript), from
# the npm registry at the versions its lock file pins.
clients/js/node_modules/.installed: clients/js/package.json clients/js/package-lock.json
	cd clients/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# axe-core, which the accessibility tests inject into pages in Chromium.
tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The benchmark's own environment: django-sse's stack plus django-eventstream.
bench/.env/.installed: bench/requirements.txt requirements/base.txt requirements/django61.txt pyproject.toml
	$(PY312) -m venv bench/.env
	bench/.env/bin/pip install -q --upgrade pip
	bench/.env/bin/pip install -q -r bench/requirements.txt -e .
	touch $@

bench: bench/.env/.installed
	bench/.env/bin/python bench/run.py

clean:
	rm -rf $(RUN_VENV) .venv-py311 .venv-py312 .venv-py313 .venv-dist .test-logs .wheel-test dist site build
