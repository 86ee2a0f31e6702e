from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_sse.hub import Hub


class Broker:
    """Override point: wake ``self.hub`` (``hub.wake()``) whenever another
    process may have committed events. ``run()`` starts once the hub knows
    its frontier; after any outage, wake the hub again so it catches up."""

    name = "base"
    # A broker with a connection of its own (a listener) starts disconnected
    # and reports its state with ``went_up``/``went_down``.
    listens = False
    # A broker that carries the events of topics with retention "none"
    # itself (``django_sse.unlogged``): no row in the log for them.
    carries_events = False

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._task: asyncio.Task[None] | None = None
        self.connects = 0  # listener connects and reconnects
        self._outage_total = 0.0
        self._down_since: float | None = time.monotonic() if self.listens else None

    def went_up(self) -> None:
        self.connects += 1
        if self._down_since is not None:
            self._outage_total += time.monotonic() - self._down_since
            self._down_since = None

    def went_down(self) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()

    def down_for(self) -> float:
        """Seconds the listener has been disconnected (0.0: connected)."""
        return 0.0 if self._down_since is None else time.monotonic() - self._down_since

    def outage_seconds(self) -> float:
        """Seconds the listener was disconnected, since the hub started."""
        return self._outage_total + self.down_for()

    @staticmethod
    def after_commit() -> None:
        """Runs in the publishing process after a commit that published:
        wake other processes if the broker needs to be told (PostgreSQL's
        trigger and polling do not)."""

    @staticmethod
    def send_unlogged(alias: str, messages: Sequence[str]) -> None:
        """Runs in the publishing process, in its transaction on ``alias``:
        have every server process's hub take ``messages``
        (``hub.deliver_unlogged``) when it commits, and never if it rolls
        back. Only for brokers with ``carries_events``."""
        raise NotImplementedError

    async def run(self) -> None:
        """The broker's loop, as a task of the hub's event loop."""

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until the listener is up (``timeout`` seconds at most)."""
        deadline = time.monotonic() + timeout
        while not self.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.connected

    @property
    def connected(self) -> bool:
        return self._down_since is None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self.run(), name=f"django-sse-{self.name}"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
