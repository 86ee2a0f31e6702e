"""Threads with a database connection each, for the hub's sync queries.

The ORM is sync-only; the hub runs its queries in a few long-lived threads
of its own (one reads the log for the whole process, a few serve replays
when clients connect), outside Django's request cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from django.db import DatabaseError, connections

from django_sse.conf import conf

T = TypeVar("T")


def _db_call(fn: Callable[..., T], *args: Any) -> T:
    """Run a query; drop the connection if it broke so the next call
    reconnects (Django's request cycle, which would do it, never runs here)."""
    try:
        return fn(*args)
    except DatabaseError:
        connections[conf.DJANGO_SSE_DATABASE].close()
        raise


class DatabaseThreads:
    """``await threads.run(fn, *args)``: ``fn`` in one of ``count`` threads."""

    def __init__(self, count: int, name: str) -> None:
        self.count = count
        self.executor = ThreadPoolExecutor(count, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(_db_call, fn, *args))

    async def close(self) -> None:
        """Close each thread's connection (a test database cannot be dropped
        while they stay open), then the threads."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        barrier = threading.Barrier(self.count)

        def close() -> None:
            connections[conf.DJANGO_SSE_DATABASE].close()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)  # so each thread takes exactly one job

        for _ in range(self.count):
            self.executor.submit(close)
        self.executor.shutdown(wait=True)
