"""``?poll=1``: the stream endpoint as a long poll, for clients behind a
proxy that holds a stream until it ends (a real server process)."""

import asyncio

import httpx
import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from django_sse.protocol import Parser

pytestmark = pytest.mark.django_db(transaction=True)


def events_of(body: bytes) -> list[tuple[str, str, str]]:
    return [(e.type, e.last_event_id, e.data) for e in Parser().feed(body)]


async def test_a_poll_ends_with_its_first_events_and_resumes_from_its_cursor(server):
    send = sync_to_async(publish)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        waiting = asyncio.create_task(client.get("/sse/stream/?topics=p&poll=1"))
        await asyncio.sleep(1)
        assert not waiting.done()  # nothing owed yet: it waits
        first = await send("p", "one", event="item")
        answer = await asyncio.wait_for(waiting, 10)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        [cursor, item] = events_of(answer.content)
        assert cursor[0] == "sse-cursor" and item == ("item", f"{first} p", "one")
        # Behind the log: the events owed at once, then the end.
        later = [await send("p", n, event="item") for n in ("two", "three")]
        await send("other", "not mine", event="item")
        answer = await client.get(f"/sse/stream/?topics=p&poll=1&last_event_id={first}")
        owed = [(kind, cursor) for kind, cursor, _ in events_of(answer.content)]
        assert [event for event in owed if event[0] != "sse-cursor"] == [
            ("item", f"{later[0]} p"),
            ("item", f"{later[1]} p"),
        ]
        refused = await client.get("/sse/stream/?topics=p&poll=yes")
        assert refused.status_code == 400 and "poll is 1" in refused.json()["error"]
