"""The fan-out: each committed event, framed once, queued to every stream
of its topic, the streams woken a batch at a time; and the counters of
what the hub does (``Stats``)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from django_sse import logqueries, tracing, unlogged
from django_sse.logs import log_event, topic_families, user_hash
from django_sse.protocol import format_event
from django_sse.registry import Subscriptions
from django_sse.subscriber import Subscriber

MAX_LAGS = 100_000  # delivery lag samples kept between two copies into the metrics
WAKE_BATCH = 50  # streams woken per turn of the event loop when an event fans out
LATE_RESET = format_event(json.dumps({"reason": "late-event"}), event="reset")


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


def log_cut(sub: Subscriber, reason: str) -> None:
    """One line for a stream the hub cut (``CUT_REASONS``), naming no one."""
    log_event(
        "sse.stream.cut",
        CUT_REASONS[reason],
        level=logging.INFO,
        key=f"cut:{reason}",
        reason=reason,
        user_hash=user_hash(sub.user_key),
        topics=topic_families(sub.topics),
    )


class FanOut:
    """Hands rows (from the log reader) and unlogged events (from the
    broker) to the subscribers of their topics in ``registry``."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, registry: Subscriptions, stats: Stats
    ) -> None:
        self.loop = loop
        self.registry = registry
        self.stats = stats
        # Seconds from publish() to fan-out, per event, while metrics are on
        # (``metrics.run`` sets a list and takes what it gathered).
        self.lags: list[float] | None = None
        # Streams with frames queued, still to be woken: a ``_wake_queued``
        # is scheduled on the loop exactly while it is not empty.
        self._to_wake: deque[Subscriber] = deque()
        # The id of the newest "late" marker in the log (streams.py skips
        # the marker query for a cursor past it: nearly always).
        self.last_late_marker = 0

    def take_lags(self) -> list[float]:
        lags, self.lags = self.lags or [], []
        return lags

    def fan_out(self, rows: list[logqueries.Row]) -> None:
        """Queue each row's frame to the streams of its topic (its trace, if
        any, spans the delivery)."""
        if tracing.enabled():
            traced = [
                row.trace for row in rows if row.trace and row.topic in self.registry.by_topic
            ]
            if traced:
                with tracing.deliver_span(traced) as span:
                    before = self.stats.deliveries
                    self._deliver(rows)
                    span.set_attribute("django_sse.deliveries", self.stats.deliveries - before)
                return
        self._deliver(rows)

    def _deliver(self, rows: list[logqueries.Row]) -> None:
        topics = self.registry.by_topic
        lags = self.lags
        if lags is not None and len(lags) < MAX_LAGS:
            now = time.time()
            lags.extend(now - row.created.timestamp() for row in rows if row.created)
        for row in rows:
            self.stats.events += 1
            if row.topic == logqueries.CONTROL_TOPIC:
                self._control(row)
                continue
            subs = topics.get(row.topic)
            if not subs:
                continue
            frame = row.frame()
            if not frame:  # a row that cannot be sent (logged by frame())
                self.stats.skipped += 1
                continue
            self.push(subs, row.id, frame, row.event)

    def push(self, subs: set[Subscriber], event_id: int, frame: bytes, event: str) -> None:
        """Queue a frame to every subscriber now (so the frontier can move
        past it), and wake their streams ``WAKE_BATCH`` at a time."""
        ends = event in self.registry.end_events
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
            log_cut(sub, "overflow")
            self.registry.release(sub)
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

    def deliver_unlogged(self, message: str, frontier: int) -> None:
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
        subs = self.registry.by_topic.get(topic)
        if not subs:
            return
        try:
            frame = format_event(
                text, event=event or None, id=f"{frontier} {topic} {unlogged.MARK}"
            )
        except ValueError:  # not framed by publish(): written past its checks
            self.stats.skipped += 1
            return
        # Queued as if just past the frontier: a stream whose client is
        # ahead of this process (``skip_through``) drops it rather than
        # move the client's cursor back.
        self.push(subs, frontier + 1, frame, event)

    def _control(self, row: logqueries.Row) -> None:
        try:
            message = json.loads(row.data)
        except ValueError:
            return
        if row.event == logqueries.LATE and isinstance(message, dict):
            self.last_late_marker = max(self.last_late_marker, row.id)
            topics = {topic for _, topic in message.get("events", ())}
            for topic in topics:
                for sub in list(self.registry.by_topic.get(str(topic), ())):
                    sub.push(row.id, LATE_RESET)
        if row.event == "revoke" and isinstance(message, dict):
            topic = message.get("topic")
            self.registry.revoke(str(message.get("user")), None if topic is None else str(topic))
