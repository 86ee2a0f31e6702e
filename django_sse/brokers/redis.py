from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync

from django_sse import unlogged
from django_sse.brokers.base import Broker
from django_sse.conf import conf
from django_sse.logs import describe, log_event

GROUP = "django-sse"
# Redis pub/sub does not keep messages for a subscriber that is away: the
# hub also reads the log this often, so a lost wake-up costs a delay, never
# an event.
SAFETY_INTERVAL = 5.0
# The largest unlogged event the channels layer carries (Redis takes far
# more; a wake-up must not queue behind megabytes of someone's event).
MAX_MESSAGE_BYTES = 64 * 1024


def _send_events(messages: Sequence[str]) -> None:
    async_to_sync(_layer().group_send)(GROUP, {"type": "sse.events", "events": list(messages)})


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
    carries_events = True

    @staticmethod
    def after_commit() -> None:
        """Runs in the publishing process after each commit that published."""
        async_to_sync(_layer().group_send)(GROUP, {"type": "sse.wake"})

    @staticmethod
    def send_unlogged(alias: str, messages: Sequence[str]) -> None:
        """One channels message for the transaction's events, after commit."""
        for message in messages:
            unlogged.check_size(message, "redis", MAX_MESSAGE_BYTES)
        unlogged.after_commit(alias, messages, _send_events)

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
                    try:
                        message = await asyncio.wait_for(layer.receive(channel), SAFETY_INTERVAL)
                    except TimeoutError:
                        self.hub.wake()
                        continue
                    if message.get("type") == "sse.events":
                        for event in message.get("events", ()):
                            self.hub.deliver_unlogged(event)
                    else:
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
