"""The files users copy, served as users serve them.

The example project's ``asgi.py`` (unmodified, on PostgreSQL) and the
deployment guide's ``asgi.py`` snippets (in a new ``startproject``, on
SQLite) start under uvicorn, daphne, gunicorn with two uvicorn workers,
hypercorn and granian, and each delivers an event published by
``manage.py shell`` in another process. And no module a settings, urls or
asgi file imports touches the app registry before ``django.setup()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from django_sse.protocol import Parser
from tests.servers import LOGS, ROOT, free_port

SERVERS = {
    "uvicorn": lambda app, port: ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", port],
    "daphne": lambda app, port: ["-m", "daphne", "-b", "127.0.0.1", "-p", port, app],
    "gunicorn": lambda app, port: [
        *("-m", "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "-w", "2"),
        *("-b", f"127.0.0.1:{port}", app),
    ],
    "hypercorn": lambda app, port: ["-m", "hypercorn", "-b", f"127.0.0.1:{port}", app],
    "granian": lambda app, port: [
        *("-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", port, app),
    ],
}
# Modules a settings, urls or asgi file imports, each imported in a new
# process with settings configured and the app registry not yet ready.
IMPORT_SAFE = [
    "django_sse",
    "django_sse.asgi",
    "django_sse.static",
    "django_sse.urls",
    "django_sse.contrib.notifications",
    "django_sse.contrib.progress",
    "django_sse.contrib.dashboards",
]
DEPLOYMENT = (ROOT / "docs" / "deployment.md").read_text()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def asgi_snippets() -> list[str]:
    """The deployment guide's ``asgi.py`` files, as the page shows them."""
    blocks = re.findall(r"```python\n# yourproject/asgi\.py\n(.*?)```", DEPLOYMENT, re.S)
    return [block.replace("yourproject", "mysite") for block in blocks]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@contextlib.contextmanager
def serving(kind: str, app: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = str(free_port())
    LOGS.mkdir(exist_ok=True)
    log = LOGS / f"entry-{kind}-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, *SERVERS[kind](app, port)], cwd=cwd, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _until_live(base, server, log, kind)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise AssertionError(f"{kind} did not stop on SIGTERM:\n{log.read_text()}") from None


def delivered(base: str, publish: list[str], cwd: Path, env: dict[str, str], streams: int) -> None:
    """Open ``streams`` streams of the topic ``news``, publish one event from
    another process, and read it on every stream."""
    with contextlib.ExitStack() as stack:
        readers = []
        for _ in range(streams):
            response = stack.enter_context(
                httpx.stream("GET", f"{base}/sse/stream/?topics=news", timeout=20)
            )
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            chunks = response.iter_raw()
            parser = Parser()
            parser.feed(next(chunks))  # open: its cursor is sent first
            readers.append((parser, chunks))
        run(publish, cwd, env)
        for parser, chunks in readers:
            events: list = []
            while not events:
                events = [e for e in parser.feed(next(chunks)) if e.type != "sse-cursor"]
            [event] = events
            assert event.type == "headline" and json.loads(event.data) == {"title": "Hello"}


PUBLISH = "from django_sse import publish; publish('news', {'title': 'Hello'}, event='headline')"


@pytest.fixture(scope="module")
def example_db() -> Iterator[str]:
    """A PostgreSQL database of the example project's own, migrated."""
    name = f"sse_entry_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    run([sys.executable, "manage.py", "migrate", "-v0"], ROOT, clean_env(DATABASE_URL=url))
    yield url
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.parametrize("kind", list(SERVERS))
def test_the_example_projects_asgi_serves_an_event_from_another_process(kind, example_db):
    env = clean_env(DATABASE_URL=example_db, PYTHONPATH=str(ROOT))
    # Two workers under gunicorn: enough streams that both hold some.
    streams = 6 if kind == "gunicorn" else 2
    with serving(kind, "example_project.asgi:application", ROOT, env) as base:
        shell = [sys.executable, "manage.py", "shell", "-c", PUBLISH]
        delivered(base, shell, ROOT, env, streams)


@pytest.fixture(scope="module")
def new_project(tmp_path_factory) -> Path:
    """``startproject mysite``, with django_sse added as the guide says."""
    where = tmp_path_factory.mktemp("deploy")
    env = clean_env()
    run([sys.executable, "-m", "django", "startproject", "mysite"], where, env)
    project = where / "mysite"
    with open(project / "mysite" / "settings.py", "a") as settings:
        settings.write('\nINSTALLED_APPS += ["django_sse"]\n')
    urls = project / "mysite" / "urls.py"
    text = urls.read_text().replace("import path", "import include, path")
    urls.write_text(text + '\nurlpatterns += [path("sse/", include("django_sse.urls"))]\n')
    run([sys.executable, "manage.py", "migrate", "-v0"], project, env)
    return project


def test_the_guide_shows_the_default_asgi_file_first():
    snippets = asgi_snippets()
    assert len(snippets) == 2, snippets
    assert "django_sse" not in snippets[0]  # Django's own handler, nothing else
    assert "SharedSyncThread" in snippets[1]


@pytest.mark.parametrize("kind", list(SERVERS))
@pytest.mark.parametrize("snippet", [0, 1], ids=["default", "shared-thread"])
def test_the_deployment_guides_asgi_serves_an_event_from_another_process(
    kind, snippet, new_project
):
    asgi = new_project / "mysite" / "asgi.py"
    original = asgi.read_text()
    asgi.write_text(asgi_snippets()[snippet])  # the whole file, as the page shows it
    env = clean_env(PYTHONPATH=str(new_project))
    try:
        with serving(kind, "mysite.asgi:application", new_project, env) as base:
            shell = [sys.executable, "manage.py", "shell", "-c", PUBLISH]
            delivered(base, shell, new_project, env, 4 if kind == "gunicorn" else 1)
    finally:
        asgi.write_text(original)


@pytest.mark.parametrize("module", IMPORT_SAFE)
def test_a_module_a_settings_or_asgi_file_imports_needs_no_app_registry(module):
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "from django.apps import apps\n"
        "assert not apps.ready and not apps.models_ready\n"
        "assert 'django_sse.models' not in sys.modules\n"
    )
    env = clean_env(DJANGO_SETTINGS_MODULE="example_project.settings", PYTHONPATH=str(ROOT))
    run([sys.executable, "-c", code], ROOT, env)


OPERATING = (ROOT / "docs" / "guides" / "operating.md").read_text()


def test_the_operating_guides_gunicorn_block_counts_the_streams_of_every_worker(
    new_project, tmp_path
):
    """The metrics block for several processes, run by bash as written (the
    metrics folder moved under the test's own, ``yourproject`` the new
    project, the port through gunicorn's ``GUNICORN_CMD_ARGS``): one scrape,
    answered by any of the four workers, counts the streams all of them hold."""
    block = re.search(r"```bash\n(rm -rf /run/django-sse-metrics.*?)```", OPERATING, re.S)[1]
    script = block.replace("/run/django-sse-metrics", str(tmp_path / "django-sse-metrics"))
    project = tmp_path / "mysite"
    shutil.copytree(new_project, project)
    token = "a-token-for-the-scraper"
    with open(project / "mysite" / "settings.py", "a") as settings:
        settings.write(f'DJANGO_SSE_METRICS_TOKEN = "{token}"\nDJANGO_SSE_METRICS_INTERVAL = 0.2\n')
    port = free_port()
    env = clean_env(
        PYTHONPATH=str(project),
        GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    LOGS.mkdir(exist_ok=True)
    log = LOGS / f"operating-gunicorn-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["bash", "-c", script.replace("yourproject", "mysite")],
            cwd=project,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        with contextlib.ExitStack() as stack:
            _until_live(base, server, log)
            readers = []  # an iterator let go would close its stream
            for _ in range(8):
                response = stack.enter_context(
                    httpx.stream("GET", f"{base}/sse/stream/?topics=news", timeout=20)
                )
                readers.append(response.iter_raw())
                next(readers[-1])  # open: its cursor is sent first
            counted = None
            for _ in range(100):  # each worker copies its counts every 0.2 s
                scrape = httpx.get(
                    f"{base}/sse/metrics/", headers={"Authorization": f"Bearer {token}"}
                )
                assert scrape.status_code == 200, scrape.text
                counted = re.search(r"^django_sse_streams (\S+)$", scrape.text, re.M)
                if counted and float(counted[1]) == 8:
                    break
                time.sleep(0.1)
            assert counted and float(counted[1]) == 8, scrape.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _until_live(base: str, server: subprocess.Popen, log: Path, name: str = "the server") -> None:
    """Wait (30 s at most) until the server's liveness probe answers."""
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, f"{name} exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{name} did not answer:\n{log.read_text()}"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/sse/health/live/", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
