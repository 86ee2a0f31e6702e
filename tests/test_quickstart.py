"""The tutorial (docs/tutorial.md), followed word for word.

Its shell commands and the snippets it says to add are read from the page
itself, so the docs cannot drift from what works: a new virtualenv, the
built wheel (``DJANGO_SSE_WHEEL``) with the documented extra, a new
project, the documented settings and URLs, ``migrate``, ``check``, then a
real server (uvicorn, as the page offers) that streams a published event
and serves the widgets' JavaScript and CSS.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from django_sse.protocol import Parser
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.quickstart
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text()


def commands() -> list[str]:
    """Every ``$ command`` of the page's console blocks, in order."""
    blocks = re.findall(r"```console\n(.*?)```", TUTORIAL, re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def snippets() -> dict[str, str]:
    """The code the page says to add at the end of a file, by file name."""
    found = re.findall(r'```python title="([^"]+)"\n(.*?)```', TUTORIAL, re.S)
    return dict(found)


def expected_output() -> str:
    """The ``text`` block the page shows after the publish command."""
    after = TUTORIAL.split("sse_publish news", 1)[1]
    return re.search(r"```text\n(.*?)```", after, re.S).group(1) + "\n"


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@contextlib.contextmanager
def serve(command: list[str], project: Path, env: dict[str, str]) -> Iterator[str]:
    """Run a server on a free port (``--port N`` for uvicorn, ``host:port``
    for runserver) until it answers; yield its base URL."""
    port = free_port()
    address = ["--port", str(port)] if command[0] == "uvicorn" else [f"127.0.0.1:{port}"]
    log_path = project.parent / f"{command[0]}-{port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, *address], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            for _ in range(150):
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), 0.2),
                ):
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(log_path.read_text())
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(10)


def test_the_tutorial_works_word_for_word(tmp_path):
    wheel = os.environ.get("DJANGO_SSE_WHEEL")
    if not wheel:
        raise pytest.UsageError("Set DJANGO_SSE_WHEEL to the built wheel (make test does).")
    steps = commands()
    install, startproject, cd, migrate, runserver, curl, publish = steps
    assert install.startswith("pip install") and "django-sse-hub[postgres]" in install
    assert cd == "cd mysite" and runserver == "python manage.py runserver"

    venv.create(tmp_path / "env", with_pip=True)
    bin_dir = tmp_path / "env" / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTHON"))}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    # The documented install, with the built wheel standing for the package
    # index's release (and uvicorn, which the page offers for serving).
    args = [
        re.sub(r"^(django-sse-hub(\[[a-z,]+\])?)$", rf"\1 @ file://{wheel}", arg)
        for arg in shlex.split(install)
    ]
    run([str(bin_dir / "python"), "-m", *args, "uvicorn"], tmp_path, env)
    run(shlex.split(startproject), tmp_path, env)
    project = tmp_path / "mysite"
    for name, code in snippets().items():
        with open(project / name, "a") as file:
            file.write("\n" + code)
    run(shlex.split(migrate), project, env)
    checked = run(["python", "manage.py", "check"], project, env)
    assert "System check identified no issues" in checked, checked

    with serve(["uvicorn", "mysite.asgi:application"], project, env) as base:
        url = shlex.split(curl)[-1].replace("http://127.0.0.1:8000", base)
        for asset in (
            "django_sse/django-sse.js",
            "django_sse/django-sse.css",
            "django_sse/notifications.js",
        ):
            assert httpx.get(f"{base}/static/{asset}").status_code == 200, asset
        with httpx.stream("GET", url, timeout=30) as response:
            assert response.status_code == 200
            parser = Parser()
            chunks = response.iter_raw()
            raw = next(chunks)  # the stream is open
            parser.feed(raw)
            run(shlex.split(publish), project, env)
            events = []
            while not events:
                raw += (chunk := next(chunks))
                events = [e for e in parser.feed(chunk) if e.type != "sse-cursor"]
        [event] = events
        assert event.type == "headline" and json.loads(event.data) == {"title": "Hello"}
        assert event.last_event_id.endswith(" news")
        # What the page shows the terminal printing, byte for byte.
        assert raw.decode() == expected_output(), raw

    # The page's runserver: daphne's, since "daphne" comes first (a WSGI
    # runserver would answer the stream with 501).
    with (
        serve([*shlex.split(runserver), "--noreload"], project, env) as base,
        httpx.stream("GET", f"{base}/sse/stream/?topics=news", timeout=5) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
