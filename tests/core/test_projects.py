"""Projects with only some of django-sse's apps installed (``tests.projects``):
each migrates only its own tables, passes its checks, and streams."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, Server, open_stream, server_env

CORE = {
    "django_sse_event",
    "django_sse_logstate",
    "django_sse_hubpresence",
    "django_sse_viewer",
    "django_sse_viewedtopic",
}
APP_TABLES = {
    "notifications": {
        "sse_notifications_notification",
        "sse_notifications_announcement",
        "sse_notifications_announcementdismissal",
        "sse_notifications_notificationpreference",
        "sse_notifications_mute",
        "sse_notifications_emailsettings",
        "sse_notifications_pushsubscription",
        "sse_notifications_pushmessage",
        "sse_notifications_usersonline",
        "sse_notifications_chatwebhook",
        "sse_notifications_chatmessage",
        "sse_notifications_quiethours",
        "sse_notifications_watch",
    },
    "progress": {"sse_progress_taskprogress"},
    "dashboards": {"sse_dashboards_samplerlease"},
}


def project_env(tmp_path: Path, apps: str, **extra: str) -> dict[str, str]:
    return server_env(
        "",
        DJANGO_SETTINGS_MODULE="tests.projects.settings",
        PROJECT_DB=str(tmp_path / "default.sqlite3"),
        PROJECT_EVENTS_DB=str(tmp_path / "events.sqlite3"),
        SSE_APPS=apps,
        **extra,
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def sse_tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {name for name in names if name.startswith(("django_sse_", "sse_"))}


async def published_reaches_a_stream(env: dict[str, str]) -> None:
    server = Server("uvicorn", "", **env).start()
    try:
        async with open_stream(f"{server.url}/sse/stream/?topics=news") as stream:
            await stream.wait_cursor()
            manage(env, "sse_publish", "news", "--data", '{"n": 1}')
            [event] = await stream.events(1)
        assert json.loads(event.data) == {"n": 1}
    finally:
        server.stop()


@pytest.mark.parametrize("apps", ["", "notifications", "progress", "dashboards"])
async def test_project_with_only_some_apps(tmp_path, apps):
    env = project_env(tmp_path, apps)
    manage(env, "migrate", "-v0")
    assert sse_tables(tmp_path / "default.sqlite3") == CORE | APP_TABLES.get(apps, set())
    assert "no issues" in manage(env, "check")
    manage(env, "makemigrations", "--check", "--dry-run")
    await published_reaches_a_stream(env)


async def test_two_databases_every_sse_table_and_event_on_the_alias(tmp_path):
    env = project_env(tmp_path, "notifications,progress,dashboards", SSE_TWO_DATABASES="1")
    manage(env, "migrate", "-v0")
    manage(env, "migrate", "-v0", "--database", "events")
    every = CORE | set().union(*APP_TABLES.values())
    assert sse_tables(tmp_path / "default.sqlite3") == set()
    assert sse_tables(tmp_path / "events.sqlite3") == every
    assert "no issues" in manage(env, "check")
    # Rolled back on the alias: never published. Committed: on the alias only.
    manage(
        env,
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from django_sse import publish\n"
        "try:\n"
        "    with transaction.atomic(using='events'):\n"
        "        publish('news', 'rolled back')\n"
        "        raise RuntimeError\n"
        "except RuntimeError:\n"
        "    pass\n",
    )
    with closing(sqlite3.connect(tmp_path / "events.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM django_sse_event").fetchone() == (0,)
    await published_reaches_a_stream(env)
    with closing(sqlite3.connect(tmp_path / "events.sqlite3")) as db:
        assert db.execute("SELECT topic FROM django_sse_event").fetchall() == [("news",)]


async def test_without_migrate_streams_say_run_migrate_once(tmp_path):
    env = project_env(tmp_path, "")
    server = Server("uvicorn", "", **env).start()
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(3):
                started = time.monotonic()
                response = await http.get(f"{server.url}/sse/stream/?topics=news")
                assert time.monotonic() - started < 3
                assert response.status_code == 503 and response.headers["Retry-After"] == "5"
                assert "run 'python manage.py migrate'" in response.json()["error"]
            await asyncio.sleep(2)  # the hub retries meanwhile
    finally:
        server.stop()
    log = server.log.read_text()
    assert log.count("run 'python manage.py migrate'") == 1 and "Traceback" not in log
