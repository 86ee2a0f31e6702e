from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from asgiref.sync import async_to_sync

from django_sse.brokers.base import Broker
from django_sse.conf import conf
from django_sse.logs import describe, log_event

GROUP = "django-sse"
# Redis pub/sub does not keep messages for a subscriber that is away: the
# hub also reads the log this often, so a lost wake-up costs a delay, never
# an event.
SAFETY_INTERVAL = 5.0


def _layer() -> Any:
    from channels.layers import get_channel_layer

    layer = get_channel_layer(conf.DJANGO_SSE_CHANNEL_LAYER)
    if layer is None:
        raise RuntimeError(f"No channel layer {conf.DJANGO_SSE_CHANNEL_LAYER!r} in CHANNEL_LAYERS")
    return layer


class RedisBroker(Broker):
    """Wake-ups through a channels layer (``channels_redis`` pub/sub): for
    many hosts, or past one database's NOTIFY rate. The database still
    holds the log; only "read now" travels through Redis."""

    name = "redis"
    listens = True

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)

    @staticmethod
    def after_commit() -> None:
        """Runs in the publishing process after each commit that published."""
        async_to_sync(_layer().group_send)(GROUP, {"type": "sse.wake"})

    async def run(self) -> None:
        layer = _layer()
        backoff = 0.1
        while True:
            try:
                channel = await layer.new_channel()
                await layer.group_add(GROUP, channel)
                self.went_up()
                backoff = 0.1
                self.hub.wake()  # catch up on what committed while away
                while True:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(layer.receive(channel), SAFETY_INTERVAL)
                    self.hub.wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_event(
                    "sse.listener.lost",
                    "the broker's listener lost its connection; reconnecting",
                    broker=self.name,
                    reason=describe(exc),
                )
            finally:
                self.went_down()
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 5.0)
