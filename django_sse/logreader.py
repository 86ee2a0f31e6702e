"""The log reader: one per hub, it reads the event log in id order and hands
each final row to the fan-out.

Ordering guarantee: the frontier only moves over ids that are final. An id
that is missing while a higher one is visible belongs to a transaction that
has not committed yet (or rolled back). The reader stops at such a gap until
it is resolved (see ``Gap``), so a client that has seen id N can never miss
an event that commits later with an id below N.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DatabaseError

from django_sse import eventlog, logqueries
from django_sse.conf import conf
from django_sse.dbthreads import DatabaseThreads
from django_sse.fanout import FanOut, Stats
from django_sse.logs import describe, forget, log_event

T = TypeVar("T")
BATCH = 1000
LATE_WATCH = 600.0  # seconds ids passed over are watched where open transactions are unseen


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


class LogReader:
    def __init__(self, fanout: FanOut, stats: Stats) -> None:
        self.fanout = fanout
        self.stats = stats
        self.frontier = 0
        self._wake = asyncio.Event()
        self._gap: Gap | None = None
        self._late: list[Late] = []
        self._exact_gaps = False
        self._late_possible = True
        # One thread (one connection) reads the log for the whole process.
        self._threads = DatabaseThreads(1, "django-sse-reader")

    def wake(self) -> None:
        self._wake.set()

    async def close(self) -> None:
        await self._threads.close()

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._threads.run(fn, *args)

    async def read_forever(self) -> None:
        """Read the log whenever woken (or a gap or a late id is due another
        look), for as long as the hub runs; a database error is logged and
        the read retried with backoff."""
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

    async def init_frontier(self) -> None:
        """Start at the log's end, once the transactions writing to it now
        have ended (PostgreSQL: their lower ids may still appear)."""
        vendor = await self._read(logqueries.vendor)
        self._exact_gaps = vendor == "postgresql"
        # SQLite has one writer at a time: an id passed over never commits later.
        self._late_possible = vendor != "sqlite"
        highest = await self._read(logqueries.max_id)
        if self._exact_gaps:
            # Ids below the highest visible one may still be in flight:
            # wait for the transactions writing now before calling them final.
            writers = await self._read(logqueries.writers_in_flight)
            waited = 0.0
            while writers & await self._read(logqueries.writers_in_flight):
                await asyncio.sleep(0.02)
                waited += 0.02
                if waited > 5 and int(waited * 50) % 250 == 0:
                    log_event(
                        "sse.hub.start_waits",
                        "start waits for a long publishing transaction",
                        waited=f"{waited:.0f}s",
                    )
        self.frontier = highest
        self.fanout.last_late_marker = await self._read(logqueries.last_late_marker)

    async def _gap_resolved(self, gap: Gap) -> bool:
        if self._exact_gaps:
            open_writers = gap.writers & await self._read(logqueries.writers_in_flight)
            if not open_writers:
                return True
            if time.monotonic() < gap.deadline:
                return False
            pids = await self._read(logqueries.writer_pids, open_writers)
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
            rows = await self._read(logqueries.read_after, self.frontier, BATCH)
            self.stats.reads += 1
            ready, blocked = self._final_rows(rows, gap)
            if ready:
                self.fanout.fan_out(rows[:ready])
                self.frontier = rows[ready - 1].id
            if blocked:
                if gap is None or gap.resolved or gap.bound <= self.frontier:
                    self._gap = await self._new_gap(rows[-1].id)
                return True
            self._gap = None
            if len(rows) < BATCH:
                return False

    def _final_rows(self, rows: list[logqueries.Row], gap: Gap | None) -> tuple[int, bool]:
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
            writers = await self._read(logqueries.writers_in_flight)
            return Gap(bound, writers=writers, deadline=deadline)
        return Gap(bound, deadline=deadline)

    def _watch(self, ids: set[int], writers: frozenset[str]) -> None:
        # Without a way to see open transactions, watch for a while.
        self._late.append(Late(ids, writers, time.monotonic() + LATE_WATCH))

    async def _check_late(self) -> None:
        """Announce watched ids that have appeared (``eventlog.mark_late``);
        stop watching once their transactions have ended."""
        in_flight = await self._read(logqueries.writers_in_flight) if self._exact_gaps else None
        now = time.monotonic()
        for late in list(self._late):
            ended = now >= late.until or (in_flight is not None and not (late.writers & in_flight))
            if in_flight is None or ended:  # a transaction's ids appear when it ends
                rows = await self._read(logqueries.rows_with_ids, sorted(late.ids))
                if rows:
                    await self._read(eventlog.mark_late, rows)
                    late.ids -= {row.id for row in rows}
            if ended or not late.ids:
                self._late.remove(late)
