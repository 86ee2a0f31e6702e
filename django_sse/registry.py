"""The hub's registry: who listens to what in one process, by topic and by
user, and what ends streams early (revocation, overflow)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from django_sse.conf import conf
from django_sse.subscriber import Due, Subscriber


class Subscriptions:
    """Who listens to what in one process: the hub's registry of subscribers
    by topic and by user, and the event names some of them end after."""

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
    def by_topic(self) -> dict[str, set[Subscriber]]:
        """The subscribers of each topic (the fan-out reads it per event)."""
        return self._topics

    @property
    def end_events(self) -> dict[str, int]:
        """Event names some subscriber ends after, with how many ask for each."""
        return self._end_events

    @property
    def subscribers(self) -> set[Subscriber]:
        """Every subscriber, ended ones still writing included (the clock's)."""
        return self._subscribers

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
