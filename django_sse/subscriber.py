"""One stream's place in the hub: a bounded list of encoded frames."""

from __future__ import annotations

import asyncio
import math
from typing import Any


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
