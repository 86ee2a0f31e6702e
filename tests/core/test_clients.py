"""Python SSE clients people use, against a real server: every event they
hand to the caller is a real one (no data-less frame on the wire)."""

from __future__ import annotations

import json

import httpx
import pytest
from asgiref.sync import sync_to_async
from httpx_sse import aconnect_sse

from django_sse import publish

pytestmark = pytest.mark.django_db(transaction=True)


async def events_of(url: str, count: int, headers: dict[str, str] | None = None) -> list:
    seen = []
    async with (
        httpx.AsyncClient(timeout=10) as client,
        aconnect_sse(client, "GET", url, headers=dict(headers or {})) as source,
    ):
        async for sse in source.aiter_sse():
            seen.append(sse)
            if sse.event == "sse-cursor" and len(seen) == 1:
                await sync_to_async(publish)("news", {"n": 1}, event="headline")
            if len(seen) == count:
                return seen
    raise AssertionError(f"the stream ended after {seen}")


async def test_httpx_sse_sees_the_cursor_then_the_event_nothing_empty(uvicorn_server):
    url = f"{uvicorn_server.url}/sse/stream/?topics=news"
    cursor, event = await events_of(url, 2)
    assert cursor.event == "sse-cursor" and cursor.retry == 2000
    assert event.event == "headline" and json.loads(event.data) == {"n": 1}
    # Resumed from the event: the same cursor frame first, then nothing else.
    again = await events_of(url, 1, headers={"Last-Event-ID": event.id})
    [cursor] = again
    assert cursor.event == "sse-cursor" and cursor.retry == 2000 and cursor.data == ""
    assert int(cursor.id) >= int(event.id.split()[0])
