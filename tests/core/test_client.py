"""The Python client helpers against a real server."""

import asyncio

import httpx
import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from django_sse.client import aiter_events, iter_events, stream_events

pytestmark = pytest.mark.django_db(transaction=True)


def test_iter_events_across_chunk_boundaries():
    chunks = [b"id: 1\nda", b"ta: a\n\nevent: x\r", b"\ndata: b\n\n"]
    assert [(e.type, e.data) for e in iter_events(chunks)] == [("message", "a"), ("x", "b")]


async def test_stream_events_and_aiter_events_read_a_live_server(uvicorn_server):
    first = await sync_to_async(publish)("client", {"n": 1}, event="item")
    url = f"{uvicorn_server.url}/sse/stream/?topics=client"

    def blocking() -> object:
        for event in stream_events(url, last_event_id=str(first - 1), timeout=10):
            return event
        return None

    event = await asyncio.to_thread(blocking)
    assert (event.type, event.json(), event.last_event_id) == ("item", {"n": 1}, f"{first} client")

    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", url, headers={"Last-Event-ID": str(first - 1)}) as response,
    ):
        received = await anext(aiter_events(response.aiter_raw()))
    assert received.json() == {"n": 1}
