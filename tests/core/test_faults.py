"""PostgreSQL restarted under a live stream. It stops every connection of
the machine, so it runs alone, after the parallel suite (``-m serial``)."""

import asyncio
import subprocess
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from django_sse import publish
from tests.servers import Server, open_stream

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reconnect_after(transactional_db):
    """The restart broke the test's own connection: drop it before the
    database is flushed (this teardown runs before transactional_db's)."""
    yield
    connections.close_all()


def restart_postgres() -> None:
    version = sorted(Path("/etc/postgresql").iterdir())[-1].name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=60,
    )


@sync_to_async
def publish_range(start: int, stop: int) -> None:
    connections.close_all()  # the restart broke this thread's connection
    for i in range(start, stop):
        publish("fault", i)


async def test_postgres_restart_during_a_stream_loses_nothing(test_db_url, reconnect_after):
    server = Server("uvicorn", test_db_url).start()
    try:
        async with open_stream(f"{server.url}/sse/stream/?topics=fault") as stream:
            await stream.wait_cursor()
            await publish_range(0, 10)
            assert [e.json() for e in await stream.events(10)] == list(range(10))
            await asyncio.to_thread(restart_postgres)
            await publish_range(10, 30)
            events = await stream.events(20, timeout=30)
            assert [e.json() for e in events] == list(range(10, 30))
        # The server keeps serving new streams too.
        async with open_stream(f"{server.url}/sse/stream/?topics=fault") as again:
            await again.wait_cursor()
    finally:
        server.stop()
        await sync_to_async(connections.close_all)()
