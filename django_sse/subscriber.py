"""One stream's place in the hub: a bounded list of encoded frames."""

from __future__ import annotations

import asyncio
from typing import Any


class Subscriber:
    """Frames waiting for one stream, and why the stream must end, if it must.

    A subscriber that falls ``DJANGO_SSE_CLIENT_BUFFER`` events behind is
    ended (``"overflow"``) and gets nothing more; the client reconnects and
    replays from the log, so a slow client never stalls the others or grows
    memory without bound. ``"revoked"`` ends it when access is withdrawn.
    """

    __slots__ = ("topics", "user_key", "frames", "ended", "_waiter", "_limit")

    def __init__(self, topics: list[str], limit: int, user_key: Any = None) -> None:
        self.topics = topics
        self.user_key = user_key
        self.frames: list[tuple[int, bytes]] = []
        self.ended: str | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._limit = limit

    @property
    def overflowed(self) -> bool:
        return self.ended == "overflow"

    def push(self, event_id: int, frame: bytes) -> bool:
        """Queue a frame; True when this push made the subscriber overflow."""
        if self.ended:
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

    async def wait(self, timeout: float) -> bool:
        """Wait until frames are pending or the stream must end (True), or
        until ``timeout`` passes (False)."""
        if self.frames or self.ended:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return False
        finally:
            self._waiter = None
        return True

    def drain(self) -> list[tuple[int, bytes]]:
        frames, self.frames = self.frames, []
        return frames
