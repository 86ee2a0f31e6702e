"""One stream's place in the hub (a bounded list of encoded frames), and
the hub's registry of them."""

from __future__ import annotations

import asyncio
import contextlib
import math
import weakref
from typing import Any

from django_sse.conf import conf


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
    (``wake_at``) and the hub's clock ends it then (``Hub._clock``), so
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


class Subscriptions:
    """Who listens to what in one process: the hub's registry of subscribers
    by topic and by user, and the event names some of them end after."""

    frontier = 0  # the id up to which events were fanned out (kept by the hub)

    def __init__(self) -> None:
        self.due = Due()  # when the clock may find a wait or write due, at the earliest
        self._topics: dict[str, set[Subscriber]] = {}
        self._subscribers: set[Subscriber] = set()
        # Keyed by ``str(user.pk)``: the same key for an int or UUID pk as
        # for the pk a revoke message carries in JSON.
        self._per_user: dict[str, set[Subscriber]] = {}
        # Event names some subscriber ends after, with how many ask for each:
        # one set lookup per event, not per subscriber, in the fan-out.
        self._end_events: dict[str, int] = {}
        # Subscribers whose stream has not started yet, with what releases
        # them if it never does (``release_when_dropped``).
        self._unstarted: dict[Subscriber, weakref.finalize[Any, Any]] = {}
        # Subscribers ended (overflow, revoked, shutdown) whose streams
        # still write their last words: not counted, not reached by topic
        # or user, but still watched by the clock, which cuts a write that
        # does not go out (``release``).
        self._ending: set[Subscriber] = set()

    def subscribe(
        self,
        topics: list[str],
        user_key: str | None = None,
        end_after: frozenset[str] = frozenset(),
    ) -> Subscriber:
        sub = Subscriber(
            topics,
            conf.DJANGO_SSE_CLIENT_BUFFER,
            user_key,
            end_after,
            conf.DJANGO_SSE_CLIENT_BUFFER_BYTES,
            self.due,
        )
        for topic in topics:
            self._topics.setdefault(topic, set()).add(sub)
        self._subscribers.add(sub)
        if user_key is not None:
            self._per_user.setdefault(user_key, set()).add(sub)
        for name in end_after:
            self._end_events[name] = self._end_events.get(name, 0) + 1
        return sub

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
        return self.subscribe(topics, user_key, end_after), self.frontier

    def release_when_dropped(self, stream: object, sub: Subscriber) -> None:
        """Unsubscribe ``sub`` when ``stream`` is garbage: a response that
        was never sent (the client left first) never runs its stream's
        ``finally``. Idempotent with the stream's own unsubscribe. The
        stream calls ``started`` once it runs: from then on its ``finally``
        releases it, and nothing of this is kept for the stream's life."""
        loop = asyncio.get_running_loop()

        def release() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to release
                loop.call_soon_threadsafe(self.unsubscribe, sub)

        self._unstarted[sub] = weakref.finalize(stream, release)

    def started(self, sub: Subscriber) -> None:
        """``sub``'s stream runs (and unsubscribes in its ``finally``): the
        finalizer of ``release_when_dropped`` is not needed (0.5 KB per
        stream, bench/objects.py)."""
        release = self._unstarted.pop(sub, None)
        if release is not None:
            release.detach()

    def unsubscribe(self, sub: Subscriber) -> None:
        self.started(sub)  # nothing left to release when dropped
        self._ending.discard(sub)
        self._forget(sub)
        if sub not in self._subscribers:
            return
        self._subscribers.discard(sub)
        for name in sub.end_after:
            left = self._end_events[name] - 1
            if left:
                self._end_events[name] = left
            else:
                del self._end_events[name]

    def release(self, sub: Subscriber) -> None:
        """``sub`` was ended: it leaves the counts, the topics and its
        user's streams at once, while its stream (and the clock) see its
        last write out; ``unsubscribe`` removes it for good."""
        if sub in self._subscribers:
            self._ending.add(sub)
        self._forget(sub)

    def _forget(self, sub: Subscriber) -> None:
        for topic in sub.topics:
            subs = self._topics.get(topic)
            if subs is not None and sub in subs:
                subs.discard(sub)
                if not subs:
                    del self._topics[topic]
        if sub.user_key is not None:
            mine = self._per_user.get(sub.user_key)
            if mine is not None:
                mine.discard(sub)
                if not mine:
                    del self._per_user[sub.user_key]

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers) - len(self._ending)

    def streams_of(self, user_key: str) -> int:
        return len(self._per_user.get(user_key, ()))

    def revoke(self, user_key: str, topic: str | None = None) -> int:
        """End this process's streams of ``user_key`` that carry ``topic``
        (all of the user's streams when ``topic`` is None)."""
        ended = 0
        for sub in list(self._per_user.get(user_key, ())):
            if topic is None or topic in sub.topics:
                sub.end("revoked")
                self.release(sub)
                ended += 1
        return ended

    def topic_counts(self) -> dict[str, int]:
        return {topic: len(subs) for topic, subs in sorted(self._topics.items())}
