"""Topics with retention "none" travel through the broker alone: no row in
the log, delivered at commit and never on rollback, in order, from any
process (real PostgreSQL NOTIFY, real Redis, real server processes)."""

import asyncio
import contextlib
import time

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import override_settings

from django_sse import publish, publish_many, unlogged
from django_sse.hubs import get_hub
from django_sse.models import Event
from tests.core.test_views import open_stream
from tests.servers import manage, uvicorn_and_daphne
from tests.servers import open_stream as open_http_stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]

apublish = sync_to_async(publish)
apublish_many = sync_to_async(publish_many)
rows = sync_to_async(lambda: list(Event.objects.values_list("topic", flat=True)))


async def _reader(async_client, topics="chat:1"):
    reader = await open_stream(async_client, f"?topics={topics}")
    await reader.until_cursor()
    return reader


async def test_an_unlogged_event_is_delivered_without_a_row(async_client):
    reader = await _reader(async_client, "chat:1,news")
    logged = await apublish("news", "logged")
    [first] = await reader.events(1)
    assert (first.data, first.last_event_id) == ("logged", f"{logged} news")
    assert await apublish("chat:1", {"token": "hi"}) == 0
    [second] = await reader.events(1)
    assert second.json() == {"token": "hi"}
    # The id is the hub's frontier: the cursor the client has already.
    assert second.last_event_id == f"{logged} chat:1 ~"
    assert await rows() == ["news"]
    assert (await get_hub()).stats.unlogged == 1


async def test_delivered_at_commit_and_never_on_rollback(async_client):
    reader = await _reader(async_client)
    hub = await get_hub()

    @sync_to_async
    def publish_then_commit() -> int:
        with transaction.atomic():
            publish("chat:1", "first")
            publish("chat:1", "second")
            time.sleep(0.3)  # the hub's listener runs meanwhile: nothing yet
            return hub.stats.unlogged

    @sync_to_async
    def rolled_back():
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            publish("chat:1", "never")
            raise ZeroDivisionError

    await rolled_back()
    assert await publish_then_commit() == 0
    events = await reader.events(2)
    assert [e.data for e in events] == ["first", "second"]
    await apublish("chat:1", "after")
    [event] = await reader.events(1)
    assert event.data == "after"  # "never" was not delivered in between
    assert hub.stats.unlogged == 3


async def test_identical_events_in_one_transaction_all_arrive(async_client):
    """PostgreSQL collapses identical NOTIFY payloads of one transaction."""
    reader = await _reader(async_client)
    ids = await apublish_many([("chat:1", "same", "token")] * 50)
    assert ids == [0] * 50
    events = await reader.events(50)
    assert [e.data for e in events] == ["same"] * 50
    assert {e.type for e in events} == {"token"}


async def test_publish_many_mixes_logged_and_unlogged_in_order(async_client):
    reader = await _reader(async_client, "chat:1,news")
    ids = await apublish_many([("news", 1, None), ("chat:1", 2, None), ("news", 3, None)])
    assert ids[1] == 0 and 0 < ids[0] < ids[2]
    events = await reader.events(3)
    assert sorted(e.json() for e in events) == [1, 2, 3]
    assert await rows() == ["news", "news"]


async def test_too_large_an_event_is_refused_with_the_reason(async_client):
    reader = await _reader(async_client)
    with pytest.raises(ValueError, match="at most 7999 bytes with the postgres broker"):
        await apublish("chat:1", "x" * 8000)
    with pytest.raises(ValueError, match="retention 'history' or 'latest'"):
        await apublish_many([("chat:1", "ok", None), ("chat:1", "é" * 4000, None)])
    await apublish("chat:1", "fits")
    [event] = await reader.events(1)
    assert event.data == "fits"  # nothing of the refused calls went out


async def test_a_notification_that_is_not_an_event_is_skipped(async_client, test_db_url):
    reader = await _reader(async_client)
    hub = await get_hub()
    async with await psycopg.AsyncConnection.connect(test_db_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_notify('django_sse', 'not json')")
        await conn.execute("SELECT pg_notify('django_sse', '[1, 2]')")
    await apublish("chat:1", "still live")
    [event] = await reader.events(1)
    assert event.data == "still live"
    assert hub.stats.skipped == 2


@override_settings(DJANGO_SSE_BROKER="memory")
async def test_the_memory_broker_carries_them_in_process(async_client):
    reader = await _reader(async_client)
    assert await apublish("chat:1", "in process") == 0
    [event] = await reader.events(1)
    assert event.data == "in process"
    assert await rows() == []


@override_settings(DJANGO_SSE_BROKER="polling", DJANGO_SSE_POLL_INTERVAL=0.05)
async def test_the_polling_broker_still_writes_them_to_the_log(async_client):
    reader = await _reader(async_client)
    event_id = await apublish("chat:1", "by row")
    assert event_id > 0
    [event] = await reader.events(1)
    assert (event.data, event.last_event_id) == ("by row", f"{event_id} chat:1")


def test_messages_are_unique_and_decode_back():
    a, b = unlogged.encode("t", "e", "d"), unlogged.encode("t", "e", "d")
    assert a != b
    assert unlogged.decode(a) == unlogged.decode(b) == ("t", "e", "d")
    assert unlogged.decode("[1, 2, 3, 4]") is None
    assert unlogged.decode("{}") is None


@pytest.mark.parametrize("broker", ["postgres", "redis"])
async def test_from_another_process_to_two_servers_in_order_without_rows(test_db_url, broker):
    script = (
        "from django.db import transaction\n"
        "from django_sse import publish\n"
        "for i in range(100): publish('chat:7', i, event='token')\n"
        "with transaction.atomic():\n"
        "    for i in range(100, 200): publish('chat:7', i, event='token')\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        publish('chat:7', -1, event='token'); 1 / 0\n"
        "except ZeroDivisionError: pass\n"
        "publish('chat:7', None, event='done')\n"
    )
    with uvicorn_and_daphne(test_db_url, DJANGO_SSE_BROKER=broker) as servers:
        async with contextlib.AsyncExitStack() as stack:
            opened = [
                await stack.enter_async_context(
                    open_http_stream(f"{srv.url}/sse/stream/?topics=chat:7")
                )
                for srv in servers
            ]
            for stream in opened:
                await stream.wait_cursor()
            await asyncio.to_thread(
                manage, test_db_url, "shell", "-c", script, DJANGO_SSE_BROKER=broker
            )
            for stream in opened:
                events = await stream.events(201, timeout=20)
                assert [e.json() for e in events[:200]] == list(range(200))
                assert events[200].type == "done"
                assert all(e.last_event_id.endswith(" chat:7 ~") for e in events)
                assert await stream.silence(0.2) == []
    assert await rows() == []
