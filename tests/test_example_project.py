"""The example project as `make run` serves it: daphne's runserver on SQLite,
demo users, every demo page, and a clean Ctrl-C with streams open."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests.servers import ROOT, free_port

PAGES = ["/", "/feed/", "/notifications/", "/jobs/", "/dashboard/", "/story/", "/admin/"]
ASSETS = [
    "django_sse/django-sse.js",
    "django_sse/django-sse.css",
    "django_sse/notifications.js",
    "django_sse/progress.js",
    "django_sse/dashboard.js",
]


def test_demo_pages_and_a_clean_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput", "-v0"], ["demo_setup"]):
        subprocess.run([*manage, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "runserver.log").open("wb")
    # A session of its own: Ctrl-C reaches runserver's whole process group.
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(150):
                try:
                    http.get("/accounts/login/")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = http.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
            signed_in = http.post(
                "/accounts/login/",
                data={"username": "demo", "password": "demo", "csrfmiddlewaretoken": token},
            )
            assert signed_in.status_code == 302
            for page in PAGES:
                response = http.get(page)
                assert response.status_code == 200, (page, response.status_code)
            for asset in ASSETS:
                assert http.get(f"/static/{asset}").status_code == 200, asset
            # One broadcast at a time: a second one would interleave on the page.
            token = http.cookies["csrftoken"]
            first = http.post("/story/broadcast/", headers={"X-CSRFToken": token})
            second = http.post("/story/broadcast/", headers={"X-CSRFToken": token})
            assert (first.status_code, second.status_code) == (202, 409)
            streams = [
                http.stream("GET", f"/sse/stream/?topics={topic}").__enter__()
                for topic in ("a", "b")
            ]
            assert all(s.status_code == 200 for s in streams)
            started = time.monotonic()
            os.killpg(server.pid, signal.SIGINT)
            server.wait(10)
            assert time.monotonic() - started < 3
            for stream in streams:
                stream.close()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    output = (tmp_path / "runserver.log").read_text()
    assert "Traceback" not in output and "never retrieved" not in output, output
