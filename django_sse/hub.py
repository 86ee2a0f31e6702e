"""The per-process hub: reads the event log once, fans each event out.

One hub runs per event loop (one per server process). It is made of four
parts, each in its own module: the registry of subscribers
(``registry.Subscriptions``), the log reader (``logreader``: reads every
row past its frontier in id order, holding gaps), the fan-out (``fanout``:
frames each event once and queues it to the streams of its topic) and the
clock (``clock``: heartbeats, time limits, stuck writes). A broker wakes
the reader; the hub starts, stops and wires them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from django.db import DatabaseError

from django_sse import hooks
from django_sse.brokers import create_broker
from django_sse.clock import run_clock
from django_sse.dbthreads import DatabaseThreads
from django_sse.fanout import FanOut, Stats
from django_sse.logreader import LogReader
from django_sse.logs import describe, forget, log_event, missing_table
from django_sse.registry import Subscriptions
from django_sse.subscriber import Due, Subscriber

T = TypeVar("T")
MIGRATE = (
    "The event log's table does not exist: run 'python manage.py migrate' "
    "(streams answer 503 until then)."
)
UNAVAILABLE = "The event log is unavailable; try again."
QUERY_THREADS = 4
LISTENER_WAIT = 2.0  # seconds the first streams wait for the broker's listener, at most


async def _logged(name: str, coro: Coroutine[Any, Any, None]) -> None:
    """A hub task (``hooks.register_hub_task``): its failure is logged."""
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log_event(
            "sse.hub.task_failed",
            f"hub task {name!r} failed",
            level=logging.ERROR,
            exc_info=True,
            interval=None,
            key=f"task:{name}",
            task=name,
        )


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.stats = Stats()
        self.registry = Subscriptions()
        self.fanout = FanOut(loop, self.registry, self.stats)
        self.reader = LogReader(self.fanout, self.stats)
        self.ready: asyncio.Future[None] = loop.create_future()
        # Set once the hub has tried to start, whether or not it could; then
        # ``unavailable`` says why it is not ready (for the 503 it answers).
        self.first_attempt = asyncio.Event()
        self.unavailable: str | None = None
        self.last_error: str | None = None  # the reader's last unexpected failure
        # A few threads (a connection each) serve replays when clients connect.
        self._queries = DatabaseThreads(QUERY_THREADS, "django-sse-query")
        self._task: asyncio.Task[None] | None = None
        self._clock_task: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self.broker = create_broker(self)

    # What streams and views ask of it -------------------------------------

    def subscribe(
        self,
        topics: list[str],
        user_key: str | None = None,
        end_after: frozenset[str] = frozenset(),
    ) -> Subscriber:
        return self.registry.subscribe(topics, user_key, end_after)

    def subscribe_at_frontier(
        self,
        topics: list[str],
        user_key: str | None = None,
        end_after: frozenset[str] = frozenset(),
    ) -> tuple[Subscriber, int]:
        """``subscribe``, and the frontier read in the same step (no await
        between): the stream replays up to it and takes the rest live, so
        nothing is missed or sent twice. The frontier must be read here,
        not when the stream starts: events fanned out in between would be
        both in the subscriber's frames and in the replay."""
        return self.registry.subscribe(topics, user_key, end_after), self.reader.frontier

    def started(self, sub: Subscriber) -> None:
        self.registry.started(sub)

    def release_when_dropped(self, stream: object, sub: Subscriber) -> None:
        self.registry.release_when_dropped(stream, sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        self.registry.unsubscribe(sub)

    def revoke(self, user_key: str, topic: str | None = None) -> int:
        return self.registry.revoke(user_key, topic)

    @property
    def subscriber_count(self) -> int:
        return self.registry.subscriber_count

    def streams_of(self, user_key: str) -> int:
        return self.registry.streams_of(user_key)

    def topic_counts(self) -> dict[str, int]:
        return self.registry.topic_counts()

    @property
    def due(self) -> Due:
        return self.registry.due

    @property
    def frontier(self) -> int:
        return self.reader.frontier

    @property
    def last_late_marker(self) -> int:
        return self.fanout.last_late_marker

    @property
    def lags(self) -> list[float] | None:
        return self.fanout.lags

    @lags.setter
    def lags(self, lags: list[float] | None) -> None:
        self.fanout.lags = lags

    def take_lags(self) -> list[float]:
        return self.fanout.take_lags()

    def deliver_unlogged(self, message: str) -> None:
        """An event the broker carried whole, to this process's streams."""
        self.fanout.deliver_unlogged(message, self.reader.frontier)

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
            run_clock(self.loop, self.registry, self.stats),
            name="django-sse-clock",
            context=context.copy(),
        )

    def shutdown(self) -> None:
        """End every stream cleanly (the server is stopping): each gets a
        ``retry:`` hint and closes, so clients reconnect elsewhere and resume."""
        for sub in list(self.registry.subscribers):
            sub.end("shutdown")
            self.registry.release(sub)

    async def stop(self) -> None:
        await self.stop_tasks()
        await self.reader.close()
        await self._queries.close()

    async def stop_tasks(self) -> None:
        """Stop the broker, the reader, the clock and the hooks' tasks; the
        database threads stay (``stop`` closes them too)."""
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

    def wake(self) -> None:
        """Read the log now (the broker says events were committed)."""
        self.reader.wake()

    async def query(self, fn: Callable[..., T], *args: Any) -> T:
        """Run an ``eventlog`` reader for a stream (replay, latest...)."""
        return await self._queries.run(fn, *args)

    async def run_periodically(
        self,
        name: str,
        fn: Callable[[], Any],
        every: float | Callable[[], float],
        *,
        event: str,
        message: str,
    ) -> None:
        """``hooks.register_periodic_query``: ``fn()`` in a database thread
        every ``every`` seconds; a failed round is logged, the next one runs."""
        while True:
            await asyncio.sleep(every() if callable(every) else every)
            try:
                await self.query(fn)
            except Exception:
                log_event(
                    event, message, level=logging.ERROR, exc_info=True, key=f"periodic:{name}"
                )

    async def _run(self) -> None:
        """Start, then read the log for as long as the hub runs. The reader
        never dies silently: an unexpected failure is logged with its
        traceback, counted (``stats.restarts``, ``last_error``: ``/sse/stats/``
        and ``sse_health`` report them) and the reader restarts, with
        backoff, from its frontier."""
        await self._start()
        backoff = 0.1
        while True:
            try:
                await self.reader.read_forever()
            except Exception as exc:
                self.stats.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log_event(
                    "sse.hub.reader_failed",
                    f"the hub's reader failed; restarting in {backoff:.1f}s",
                    level=logging.ERROR,
                    exc_info=True,
                    reason=describe(exc),
                    restarts=self.stats.restarts,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def _start(self) -> None:
        delay = 0.05
        while True:
            try:
                await self.reader.init_frontier()
                break
            except DatabaseError as exc:
                self.stats.errors += 1
                if missing_table(exc):
                    self.unavailable = MIGRATE
                    log_event("sse.log.migrate_missing", MIGRATE, key="start")
                else:
                    self.unavailable = UNAVAILABLE
                    log_event(
                        "sse.log.unreachable",
                        "the event log cannot be read; retrying",
                        key="start",
                        reason=describe(exc),
                    )
                self.first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.unavailable = None
        forget("start")
        await self.broker.start()
        if self.broker.carries_events:
            # An unlogged event reaches only the hubs listening when it is
            # sent (it is never replayed): the first streams wait, a
            # bounded time, for the listener.
            await self.broker.wait_connected(LISTENER_WAIT)
        self.ready.set_result(None)
        self.first_attempt.set()
        self._background = [
            self.loop.create_task(_logged(name, task(self)), name=f"django-sse-{name}")
            for name, task in hooks.hub_tasks().items()
        ]
