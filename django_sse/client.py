"""A small Python client for django-sse streams (and any SSE endpoint).

Feed it the raw byte chunks of a response from any HTTP library::

    async with httpx.AsyncClient() as http:
        async with http.stream("GET", url) as response:
            async for event in aiter_events(response.aiter_raw()):
                print(event.type, event.json())

or use ``stream_events(url)`` (standard library only, blocking).
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from django_sse.protocol import Event, Parser

__all__ = ["Event", "Parser", "aiter_events", "iter_events", "stream_events"]


def iter_events(chunks: Iterable[bytes], parser: Parser | None = None) -> Iterator[Event]:
    parser = parser or Parser()
    for chunk in chunks:
        yield from parser.feed(chunk)


async def aiter_events(
    chunks: AsyncIterable[bytes], parser: Parser | None = None
) -> AsyncIterator[Event]:
    parser = parser or Parser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event


def stream_events(
    url: str, *, last_event_id: str | None = None, timeout: float = 60.0
) -> Iterator[Event]:
    """Blocking: yield the events of one connection until it ends."""
    request = urllib.request.Request(url, headers={"Accept": "text/event-stream"})
    if last_event_id:
        request.add_header("Last-Event-ID", last_event_id)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        yield from iter_events(iter(lambda: response.read1(65536), b""))
