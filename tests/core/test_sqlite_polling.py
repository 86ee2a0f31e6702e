"""SQLite with the polling broker: what `make run` uses. A real server
process, the log in a SQLite file, events published by another process."""

import asyncio

import pytest

from tests.servers import Server, manage, open_stream


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    db_url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'db.sqlite3'}"
    manage(db_url, "migrate", "-v0")
    server = Server("uvicorn", db_url, DJANGO_SSE_HEARTBEAT="1").start()
    yield server
    server.stop()


async def test_polling_delivers_events_published_by_another_process(sqlite_server):
    url = f"{sqlite_server.url}/sse/stream/?topics=orders"
    async with open_stream(url) as stream:
        cursor = await stream.wait_cursor()
        out = await asyncio.to_thread(
            manage, sqlite_server.db_url, "sse_publish", "orders", "--data", '{"id": 1}'
        )
        [event] = await stream.events(1, timeout=5)
        assert event.json() == {"id": 1}
        event_id = event.last_event_id.split()[0]
        assert out.strip() == f"Published event {event_id} to 'orders' (message)."
    for i in range(3):
        await asyncio.to_thread(
            manage, sqlite_server.db_url, "sse_publish", "orders", "--data", str(i)
        )
    async with open_stream(url, headers={"Last-Event-ID": cursor}) as stream:
        events = await stream.events(4)
        assert [e.data for e in events] == ['{"id":1}', "0", "1", "2"]
