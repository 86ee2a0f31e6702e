"""Dashboard samplers: each runs only while its dashboard is watched
somewhere (``django_sse.presence``), and only in the process that takes its
``SamplerLease`` for the period: in the server processes (a hub task, the
default) or in ``manage.py sse_sampler`` (set
``DJANGO_SSE_SAMPLERS_IN_SERVER = False``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from django_sse.contrib.dashboards import metrics
from django_sse.contrib.dashboards.conf import conf
from django_sse.contrib.dashboards.models import SamplerLease
from django_sse.eventlog import atomic
from django_sse.logs import log_event

if TYPE_CHECKING:
    from django_sse.hub import Hub


def take_lease(name: str, every: float) -> bool:
    now = timezone.now()
    with atomic():
        SamplerLease.objects.get_or_create(name=name, defaults={"next_run": now})
        taken = SamplerLease.objects.filter(name=name, next_run__lte=now).update(
            next_run=now + timedelta(seconds=every * 0.9)
        )
    return taken == 1


def sample(sampler: metrics.Sampler) -> bool:
    """Run one sampler if its lease is due; True if it published."""
    if not take_lease(sampler.name, sampler.every):
        return False
    values = sampler.func()
    metrics.publish(sampler.dashboard, values)
    return True


async def run_samplers(query: Any, watched: Any) -> None:
    """Sample every registered sampler on its schedule while ``watched()``
    says its dashboard has watchers. ``query`` runs sync code in a thread."""
    next_due: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    while True:
        now = loop.time()
        watching = await watched()
        for sampler in metrics.samplers:
            if next_due.get(sampler.name, 0) > now:
                continue
            next_due[sampler.name] = now + sampler.every
            if watching.get(metrics.topic(sampler.dashboard)):
                try:
                    await query(sample, sampler)
                except Exception:
                    log_event(
                        "sse.sampler.failed",
                        "a dashboard sampler failed",
                        level=logging.ERROR,
                        exc_info=True,
                        key=f"sampler:{sampler.name}",
                        sampler=sampler.name,
                    )
        await asyncio.sleep(min((s.every for s in metrics.samplers), default=1.0) / 4)


async def samplers_task(hub: Hub) -> None:
    """The hub task: sample while this process's streams watch a dashboard."""
    if not metrics.samplers or not conf.DJANGO_SSE_SAMPLERS_IN_SERVER:
        return

    async def local_watchers() -> dict[str, int]:
        return hub.topic_counts()

    await run_samplers(hub.query, local_watchers)
