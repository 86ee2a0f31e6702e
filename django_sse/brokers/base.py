from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_sse.hub import Hub


class Broker:
    """Override point: wake ``self.hub`` (``hub.wake()``) whenever another
    process may have committed events. ``start()`` runs once the hub knows
    its frontier; wake it again after any outage so it catches up."""

    name = "base"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    @property
    def connected(self) -> bool:
        return True
