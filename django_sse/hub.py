"""The per-process hub: reads the event log once, fans each event out.

One hub runs per event loop (one per server process). A broker wakes it;
it reads every row past its ``frontier`` in id order, encodes each event
once and hands the bytes to the subscribers of that topic.

Ordering guarantee: the frontier only moves over ids that are final. An id
that is missing while a higher one is visible belongs to a transaction that
has not committed yet (or rolled back). The hub stops at such a gap until it
is resolved (see ``Gap``), so a client that has seen id N can never miss an
event that commits later with an id below N.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DatabaseError

from django_sse import eventlog, hooks
from django_sse.conf import conf
from django_sse.dbthreads import DatabaseThreads
from django_sse.logs import forget, missing_table, warn_limited
from django_sse.subscriber import Subscriptions

logger = logging.getLogger("django_sse")

T = TypeVar("T")
MIGRATE = (
    "The event log's table does not exist: run 'python manage.py migrate' "
    "(streams answer 503 until then)."
)
UNAVAILABLE = "The event log is unavailable; try again."
BATCH = 1000
QUERY_THREADS = 4
MAX_TICK = 0.25  # seconds between two rounds of the clock, at most


@dataclass
class Gap:
    """Ids at or below ``bound`` that are missing from the log are final
    once every transaction in ``writers`` has ended (PostgreSQL), or once
    ``deadline`` has passed (other databases, where ids are either assigned
    in commit order, as on SQLite, or nothing better is known)."""

    bound: int
    writers: frozenset[str] = frozenset()
    deadline: float = 0.0
    resolved: bool = False


@dataclass
class Stats:
    events: int = 0
    reads: int = 0
    gaps: int = 0
    overflows: int = 0
    errors: int = 0


async def _logged(name: str, coro: Coroutine[Any, Any, None]) -> None:
    """A hub task (``hooks.register_hub_task``): its failure is logged."""
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("django-sse: hub task %r failed", name)


class Hub(Subscriptions):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        from django_sse.brokers import create_broker

        super().__init__()
        self.loop = loop
        self.frontier = 0
        self.stats = Stats()
        self.ready: asyncio.Future[None] = loop.create_future()
        # Set once the hub has tried to start, whether or not it could; then
        # ``unavailable`` says why it is not ready (for the 503 it answers).
        self.first_attempt = asyncio.Event()
        self.unavailable: str | None = None
        self._wake = asyncio.Event()
        self._gap: Gap | None = None
        self._exact_gaps = False
        # One thread (one connection) reads the log for the whole process;
        # a few more serve replays when clients connect.
        self._reader = DatabaseThreads(1, "django-sse-reader")
        self._queries = DatabaseThreads(QUERY_THREADS, "django-sse-query")
        self._task: asyncio.Task[None] | None = None
        self._clock_task: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self.broker = create_broker(self)

    # Running ----------------------------------------------------------------

    def start(self) -> None:
        """Start the reader and the clock. They run in a context of their
        own: the first stream request of a process starts the hub, and its
        tasks (and the broker's and samplers' tasks they create) must not
        carry that request's context, such as its asgiref thread context,
        for the life of the process."""
        context = contextvars.Context()
        self._task = self.loop.create_task(self._run(), name="django-sse-hub", context=context)
        self._clock_task = self.loop.create_task(
            self._clock(), name="django-sse-clock", context=context.copy()
        )

    def shutdown(self) -> None:
        """End every stream cleanly (the server is stopping): each gets a
        ``retry:`` hint and closes, so clients reconnect elsewhere and resume."""
        for sub in list(self._subscribers):
            sub.end("shutdown")

    async def stop(self) -> None:
        await self.broker.stop()
        for task in self._background:
            task.cancel()
        if self._background:
            await asyncio.wait(self._background)
        for own in (self._task, self._clock_task):
            if own is not None:
                own.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await own
        await self._reader.close()
        await self._queries.close()

    def wake(self) -> None:
        self._wake.set()

    async def _clock(self) -> None:
        """Ends the waits that are due (heartbeats, idle and lifetime limits).

        One timer for the process: a ``wait_for`` per waiting stream put a
        timer on the loop's heap for every stream after every event (about
        a tenth of the server's CPU in a broadcast to 5,000 streams, profiled
        with py-spy; bench/RESULTS.md)."""
        loop = self.loop
        while True:
            await asyncio.sleep(min(MAX_TICK, conf.DJANGO_SSE_HEARTBEAT / 5))
            now = loop.time()
            for sub in self._subscribers:
                sub.wake_if_due(now)

    async def query(self, fn: Callable[..., T], *args: Any) -> T:
        """Run an ``eventlog`` reader for a stream (replay, latest...)."""
        return await self._queries.run(fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._reader.run(fn, *args)

    async def _run(self) -> None:
        delay = 0.05
        while True:
            try:
                await self._init_frontier()
                break
            except DatabaseError as exc:
                self.stats.errors += 1
                if missing_table(exc):
                    self.unavailable = MIGRATE
                    warn_limited("start", f"django-sse: {MIGRATE}")
                else:
                    self.unavailable = UNAVAILABLE
                    warn_limited("start", f"django-sse: event log unreachable ({exc}); retrying")
                self.first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.unavailable = None
        forget("start")
        self.ready.set_result(None)
        self.first_attempt.set()
        await self.broker.start()
        self._background = [
            self.loop.create_task(_logged(name, task(self)), name=f"django-sse-{name}")
            for name, task in hooks.hub_tasks().items()
        ]
        retry_in: float | None = None
        backoff = 0.02
        while True:
            if retry_in is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), retry_in)
            self._wake.clear()
            try:
                gap_pending = await self._catch_up()
            except DatabaseError as exc:
                self.stats.errors += 1
                warn_limited("read", f"django-sse: reading the event log failed ({exc})")
                retry_in = backoff = min(backoff * 2, 5.0)
                continue
            forget("read")
            if gap_pending:
                retry_in = backoff
                backoff = min(backoff * 2, 0.5)
            else:
                retry_in, backoff = None, 0.02

    async def _init_frontier(self) -> None:
        self._exact_gaps = await self._read(eventlog.is_postgres)
        highest = await self._read(eventlog.max_id)
        if self._exact_gaps:
            # Ids below the highest visible one may still be in flight:
            # wait for the transactions writing now before calling them final.
            writers = await self._read(eventlog.writers_in_flight)
            waited = 0.0
            while writers & await self._read(eventlog.writers_in_flight):
                await asyncio.sleep(0.02)
                waited += 0.02
                if waited > 5 and int(waited * 50) % 250 == 0:
                    logger.warning("django-sse: start waits for a long publishing transaction")
        self.frontier = highest

    async def _gap_resolved(self, gap: Gap) -> bool:
        if self._exact_gaps:
            return not (gap.writers & await self._read(eventlog.writers_in_flight))
        return time.monotonic() >= gap.deadline

    async def _catch_up(self) -> bool:
        """Deliver every final row past the frontier; True if a gap waits."""
        while True:
            gap = self._gap
            if gap is not None and not gap.resolved:
                gap.resolved = await self._gap_resolved(gap)
            rows = await self._read(eventlog.read_after, self.frontier, BATCH)
            self.stats.reads += 1
            expected = self.frontier + 1
            ready = 0
            blocked = False
            for row in rows:
                if row.id != expected and not (gap and gap.resolved and row.id - 1 <= gap.bound):
                    blocked = True
                    break
                ready += 1
                expected = row.id + 1
            if ready:
                self._fan_out(rows[:ready])
                self.frontier = rows[ready - 1].id
            if blocked:
                if gap is None or gap.resolved or gap.bound < expected:
                    self._gap = await self._new_gap(rows[-1].id)
                return True
            self._gap = None
            if len(rows) < BATCH:
                return False

    async def _new_gap(self, bound: int) -> Gap:
        self.stats.gaps += 1
        if self._exact_gaps:
            return Gap(bound, writers=await self._read(eventlog.writers_in_flight))
        return Gap(bound, deadline=time.monotonic() + conf.DJANGO_SSE_GAP_TIMEOUT)

    def _fan_out(self, rows: list[eventlog.Row]) -> None:
        topics = self._topics
        for row in rows:
            self.stats.events += 1
            if row.topic == eventlog.CONTROL_TOPIC:
                self._control(row)
                continue
            subs = topics.get(row.topic)
            if not subs:
                continue
            frame = row.frame()
            ends = row.event in self._end_events
            for sub in subs:
                if sub.push(row.id, frame):
                    self.stats.overflows += 1
                elif ends and row.event in sub.end_after:
                    sub.complete = True

    def _control(self, row: eventlog.Row) -> None:
        try:
            message = json.loads(row.data)
        except ValueError:
            return
        if row.event == "revoke" and isinstance(message, dict):
            self.revoke(message.get("user"), str(message.get("topic")))
