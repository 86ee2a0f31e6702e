from __future__ import annotations

import asyncio

from django_sse.brokers.base import Broker
from django_sse.conf import conf


class PollingBroker(Broker):
    """Wakes the hub every ``DJANGO_SSE_POLL_INTERVAL`` seconds: one indexed
    query per tick per process, whatever the number of clients. Works on
    any database (SQLite included)."""

    name = "polling"
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(conf.DJANGO_SSE_POLL_INTERVAL)
            self.hub.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
