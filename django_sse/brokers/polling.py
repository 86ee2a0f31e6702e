from __future__ import annotations

import asyncio

from django_sse.brokers.base import Broker
from django_sse.conf import conf


class PollingBroker(Broker):
    """Wakes the hub every ``DJANGO_SSE_POLL_INTERVAL`` seconds: one indexed
    query per tick per process, whatever the number of clients. Works on
    any database (SQLite included)."""

    name = "polling"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(conf.DJANGO_SSE_POLL_INTERVAL)
            self.hub.wake()
