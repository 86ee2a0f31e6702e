from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_sse.hub import Hub


class Broker:
    """Override point: wake ``self.hub`` (``hub.wake()``) whenever another
    process may have committed events. ``run()`` starts once the hub knows
    its frontier; after any outage, wake the hub again so it catches up."""

    name = "base"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def after_commit() -> None:
        """Runs in the publishing process after a commit that published:
        wake other processes if the broker needs to be told (PostgreSQL's
        trigger and polling do not)."""

    async def run(self) -> None:
        """The broker's loop, as a task of the hub's event loop."""

    @property
    def connected(self) -> bool:
        return True

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self.run(), name=f"django-sse-{self.name}"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
