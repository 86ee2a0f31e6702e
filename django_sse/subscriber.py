"""One stream's place in the hub (a bounded list of encoded frames), and
the hub's registry of them."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from django_sse.conf import conf


class Subscriber:
    """Frames waiting for one stream, and why the stream must end, if it must.

    A subscriber that falls ``DJANGO_SSE_CLIENT_BUFFER`` events behind is
    ended (``"overflow"``) and gets nothing more; the client reconnects and
    replays from the log, so a slow client never stalls the others or grows
    memory without bound. ``"revoked"`` ends it when access is withdrawn.

    A wait has no timer of its own: it records when it must end
    (``wake_at``) and the hub's clock ends it then (``Hub._clock``), so
    thousands of idle streams cost one timer, not one each.
    """

    __slots__ = (
        "topics",
        "user_key",
        "end_after",
        "frames",
        "ended",
        "complete",
        "wake_at",
        "_waiter",
        "_limit",
    )

    def __init__(
        self,
        topics: list[str],
        limit: int,
        user_key: Any = None,
        end_after: frozenset[str] = frozenset(),
    ) -> None:
        self.topics = topics
        self.user_key = user_key
        # Event names after which the stream ends (``complete`` is set by
        # the hub when it pushes one; the frames up to it are still sent).
        self.end_after = end_after
        self.frames: list[tuple[int, bytes]] = []
        self.ended: str | None = None
        self.complete = False
        self.wake_at = math.inf
        self._waiter: asyncio.Future[None] | None = None
        self._limit = limit

    def push(self, event_id: int, frame: bytes) -> bool:
        """Queue a frame; True when this push made the subscriber overflow."""
        if self.ended or self.complete:
            return False
        if len(self.frames) >= self._limit:
            self.end("overflow")
            return True
        self.frames.append((event_id, frame))
        self._wake()
        return False

    def end(self, reason: str) -> None:
        if not self.ended:
            self.ended = reason
            self.frames = []
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def wake_if_due(self, now: float) -> None:
        if self.wake_at <= now:
            self._wake()

    def waiter(self, timeout: float) -> asyncio.Future[None]:
        """A future that is done when frames are pending, the stream must
        end, or ``timeout`` has passed (give or take a tick of the hub's
        clock). Call ``woken`` after. A plain future, not a coroutine: one
        object less per stream and event, and objects that live from one
        event to the next bring on the garbage collector's full passes
        (bench/RESULTS.md)."""
        waiter = asyncio.get_running_loop().create_future()
        if self.frames or self.ended:
            waiter.set_result(None)
            return waiter
        self._waiter = waiter
        self.wake_at = waiter.get_loop().time() + timeout
        return waiter

    def woken(self) -> bool:
        """After a waiter is done: True if frames are pending or the stream
        must end, False if only the time passed."""
        self.wake_at = math.inf
        self._waiter = None
        return bool(self.frames or self.ended)

    def drain(self) -> list[tuple[int, bytes]]:
        frames, self.frames = self.frames, []
        return frames


class Subscriptions:
    """Who listens to what in one process: the hub's registry of subscribers
    by topic and by user, and the event names some of them end after."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscriber]] = {}
        self._subscribers: set[Subscriber] = set()
        self._per_user: dict[Any, int] = {}
        # Event names some subscriber ends after, with how many ask for each:
        # one set lookup per event, not per subscriber, in the fan-out.
        self._end_events: dict[str, int] = {}

    def subscribe(
        self, topics: list[str], user_key: Any = None, end_after: frozenset[str] = frozenset()
    ) -> Subscriber:
        sub = Subscriber(topics, conf.DJANGO_SSE_CLIENT_BUFFER, user_key, end_after)
        for topic in topics:
            self._topics.setdefault(topic, set()).add(sub)
        self._subscribers.add(sub)
        if user_key is not None:
            self._per_user[user_key] = self._per_user.get(user_key, 0) + 1
        for name in end_after:
            self._end_events[name] = self._end_events.get(name, 0) + 1
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        for topic in sub.topics:
            subs = self._topics.get(topic)
            if subs is not None and sub in subs:
                subs.discard(sub)
                if not subs:
                    del self._topics[topic]
        if sub not in self._subscribers:
            return
        self._subscribers.discard(sub)
        for name in sub.end_after:
            left = self._end_events[name] - 1
            if left:
                self._end_events[name] = left
            else:
                del self._end_events[name]
        if sub.user_key is not None:
            left = self._per_user.get(sub.user_key, 1) - 1
            if left:
                self._per_user[sub.user_key] = left
            else:
                self._per_user.pop(sub.user_key, None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def streams_of(self, user_key: Any) -> int:
        return self._per_user.get(user_key, 0)

    def revoke(self, user_key: Any, topic: str) -> int:
        """End this process's streams of ``user_key`` that carry ``topic``."""
        ended = 0
        for sub in list(self._topics.get(topic, ())):
            if sub.user_key == user_key:
                sub.end("revoked")
                ended += 1
        return ended

    def topic_counts(self) -> dict[str, int]:
        return {topic: len(subs) for topic, subs in sorted(self._topics.items())}
