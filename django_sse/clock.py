"""The hub's clock: one timer for the process ends the waits that are due
(heartbeats, idle and lifetime limits) and cuts the streams whose writes
are stuck."""

from __future__ import annotations

import asyncio
import math

from django_sse.conf import conf
from django_sse.fanout import Stats, log_cut
from django_sse.registry import Subscriptions
from django_sse.subscriber import Subscriber

MAX_TICK = 1.0  # seconds between two rounds of the clock, at most


def tick_period() -> float:
    """Seconds between two rounds of the hub's clock: a fifth of the
    shortest time limit a stream has, ``MAX_TICK`` at most."""
    limits: list[float | None] = [
        conf.DJANGO_SSE_HEARTBEAT,
        conf.DJANGO_SSE_SEND_TIMEOUT,
        conf.DJANGO_SSE_IDLE_TIMEOUT,
        conf.DJANGO_SSE_MAX_DURATION,
        conf.DJANGO_SSE_REAUTHORIZE,
    ]
    return min([MAX_TICK, *(float(limit) / 5 for limit in limits if limit)])


async def run_clock(loop: asyncio.AbstractEventLoop, registry: Subscriptions, stats: Stats) -> None:
    """Ends the waits that are due (heartbeats, idle and lifetime limits)
    and cuts the streams whose writes are stuck (``Subscriber.tick``).

    One timer for the process: a ``wait_for`` per waiting stream put a
    timer on the loop's heap for every stream after every event (about
    a tenth of the server's CPU in a broadcast to 5,000 streams, profiled
    with py-spy; bench/RESULTS.md)."""
    while True:
        # A walk reads every open stream's deadlines, and touches memory
        # of every stream to do it: 7-21 ms at 5,000 streams here, when
        # their memory was last touched seconds before (bench/RESULTS.md,
        # run 32). So a round walks only once ``due.at`` is reached (a
        # wait or a write may be due), and tick() is called only for the
        # streams that are due.
        await asyncio.sleep(tick_period())
        now = loop.time()
        if now < registry.due.at:
            continue  # nothing can be due yet
        due: list[Subscriber] = []
        later = math.inf  # the next time one may fall due
        for sub in registry.subscribers:
            at = sub.wake_at if sub.wake_at < sub.cut_at else sub.cut_at
            if at <= now:
                due.append(sub)
            elif at < later:
                later = at
        cut = [sub for sub in due if sub.tick(now)]
        for sub in due:  # what a due stream still waits for, if anything
            later = min(later, sub.wake_at, sub.cut_at)
        registry.due.at = later
        for sub in cut:
            # Not counted any longer, whenever the server gets round to
            # closing the stream (Django 5.2 may close it only when
            # it is collected).
            registry.unsubscribe(sub)
            stats.stalled += 1
            log_cut(sub, "stalled")
