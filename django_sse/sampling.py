"""Presence (who watches which topic, in every process) and dashboard samplers.

Each server process's hub writes its topic counts to ``HubPresence`` every
``DJANGO_SSE_PRESENCE_INTERVAL`` seconds. A sampler runs only while its
dashboard is watched somewhere, and only in the process that takes its
``SamplerLease`` for the period: in the server processes (the default) or
in ``manage.py sse_sampler`` (set ``DJANGO_SSE_SAMPLERS_IN_SERVER = False``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from django_sse import dashboards
from django_sse.conf import conf
from django_sse.models import HubPresence, SamplerLease

logger = logging.getLogger("django_sse")
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def write_presence(topics: dict[str, int]) -> None:
    HubPresence.objects.update_or_create(
        process=PROCESS,
        defaults={"topics": topics, "streams": sum(topics.values()), "updated_at": timezone.now()},
    )


def clear_presence() -> None:
    HubPresence.objects.filter(process=PROCESS).delete()


def watched_topics() -> dict[str, int]:
    """Open streams per topic in the whole deployment (fresh rows only)."""
    horizon = timezone.now() - timedelta(seconds=3 * conf.DJANGO_SSE_PRESENCE_INTERVAL)
    totals: dict[str, int] = {}
    for topics in HubPresence.objects.filter(updated_at__gte=horizon).values_list(
        "topics", flat=True
    ):
        for topic, count in topics.items():
            totals[topic] = totals.get(topic, 0) + count
    return totals


PRIVATE_FAMILIES = ("user", "group", "progress")


def deployment_streams() -> dict[str, Any]:
    """Open streams in the whole deployment, for staff: private topics are
    counted per family (``user:*``), so no one's presence is shown."""
    horizon = timezone.now() - timedelta(seconds=3 * conf.DJANGO_SSE_PRESENCE_INTERVAL)
    rows = HubPresence.objects.filter(updated_at__gte=horizon)
    topics: dict[str, int] = {}
    for topic, count in watched_topics().items():
        family = topic.partition(":")[0]
        key = f"{family}:*" if family in PRIVATE_FAMILIES else topic
        topics[key] = topics.get(key, 0) + count
    return {
        "streams": sum(rows.values_list("streams", flat=True)),
        "processes": rows.count(),
        "topics": dict(sorted(topics.items())),
    }


def take_lease(name: str, every: float) -> bool:
    now = timezone.now()
    with transaction.atomic():
        SamplerLease.objects.get_or_create(name=name, defaults={"next_run": now})
        taken = SamplerLease.objects.filter(name=name, next_run__lte=now).update(
            next_run=now + timedelta(seconds=every * 0.9)
        )
    return taken == 1


def sample(sampler: dashboards.Sampler) -> bool:
    """Run one sampler if its lease is due; True if it published."""
    if not take_lease(sampler.name, sampler.every):
        return False
    values = sampler.func()
    dashboards.publish(sampler.dashboard, values)
    return True


async def run_samplers(query: Any, watched: Any) -> None:
    """Sample every registered sampler on its schedule while ``watched()``
    says its dashboard has watchers. ``query`` runs sync code in a thread."""
    next_due: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    while True:
        now = loop.time()
        watching = await watched()
        for sampler in dashboards.samplers:
            if next_due.get(sampler.name, 0) > now:
                continue
            next_due[sampler.name] = now + sampler.every
            if watching.get(dashboards.topic(sampler.dashboard)):
                try:
                    await query(sample, sampler)
                except Exception:
                    logger.exception("django-sse: sampler %s failed", sampler.name)
        await asyncio.sleep(min((s.every for s in dashboards.samplers), default=1.0) / 4)


async def presence_loop(hub: Any) -> None:
    """Keep this process's row fresh; remove it when the hub stops."""
    try:
        while True:
            try:
                await hub.query(write_presence, hub.topic_counts())
            except Exception:
                logger.warning("django-sse: could not write presence", exc_info=True)
            await asyncio.sleep(conf.DJANGO_SSE_PRESENCE_INTERVAL)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(hub.query(clear_presence))


def start_background(hub: Any) -> list[asyncio.Task[None]]:
    """Tasks a hub runs beside its reader: presence, and samplers if any."""
    tasks = [hub.loop.create_task(presence_loop(hub), name="django-sse-presence")]
    if dashboards.samplers and conf.DJANGO_SSE_SAMPLERS_IN_SERVER:

        async def local_watchers() -> dict[str, int]:
            return hub.topic_counts()

        tasks.append(
            hub.loop.create_task(
                run_samplers(hub.query, local_watchers), name="django-sse-samplers"
            )
        )
    return tasks
