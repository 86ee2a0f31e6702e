"""One stream's life in process: replay, live, and ending after given events."""

import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from django_sse import publish
from django_sse.catchup import Cursor
from django_sse.hubs import get_hub
from django_sse.protocol import Parser
from django_sse.streams import event_stream
from tests.users import User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]
send = sync_to_async(publish)


async def read_all(stream, timeout: float = 5.0) -> list:
    parser, events = Parser(), []
    async with asyncio.timeout(timeout):
        async for chunk in stream:
            events += [e for e in parser.feed(chunk) if e.type != "sse-cursor"]
    return events


async def test_stream_ends_after_an_end_after_event_live():
    hub = await get_hub()
    stream = event_stream(hub, ["job:1"], Cursor(None), end_after=frozenset({"done"}))
    assert (await anext(stream)).startswith(b"retry:")
    await send("job:1", 1, event="step")
    await send("job:1", 2, event="done")
    await send("job:1", 3, event="step")  # after the end: never sent
    events = await read_all(stream)
    assert [(e.type, e.data) for e in events] == [("step", "1"), ("done", "2")]
    assert hub.subscriber_count == 0


async def test_stream_ends_after_an_end_after_event_in_replay():
    first = await send("job:2", 1, event="step")
    await send("job:2", 2, event="done")
    await send("job:2", 3, event="step")
    hub = await get_hub()
    stream = event_stream(hub, ["job:2"], Cursor(first - 1), end_after=frozenset({"done"}))
    events = await read_all(stream)
    assert [e.data for e in events] == ["1", "2"]
    assert hub.subscriber_count == 0


async def test_progress_streams_count_against_the_per_user_limit(async_client):
    from django_sse.contrib.progress import Progress

    user = await User.objects.acreate(username="limited")
    job = await sync_to_async(Progress.start)(owner=user)
    await async_client.aforce_login(user)
    url = f"/sse/progress/{job.id}/"
    with override_settings(DJANGO_SSE_MAX_STREAMS_PER_USER=1):
        first = await async_client.get(url)
        chunks = aiter(first.streaming_content)
        assert b"event: progress" in await anext(chunks)  # the current state, from the log
        second = await async_client.get(url)
        assert second.status_code == 429 and second.json()["status"] == 429
        await chunks.aclose()


async def test_an_event_between_subscribing_and_starting_arrives_once(async_client):
    """The response subscribes when it is made; the stream starts when the
    server sends it. An event fanned out in between must come once, not in
    the replay and again live (the 10-minute soak found 964 such doubles)."""
    from asgiref.sync import sync_to_async

    from django_sse import publish
    from django_sse.hubs import running_hub

    first = await async_client.get("/sse/stream/?topics=between")  # starts the hub
    await anext(aiter(first.streaming_content))
    response = await async_client.get("/sse/stream/?topics=between&last_event_id=0")
    event_id = await sync_to_async(publish)("between", "once")
    hub = running_hub()
    async with asyncio.timeout(5):
        while hub.frontier < event_id:
            await asyncio.sleep(0.02)
    body = b""
    chunks = aiter(response.streaming_content)
    async with asyncio.timeout(5):
        while b"data: once" not in body:
            body += await anext(chunks)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(0.5):
            while True:
                body += await anext(chunks)
    assert body.count(b"data: once") == 1, body
