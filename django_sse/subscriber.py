"""One stream's place in the hub: a bounded list of encoded frames."""

from __future__ import annotations

import asyncio
import math
from typing import Any


class Due:
    """The earliest time at which a wait or a write of some stream may fall
    due (a bound: it may have passed with nothing due). The hub's clock
    walks the streams only once it is reached, not every round: under a
    steady flow of events a walk comes about once per heartbeat interval,
    and a walk touches every stream's memory (bench/RESULTS.md, run 32)."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf


class Subscriber:
    """Frames waiting for one stream, and why the stream must end, if it must.

    A subscriber that falls ``DJANGO_SSE_CLIENT_BUFFER`` events or
    ``DJANGO_SSE_CLIENT_BUFFER_BYTES`` bytes behind is ended
    (``"overflow"``) and gets nothing more; the client reconnects and
    replays from the log, so a slow client never stalls the others or grows
    memory without bound. ``"revoked"`` ends it when access is withdrawn.

    A stream whose write has not gone out by ``cut_at`` (the client reads
    nothing: ``DJANGO_SSE_SEND_TIMEOUT``; or its lifetime, or its idle limit
    counted from the last write that went out, ran out while it was
    blocked) is cut by the hub's clock: ``task``, the one sending the
    response, is cancelled, so the response ends, not only the subscription.

    A wait has no timer of its own: it records when it must end
    (``wake_at``) and the hub's clock ends it then (``clock.run_clock``), so
    thousands of idle streams cost one timer, not one each. ``due``, shared
    by the hub's subscribers, is lowered to every ``wake_at`` and
    ``cut_at`` set.
    """

    __slots__ = (
        "topics",
        "user_key",
        "end_after",
        "ids",
        "frames",
        "ended",
        "complete",
        "wake_at",
        "cut_at",
        "deadline",
        "due",
        "task",
        "_waiter",
        "_limit",
        "_bytes",
        "_byte_limit",
    )

    def __init__(
        self,
        topics: list[str],
        limit: int,
        user_key: str | None = None,
        end_after: frozenset[str] = frozenset(),
        byte_limit: float = math.inf,
        due: Due | None = None,
    ) -> None:
        self.topics = topics
        self.user_key = user_key
        # Event names after which the stream ends (``complete`` is set by
        # the hub when it pushes one; the frames up to it are still sent).
        self.end_after = end_after
        # The ids and frames waiting, in two lists rather than one of
        # pairs: a pair is an object the collector tracks, made per event
        # and stream; ints and bytes are not tracked.
        self.ids: list[int] = []
        self.frames: list[bytes] = []
        self.ended: str | None = None
        self.complete = False
        self.wake_at = math.inf
        self.cut_at = math.inf
        self.deadline = math.inf  # the end of the stream's lifetime (set by the stream)
        self.due = Due() if due is None else due
        self.task: asyncio.Task[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._limit = limit
        self._bytes = 0
        self._byte_limit = byte_limit

    def push(self, event_id: int, frame: bytes) -> bool:
        """Queue a frame and wake the stream; True when this push made the
        subscriber overflow."""
        overflowed = self.queue(event_id, frame)
        self._wake()
        return overflowed

    def queue(self, event_id: int, frame: bytes) -> bool:
        """Queue a frame without waking the stream (``wake_if_pending`` does,
        later); True when it made the subscriber overflow, which ends it."""
        if self.ended or self.complete:
            return False
        self._bytes += len(frame)
        # The limits bound a backlog: an event the stream is not behind on
        # is always taken, however large (DJANGO_SSE_MAX_EVENT_BYTES).
        if self.frames and (len(self.frames) >= self._limit or self._bytes > self._byte_limit):
            self.end("overflow")
            return True
        self.ids.append(event_id)
        self.frames.append(frame)
        return False

    def wake_if_pending(self) -> None:
        """Wake the stream if frames wait or it must end (after ``queue``);
        a stream that drained them already is left waiting."""
        if self.frames or self.ended:
            self._wake()

    def end(self, reason: str) -> None:
        if not self.ended:
            self.ended = reason
            self.ids, self.frames = [], []
            self._bytes = 0
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            # Nothing is left for the clock to end (``tick``) once woken.
            self._waiter, self.wake_at = None, math.inf
            if not waiter.done():
                waiter.set_result(None)

    def tick(self, now: float) -> bool:
        """The hub's clock: end a wait that is due; cut a stream whose write
        is stuck (True when it was cut)."""
        if self.wake_at <= now:
            self._wake()
        if self.cut_at <= now:
            self.cut_at = math.inf
            self.end("stalled")
            if self.task is not None:
                self.task.cancel()
            return True
        return False

    def waiter(self, until: float) -> asyncio.Future[None]:
        """A future that is done when frames are pending, the stream must
        end, or the event loop's clock has reached ``until`` (give or take
        a tick of the hub's clock); with no ``frames`` and no ``ended``
        after it, only the time passed. A plain future, not a coroutine:
        one object less per stream and event, and objects that live from
        one event to the next bring on the garbage collector's full passes
        (bench/RESULTS.md). An absolute time, not a timeout: the stream
        has read the clock already, and a read costs as much as the rest
        of the call."""
        waiter = asyncio.get_running_loop().create_future()
        if self.frames or self.ended:
            waiter.set_result(None)
            return waiter
        self._waiter = waiter
        self.wake_at = until
        if until < self.due.at:
            self.due.at = until
        return waiter

    def must_write_by(self, at: float) -> None:
        """A write starts: cut the stream if it has not gone out by ``at``."""
        self.cut_at = at
        if at < self.due.at:
            self.due.at = at

    def clear(self) -> None:
        """Empty the subscriber once its ``ids`` and ``frames`` (the frames
        waiting, in order) are read: the same two lists emptied, not two
        new ones made per event and stream (and the old two freed)."""
        self.ids.clear()
        self.frames.clear()
        self._bytes = 0
