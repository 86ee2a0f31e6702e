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
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError

from django_sse import eventlog, hooks, tracing, unlogged
from django_sse.brokers import create_broker
from django_sse.conf import conf
from django_sse.dbthreads import DatabaseThreads
from django_sse.logs import (
    describe,
    forget,
    log_event,
    missing_table,
    topic_families,
    user_hash,
)
from django_sse.protocol import format_event
from django_sse.subscriber import Subscriber, Subscriptions

T = TypeVar("T")
MIGRATE = (
    "The event log's table does not exist: run 'python manage.py migrate' "
    "(streams answer 503 until then)."
)
UNAVAILABLE = "The event log is unavailable; try again."
BATCH = 1000
QUERY_THREADS = 4
MAX_LAGS = 100_000  # delivery lag samples kept between two copies into the metrics
MAX_TICK = 1.0  # seconds between two rounds of the clock, at most
LATE_WATCH = 600.0  # seconds ids passed over are watched where open transactions are unseen
LISTENER_WAIT = 2.0  # seconds the first streams wait for the broker's listener, at most
WAKE_BATCH = 50  # streams woken per turn of the event loop when an event fans out
LATE_RESET = format_event(json.dumps({"reason": "late-event"}), event="reset")


@dataclass
class Gap:
    """Ids at or below ``bound`` that are missing from the log are final
    once every transaction in ``writers`` has ended (PostgreSQL), or once
    ``deadline`` has passed (other databases, where ids are either assigned
    in commit order, as on SQLite, or nothing better is known).

    The wait is bounded: after ``DJANGO_SSE_GAP_TIMEOUT`` seconds the hub
    moves on (``gave_up``) and watches the ids it passed (``Late``), so a
    transaction that commits later is announced, never silently lost."""

    bound: int
    writers: frozenset[str] = frozenset()
    deadline: float = 0.0
    resolved: bool = False
    gave_up: bool = False


@dataclass
class Late:
    """Ids the hub moved past while their transactions were still open:
    watched until those transactions end (PostgreSQL) or ``until``."""

    ids: set[int]
    writers: frozenset[str]
    until: float


@dataclass
class Stats:
    events: int = 0
    reads: int = 0
    gaps: int = 0
    overflows: int = 0
    errors: int = 0
    skipped: int = 0  # rows that could not be framed
    stalled: int = 0  # streams cut because the client read nothing
    restarts: int = 0  # of the reader, after an unexpected failure
    deliveries: int = 0  # live events queued to streams (one per stream per event)
    replayed: int = 0  # events sent from the log on (re)connect
    bytes_written: int = 0  # stream data handed to the server
    unlogged: int = 0  # events the broker carried whole (retention "none")
    resets: Counter[str] = field(default_factory=Counter)  # reset events by reason


CUT_REASONS = {
    "overflow": "a client fell behind and its stream was cut; it reconnects and resumes",
    "stalled": "a client took in nothing for DJANGO_SSE_SEND_TIMEOUT; its stream was cut",
}


def _log_cut(sub: Subscriber, reason: str) -> None:
    log_event(
        "sse.stream.cut",
        CUT_REASONS[reason],
        level=logging.INFO,
        key=f"cut:{reason}",
        reason=reason,
        user_hash=user_hash(sub.user_key),
        topics=topic_families(sub.topics),
    )


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


def tick_period() -> float:
    """Seconds between two rounds of the hub's clock: a fifth of the
    shortest time limit a stream has, ``MAX_TICK`` at most."""
    limits: list[float | None] = [
        conf.DJANGO_SSE_HEARTBEAT,
        conf.DJANGO_SSE_SEND_TIMEOUT,
        conf.DJANGO_SSE_IDLE_TIMEOUT,
        conf.DJANGO_SSE_MAX_DURATION,
        conf.DJANGO_SSE_REAUTHORIZE,
    ]
    return min([MAX_TICK, *(float(limit) / 5 for limit in limits if limit)])


class Hub(Subscriptions):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.frontier = 0
        self.stats = Stats()
        self.ready: asyncio.Future[None] = loop.create_future()
        # Set once the hub has tried to start, whether or not it could; then
        # ``unavailable`` says why it is not ready (for the 503 it answers).
        self.first_attempt = asyncio.Event()
        self.unavailable: str | None = None
        self.last_error: str | None = None  # the reader's last unexpected failure
        # Seconds from publish() to fan-out, per event, while metrics are on
        # (``metrics.run`` sets a list and takes what it gathered).
        self.lags: list[float] | None = None
        self._wake = asyncio.Event()
        # Streams with frames queued, still to be woken: a ``_wake_queued``
        # is scheduled on the loop exactly while it is not empty.
        self._to_wake: deque[Subscriber] = deque()
        self._gap: Gap | None = None
        self._late: list[Late] = []
        # The id of the newest "late" marker in the log (streams.py skips
        # the marker query for a cursor past it: nearly always).
        self.last_late_marker = 0
        self._exact_gaps = False
        self._late_possible = True
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
            self.release(sub)

    async def stop(self) -> None:
        await self.stop_tasks()
        await self._reader.close()
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
        self._wake.set()

    async def _clock(self) -> None:
        """Ends the waits that are due (heartbeats, idle and lifetime limits)
        and cuts the streams whose writes are stuck (``Subscriber.tick``).

        One timer for the process: a ``wait_for`` per waiting stream put a
        timer on the loop's heap for every stream after every event (about
        a tenth of the server's CPU in a broadcast to 5,000 streams, profiled
        with py-spy; bench/RESULTS.md)."""
        loop = self.loop
        while True:
            # A walk reads every open stream's deadlines, and touches memory
            # of every stream to do it: 7-21 ms at 5,000 streams here, when
            # their memory was last touched seconds before (bench/RESULTS.md,
            # run 32). So a round walks only once ``due.at`` is reached (a
            # wait or a write may be due), and tick() is called only for the
            # streams that are due.
            await asyncio.sleep(tick_period())
            now = loop.time()
            if now < self.due.at:
                continue  # nothing can be due yet
            due: list[Subscriber] = []
            later = math.inf  # the next time one may fall due
            for sub in self._subscribers:
                at = sub.wake_at if sub.wake_at < sub.cut_at else sub.cut_at
                if at <= now:
                    due.append(sub)
                elif at < later:
                    later = at
            cut = [sub for sub in due if sub.tick(now)]
            for sub in due:  # what a due stream still waits for, if anything
                later = min(later, sub.wake_at, sub.cut_at)
            self.due.at = later
            for sub in cut:
                # Not counted any longer, whenever the server gets round to
                # closing the stream (Django 5.2 may close it only when
                # it is collected).
                self.unsubscribe(sub)
                self.stats.stalled += 1
                _log_cut(sub, "stalled")

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

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._reader.run(fn, *args)

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
                await self._read_forever()
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
                await self._init_frontier()
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

    async def _read_forever(self) -> None:
        retry_in: float | None = 0.0  # first, what arrived while (re)starting
        backoff = 0.02
        while True:
            if retry_in is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), retry_in)
            self._wake.clear()
            try:
                if self._late:
                    await self._check_late()
                gap_pending = await self._catch_up()
            except DatabaseError as exc:
                self.stats.errors += 1
                log_event(
                    "sse.log.read_failed",
                    "reading the event log failed; retrying",
                    key="read",
                    reason=describe(exc),
                )
                retry_in = backoff = min(backoff * 2, 5.0)
                continue
            forget("read")
            if gap_pending:
                retry_in = backoff
                backoff = min(backoff * 2, 0.5)
            elif self._late:
                retry_in, backoff = 0.5, 0.02  # keep watching the ids passed
            else:
                retry_in, backoff = None, 0.02

    async def _init_frontier(self) -> None:
        vendor = await self._read(eventlog.vendor)
        self._exact_gaps = vendor == "postgresql"
        # SQLite has one writer at a time: an id passed over never commits later.
        self._late_possible = vendor != "sqlite"
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
                    log_event(
                        "sse.hub.start_waits",
                        "start waits for a long publishing transaction",
                        waited=f"{waited:.0f}s",
                    )
        self.frontier = highest
        self.last_late_marker = await self._read(eventlog.last_late_marker)

    async def _gap_resolved(self, gap: Gap) -> bool:
        if self._exact_gaps:
            open_writers = gap.writers & await self._read(eventlog.writers_in_flight)
            if not open_writers:
                return True
            if time.monotonic() < gap.deadline:
                return False
            pids = await self._read(eventlog.writer_pids, open_writers)
            log_event(
                "sse.hub.gap_timeout",
                f"delivery waited {conf.DJANGO_SSE_GAP_TIMEOUT:.1f} s for a transaction that "
                "published and has not committed; delivering what is committed. If it "
                "commits, the streams of its topics get a 'reset' event.",
                interval=None,
                key=f"gap:{gap.bound}",
                backend_pid=",".join(map(str, pids)) or "unknown",
            )
            gap.writers = open_writers
        gap.gave_up = True
        return time.monotonic() >= gap.deadline

    async def _catch_up(self) -> bool:
        """Deliver every final row past the frontier; True if a gap waits."""
        while True:
            gap = self._gap
            if gap is not None and not gap.resolved:
                gap.resolved = await self._gap_resolved(gap)
            rows = await self._read(eventlog.read_after, self.frontier, BATCH)
            self.stats.reads += 1
            ready, blocked = self._final_rows(rows, gap)
            if ready:
                self._fan_out(rows[:ready])
                self.frontier = rows[ready - 1].id
            if blocked:
                if gap is None or gap.resolved or gap.bound <= self.frontier:
                    self._gap = await self._new_gap(rows[-1].id)
                return True
            self._gap = None
            if len(rows) < BATCH:
                return False

    def _final_rows(self, rows: list[eventlog.Row], gap: Gap | None) -> tuple[int, bool]:
        """How many of ``rows`` (read from the frontier on) are final, and
        whether a missing id holds back the rest."""
        expected = self.frontier + 1
        for ready, row in enumerate(rows):
            if row.id != expected:
                if not (gap and gap.resolved and row.id - 1 <= gap.bound):
                    return ready, True
                if gap.gave_up and self._late_possible:  # their transaction may commit
                    self._watch(set(range(expected, row.id)), gap.writers)
            expected = row.id + 1
        return len(rows), False

    async def _new_gap(self, bound: int) -> Gap:
        self.stats.gaps += 1
        deadline = time.monotonic() + conf.DJANGO_SSE_GAP_TIMEOUT
        if self._exact_gaps:
            writers = await self._read(eventlog.writers_in_flight)
            return Gap(bound, writers=writers, deadline=deadline)
        return Gap(bound, deadline=deadline)

    def _watch(self, ids: set[int], writers: frozenset[str]) -> None:
        # Without a way to see open transactions, watch for a while.
        self._late.append(Late(ids, writers, time.monotonic() + LATE_WATCH))

    async def _check_late(self) -> None:
        """Announce watched ids that have appeared (``eventlog.mark_late``);
        stop watching once their transactions have ended."""
        in_flight = await self._read(eventlog.writers_in_flight) if self._exact_gaps else None
        now = time.monotonic()
        for late in list(self._late):
            ended = now >= late.until or (in_flight is not None and not (late.writers & in_flight))
            if in_flight is None or ended:  # a transaction's ids appear when it ends
                rows = await self._read(eventlog.rows_with_ids, sorted(late.ids))
                if rows:
                    await self._read(eventlog.mark_late, rows)
                    late.ids -= {row.id for row in rows}
            if ended or not late.ids:
                self._late.remove(late)

    def take_lags(self) -> list[float]:
        lags, self.lags = self.lags or [], []
        return lags

    def _fan_out(self, rows: list[eventlog.Row]) -> None:
        if tracing.enabled():
            traced = [row.trace for row in rows if row.trace and row.topic in self._topics]
            if traced:
                with tracing.deliver_span(traced) as span:
                    before = self.stats.deliveries
                    self._deliver(rows)
                    span.set_attribute("django_sse.deliveries", self.stats.deliveries - before)
                return
        self._deliver(rows)

    def _deliver(self, rows: list[eventlog.Row]) -> None:
        topics = self._topics
        lags = self.lags
        if lags is not None and len(lags) < MAX_LAGS:
            now = time.time()
            lags.extend(now - row.created.timestamp() for row in rows if row.created)
        for row in rows:
            self.stats.events += 1
            if row.topic == eventlog.CONTROL_TOPIC:
                self._control(row)
                continue
            subs = topics.get(row.topic)
            if not subs:
                continue
            frame = row.frame()
            if not frame:  # a row that cannot be sent (logged by frame())
                self.stats.skipped += 1
                continue
            self._push(subs, row.id, frame, row.event)

    def _push(self, subs: set[Subscriber], event_id: int, frame: bytes, event: str) -> None:
        """Queue a frame to every subscriber now (so the frontier can move
        past it), and wake their streams ``WAKE_BATCH`` at a time."""
        ends = event in self._end_events
        self.stats.deliveries += len(subs)
        to_wake = self._to_wake
        scheduled = bool(to_wake)
        overflowed = []
        for sub in subs:
            if sub.queue(event_id, frame):
                overflowed.append(sub)
                continue
            if ends and event in sub.end_after:
                sub.complete = True
            to_wake.append(sub)
        for sub in overflowed:  # out of ``subs``, which ``release`` changes
            self.stats.overflows += 1
            _log_cut(sub, "overflow")
            self.release(sub)
        if not scheduled:
            self._wake_queued()

    def _wake_queued(self) -> None:
        """Wake ``WAKE_BATCH`` streams that have frames queued, and come back
        for the next ones after their writes have run. Woken all at once,
        every stream's scheduled step and the objects of its write would be
        alive together: the collector's young passes would promote them,
        and the full passes they bring on walk every open stream's objects
        (bench/RESULTS.md, run 25). A batch at a time, few are alive at once."""
        queue = self._to_wake
        for _ in range(min(WAKE_BATCH, len(queue))):
            queue.popleft().wake_if_pending()
        if queue:
            self.loop.call_soon(self._wake_queued)

    def deliver_unlogged(self, message: str) -> None:
        """Fan out an event the broker carried whole (``django_sse.unlogged``).
        Its id is the frontier: every logged event up to it is queued to
        the streams already, so it is a correct cursor for them."""
        self.stats.unlogged += 1
        decoded = unlogged.decode(message)
        if decoded is None:
            self.stats.skipped += 1
            log_event(
                "sse.broker.bad_message",
                "the broker carried a message that is not an event; it is skipped",
                key="bad-unlogged",
            )
            return
        topic, event, text = decoded
        subs = self._topics.get(topic)
        if not subs:
            return
        try:
            frame = format_event(
                text, event=event or None, id=f"{self.frontier} {topic} {unlogged.MARK}"
            )
        except ValueError:  # not framed by publish(): written past its checks
            self.stats.skipped += 1
            return
        # Queued as if just past the frontier: a stream whose client is
        # ahead of this process (``skip_through``) drops it rather than
        # move the client's cursor back.
        self._push(subs, self.frontier + 1, frame, event)

    def _control(self, row: eventlog.Row) -> None:
        try:
            message = json.loads(row.data)
        except ValueError:
            return
        if row.event == eventlog.LATE and isinstance(message, dict):
            self.last_late_marker = max(self.last_late_marker, row.id)
            topics = {topic for _, topic in message.get("events", ())}
            for topic in topics:
                for sub in list(self._topics.get(str(topic), ())):
                    sub.push(row.id, LATE_RESET)
        if row.event == "revoke" and isinstance(message, dict):
            topic = message.get("topic")
            self.revoke(str(message.get("user")), None if topic is None else str(topic))
