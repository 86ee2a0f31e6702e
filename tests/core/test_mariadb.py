"""MariaDB (Debian's package; MySQL's rules are the same): migrations,
streams over the polling broker, and topics compared exactly although the
database's default collation ignores case (``user:3`` must never match
``USER:3`` rows, nor ``abc`` those of ``ABC``)."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from tests.servers import Server, manage, open_stream

DATABASE = "django_sse_mariadb"
URL = f"mysql://root@127.0.0.1:3306/{DATABASE}"


def mariadb(sql: str) -> str:
    result = subprocess.run(
        ["mariadb", "-uroot", "-h", "127.0.0.1", "-N", "-e", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:  # CI starts MariaDB (.ci/run): missing is a failure
        raise AssertionError(f"MariaDB is not usable on 127.0.0.1:3306: {result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def database(worker_id):
    name = f"{DATABASE}_{worker_id}"
    mariadb(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4")
    url = URL.replace(DATABASE, name)
    manage(url, "migrate", "-v0")
    yield url
    mariadb(f"DROP DATABASE IF EXISTS {name}")


def publish(database: str, *events: tuple[str, str]) -> None:
    """Publish ``(topic, text)`` events in order, from a ``manage.py shell``;
    each carries its text as a JSON string."""
    calls = "; ".join(f"publish({topic!r}, {json.dumps(text)!r})" for topic, text in events)
    manage(database, "shell", "-c", f"from django_sse import publish; {calls}")


def test_the_default_collation_ignores_case_but_topics_do_not(database):
    name = database.rsplit("/", 1)[1]
    collation = mariadb(
        "SELECT default_collation_name FROM information_schema.schemata "
        f"WHERE schema_name = '{name}'"
    )
    assert collation.strip().endswith("_ci")  # what the fix is for
    columns = mariadb(
        "SELECT collation_name FROM information_schema.columns "
        f"WHERE table_schema = '{name}' AND table_name = 'django_sse_event' "
        "AND column_name = 'topic'"
    )
    assert columns.strip() == "utf8mb4_bin"


async def test_replay_latest_and_live_match_topics_exactly(database):
    # From another process, as the shell would (one process for the four).
    publish(
        database, ("abc", "lower"), ("ABC", "upper"), ("state:k", "lower"), ("STATE:K", "upper")
    )
    server = Server("uvicorn", database, DJANGO_SSE_BROKER="polling").start()
    try:
        url = f"{server.url}/sse/stream/?topics=abc,state:k&last_event_id=0"
        async with open_stream(url) as stream:
            # History (abc) and latest value (state:k, see tests/settings.py).
            replayed = await stream.events(2)
            assert sorted(e.json() for e in replayed) == ["lower", "lower"]
            publish(database, ("ABC", "upper again"), ("abc", "live"))
            [live] = await stream.events(1)
            assert live.json() == "live"
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            refused = await http.get("/sse/stream/?topics=USER:1")
        assert refused.status_code == 400
    finally:
        server.stop()
