"""Test your own streams, in process, as ``channels.testing`` tests consumers.

In a pytest-django test (or a ``TransactionTestCase``), open a stream URL
of your project through Django's ``AsyncClient``, every middleware
included, as a given user and from a given ``Last-Event-ID``; publish; read
the events the browser would get::

    from asgiref.sync import sync_to_async
    from django_sse.testing import open_stream

    @pytest.mark.django_db(transaction=True)
    async def test_an_order_reaches_its_page(user):
        async with open_stream("/sse/stream/?topics=orders", user=user) as stream:
            await sync_to_async(place_order)(user)      # publishes at commit
            [event] = await stream.events(1)
        assert event.type == "order-created"

Events are delivered when the publishing transaction commits, as in
production: the test's database must commit (``transaction=True``), not
run in a transaction that is rolled back at the end. No server is started;
this process's hub is stopped when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from django.test import AsyncClient

from django_sse.protocol import Event, Parser

__all__ = ["Stream", "open_stream"]


class Stream:
    """An open stream: its status, headers and events, as a browser reads
    them (``sse-cursor`` frames move :attr:`last_event_id` only)."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status_code: int = response.status_code
        self.parser = Parser()
        self.raw = b""
        self._chunks = aiter(response.streaming_content) if response.streaming else None
        self._pending: list[Event] = []

    @property
    def last_event_id(self) -> str:
        """What the browser would send as ``Last-Event-ID`` on reconnect."""
        return self.parser.last_event_id

    async def _read(self) -> None:
        if self._chunks is None:
            raise StopAsyncIteration(f"not a stream: {self.status_code}")
        chunk = await anext(self._chunks)
        self.raw += chunk
        self._pending += [e for e in self.parser.feed(chunk) if e.type != "sse-cursor"]

    async def events(self, count: int, timeout: float = 5.0) -> list[Event]:
        """The next ``count`` events; ``TimeoutError`` if they do not come
        within ``timeout`` seconds, ``StopAsyncIteration`` if the stream ends."""
        async with asyncio.timeout(timeout):
            while len(self._pending) < count:
                await self._read()
        taken, self._pending = self._pending[:count], self._pending[count:]
        return taken

    async def opened(self, timeout: float = 5.0) -> str:
        """Wait for the stream's opening (replay included); its cursor."""
        async with asyncio.timeout(timeout):
            while not self.parser.last_event_id:
                await self._read()
        return self.parser.last_event_id


@contextlib.asynccontextmanager
async def open_stream(
    path: str,
    *,
    user: Any = None,
    last_event_id: str | int | None = None,
    headers: dict[str, str] | None = None,
    client: AsyncClient | None = None,
) -> AsyncIterator[Stream]:
    """Open ``path`` (a stream URL of your project) as ``user`` (signed in
    with ``force_login``; anonymous if None), resuming after
    ``last_event_id``. Yields a :class:`Stream` once it is open: events
    published from then on are on it. A refused stream (403, 400...) is
    yielded too, with its ``status_code`` and no events."""
    from django_sse.hubs import stop_hub

    client = client or AsyncClient()
    if user is not None:
        await client.aforce_login(user)
    sent = dict(headers or {})
    if last_event_id is not None:
        sent["Last-Event-ID"] = str(last_event_id)
    response = await client.get(path, headers=sent)
    stream = Stream(response)
    try:
        if response.status_code == 200 and response.streaming:
            await stream.opened()
        yield stream
    finally:
        if stream._chunks is not None:
            with contextlib.suppress(Exception):
                await stream._chunks.aclose()
        await stop_hub()
