"""Token streams (``stream_to``) write a row per batch, not per token, and
stay resumable at token granularity: real PostgreSQL, real servers."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish, stream_to
from django_sse.catchup import Cursor
from django_sse.eventlog import publish_batch
from django_sse.logqueries import MAX_BATCH
from django_sse.models import Event
from django_sse.streams import _without_partial
from tests.servers import open_stream, uvicorn_and_daphne

pytestmark = pytest.mark.django_db(transaction=True)

rows = sync_to_async(lambda topic: Event.objects.filter(topic=topic).count())


async def tokens(n: int, every: float = 0.0):
    for i in range(n):
        if every:
            await asyncio.sleep(every)
        yield f"t{i} "


async def test_one_row_per_batch_and_one_event_per_token(uvicorn_server, hub_cleanup):
    async with open_stream(f"{uvicorn_server.url}/sse/stream/?topics=answer:1") as stream:
        await stream.wait_cursor()
        assert await stream_to("answer:1", tokens(300, every=0.001)) == 300
        events = await stream.events(301)
    assert [e.data for e in events[:-1]] == [f"t{i} " for i in range(300)]
    assert {e.type for e in events[:-1]} == {"token"} and events[-1].type == "done"
    written = await rows("answer:1")
    assert written <= 30  # 300 tokens in about 0.4 s: a row per 0.1 s, and the done
    ids = [e.last_event_id.split()[0] for e in events]
    assert len(set(ids)) == 301  # each token has a position of its own
    assert ids[0].isdigit()  # the first token went out at once, alone in its row


async def test_a_slow_producer_is_not_held_back(hub_cleanup, uvicorn_server):
    produced: list[float] = []

    async def slow():
        for i in range(4):
            await asyncio.sleep(0.5)
            produced.append(time.monotonic())
            yield f"t{i} "

    async with open_stream(f"{uvicorn_server.url}/sse/stream/?topics=answer:2") as stream:
        await stream.wait_cursor()
        task = asyncio.ensure_future(stream_to("answer:2", slow()))
        arrived = []
        for _ in range(4):
            [event] = await stream.events(1)
            arrived.append((event.data, time.monotonic()))
        await task
    assert [data for data, _ in arrived] == [f"t{i} " for i in range(4)]
    # Each token reached the watcher before the producer had the next one:
    # no token waited for the batch interval to fill.
    for (_, at), following in zip(arrived, produced[1:], strict=False):
        assert at < following


async def test_a_client_that_drops_mid_batch_resumes_on_another_server_exactly_once(
    test_db_url, hub_cleanup
):
    with uvicorn_and_daphne(test_db_url) as servers:
        first = await sync_to_async(publish)("answer:3", "before")
        batch = await sync_to_async(publish_batch)("answer:3", [f"t{i} " for i in range(10)])
        after = await sync_to_async(publish)("answer:3", None, event="done")
        assert batch == first + 1 and after == batch + 1
        url = "/sse/stream/?topics=answer:3"
        for cut in (1, 4, 9):
            headers = {"Last-Event-ID": f"{first} answer:3"}
            async with open_stream(servers[0].url + url, headers=headers) as stream:
                got = await stream.events(cut)
            position = got[-1].last_event_id
            assert position == f"{batch}:{cut} answer:3"
            async with open_stream(servers[1].url + url, headers={"Last-Event-ID": position}) as s:
                rest = await s.events(11 - cut)
                assert await s.silence(0.2) == []
            whole = [e.data for e in got + rest[:-1]]
            assert whole == [f"t{i} " for i in range(10)]
            assert rest[-2].last_event_id == f"{batch} answer:3"
            assert rest[-1].type == "done"


def test_positions_within_a_batch_parse():
    assert Cursor.parse("57:3 answer:1") == Cursor(56, partial=(57, 3))
    assert Cursor.parse("57:999") == Cursor(56, partial=(57, 999))
    for bad in ("57:", ":3", "0:1", "57:0", "57:1000", "57:3:4", "57:-1", "57:x"):
        assert Cursor.parse(bad) == Cursor(None, "malformed"), bad


def test_the_events_a_client_has_are_left_out_of_a_live_row():
    frame = b"id: 7:1 a\ndata: x\n\nid: 7:2 a\ndata: y\n\nid: 7 a\ndata: z\n\n"
    assert _without_partial(frame, (7, 1)) == b"id: 7:2 a\ndata: y\n\nid: 7 a\ndata: z\n\n"
    assert _without_partial(frame, (7, 2)) == b"id: 7 a\ndata: z\n\n"
    assert _without_partial(frame, (8, 1)) == frame


def test_batches_are_bounded_and_their_marker_is_reserved():
    with pytest.raises(ValueError, match="1 to 999"):
        publish_batch("answer:4", [])
    with pytest.raises(ValueError, match="1 to 999"):
        publish_batch("answer:4", ["x"] * (MAX_BATCH + 1))
    with pytest.raises(ValueError, match="django-sse's own"):
        publish("answer:4", "x", event="\x1etoken")
    assert Event.objects.count() == 0
