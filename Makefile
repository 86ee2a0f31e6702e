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
PYTEST_ARGS ?= -n 2 --durations=15 -m "not serial and not quickstart"
# The whole suite runs once, on the main stack (Python 3.12, Django 6.1,
# with coverage and real Chromium). The other stacks run what can differ
# between Django and Python versions: the tests of Django's and asgiref's
# internals that django-sse uses, every ASGI server on the files users
# copy, the streams' HTTP face, migrations, and packaging (the Django 6.0
# stack runs from the installed wheel).
COMPAT_TESTS = tests/core/test_internals.py tests/core/test_asgi.py tests/core/test_http.py \
  tests/core/test_views.py tests/core/test_checks.py tests/core/test_publish.py \
  tests/core/test_static.py tests/core/test_migrations.py tests/core/test_clients.py \
  tests/test_entry_points.py
# The operating guide's gunicorn block (metrics across workers) runs on the
# main stack only: what it checks does not change with Django's version.
COMPAT_DESELECT = --deselect \
  tests/test_entry_points.py::test_the_operating_guides_gunicorn_block_counts_the_streams_of_every_worker
# The 6.0 wheel serves the deployment guide's first asgi.py (Django's own
# handler) under every server; its opt-in SharedSyncThread file runs on the
# main stack and on 5.2 (the private names it needs are guarded on all three).
WHEEL_DESELECT = $(foreach server,uvicorn daphne gunicorn hypercorn granian,--deselect \
  "tests/test_entry_points.py::test_the_deployment_guides_asgi_serves_an_event_from_another_process[shared-thread-$(server)]")
# Every auth path again with a custom user model whose pk is a UUID (a job's
# owner through one real worker of each kind, not every worker scenario).
UUID_USER_TESTS = tests/core/test_security.py tests/core/test_views.py tests/core/test_http.py \
  tests/core/test_streams.py tests/contrib/notifications tests/contrib/dashboards \
  tests/contrib/progress/test_progress.py tests/contrib/progress/test_jobs_admin.py \
  tests/contrib/progress/test_lifecycle.py \
  tests/contrib/progress/test_workers.py::test_a_job_runs_to_success_with_its_result_link
# Left to the main stack in that run: scale and sender-process tests whose
# user pks are only numbers in bulk statements (the UUID run keeps the
# ten-thousand-recipient notify() test for those).
UUID_DESELECT = $(foreach test,\
  test_grouping.py::test_ten_thousand_recipients_in_one_call_with_a_bounded_number_of_queries \
  test_types.py::test_ten_thousand_recipients_with_preferences_stay_a_bounded_number_of_queries \
  test_email.py::test_two_senders_at_once_never_send_one_notification_twice \
  test_push.py::test_two_sender_processes_post_each_message_once \
  test_push.py::test_the_loop_command_sends_what_comes_due,\
  --deselect tests/contrib/notifications/$(test))
export NO_MKDOCS_2_WARNING := 1

.PHONY: run test test-django52 test-django61 test-django60-wheel lint docs dist bench clean system-deps \
  venv-main venv-django52 venv-django60

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

# The test stacks' virtualenvs: cached outside the clone, keyed by their
# requirements (scripts/venv, with uv), this checkout installed editable.
CACHE := $(or $(DJANGO_SSE_CACHE),$(HOME)/.cache/django-sse)
UV = $(CACHE)/uv/bin/uv
MAIN_REQS = requirements/base.txt requirements/django61.txt requirements/test.txt requirements/docs.txt
DJANGO52_REQS = requirements/base.txt requirements/django52.txt requirements/test.txt
DJANGO60_REQS = requirements/base.txt requirements/django60.txt requirements/test.txt

# Python 3.12 + Django 6.1: the main stack (lint, types, docs, the whole suite)
venv-main: system-deps
	scripts/venv .venv-py312 $(PY312) $(MAIN_REQS)
	$(UV) pip install -q --python .venv-py312/bin/python --no-deps -e .

# Python 3.11 + Django 5.2 LTS (editable install)
venv-django52: system-deps
	scripts/venv .venv-py311 $(PY311) $(DJANGO52_REQS)
	$(UV) pip install -q --python .venv-py311/bin/python --no-deps -e .

# Python 3.13 + Django 6.0: the tests run against the built wheel, installed.
venv-django60: system-deps dist
	scripts/venv .venv-py313 $(PY313) $(DJANGO60_REQS)
	$(UV) pip install -q --python .venv-py313/bin/python --no-deps --reinstall dist/*.whl

# System packages the tests drive: Debian's chromium (Playwright cannot
# download a browser here), nginx (the reverse-proxy tests) and the MariaDB
# client library that mysqlclient builds against (the MariaDB tests).
system-deps:
	@command -v chromium >/dev/null && command -v nginx >/dev/null && \
	  pkg-config --exists libmariadb || \
	  { apt-get update -qq && apt-get install -y -qq chromium nginx-light libmariadb-dev pkg-config; }

lint: venv-main
	.venv-py312/bin/ruff check .
	.venv-py312/bin/ruff format --check .
	.venv-py312/bin/lint-imports
	.venv-py312/bin/mypy

docs: venv-main
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

# Django 5.2: the compatibility tests and the auth paths, in one run with
# UUID user pks (the example project the entry points serve keeps its own).
test-django52: venv-django52
	SSE_UUID_USERS=1 .venv-py311/bin/python -m pytest -n 2 $(COMPAT_DESELECT) $(UUID_DESELECT) \
	  $(sort $(COMPAT_TESTS) $(UUID_USER_TESTS))

# The main stack: the whole suite, with coverage of the package (servers
# and workers the tests start included) and the floor in pyproject.toml;
# the docs' code blocks, page by page in one process (a page's blocks
# share its names); the tests that restart PostgreSQL, alone; the
# tutorial, followed word for word with the built wheel.
test-django61: venv-main dist clients/js/node_modules/.installed tests/browser/node_modules/.installed
	rm -f .coverage .coverage.*
	.venv-py312/bin/python -m pytest $(PYTEST_ARGS) --cov --cov-report= tests
	.venv-py312/bin/python -m pytest --cov --cov-append --cov-report= README.md docs
	.venv-py312/bin/python -m pytest -m serial --cov --cov-append --cov-report=
	DJANGO_SSE_WHEEL=$$(ls $(CURDIR)/dist/*.whl) .venv-py312/bin/python -m pytest -m quickstart --cov --cov-append --cov-report=term

# Django 6.0: the compatibility tests against the installed wheel, not the
# source tree: they run from a copy of the repository without django_sse/.
test-django60-wheel: venv-django60
	rm -rf .wheel-test && mkdir .wheel-test
	tar -c --exclude=./django_sse --exclude='./.venv*' --exclude=./.git --exclude=./bench/.env \
	  --exclude=./dist --exclude=./.wheel-test --exclude=./site . | tar -x -C .wheel-test
	cd .wheel-test && ../.venv-py313/bin/python -c \
	  "import django_sse, pathlib; assert 'site-packages' in django_sse.__file__, django_sse.__file__"
	cd .wheel-test && ../.venv-py313/bin/python -m pytest -n 2 $(COMPAT_DESELECT) $(WHEEL_DESELECT) \
	  $(COMPAT_TESTS)

test: lint docs test-django61 test-django52 test-django60-wheel

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
