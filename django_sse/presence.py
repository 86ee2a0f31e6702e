"""Who watches what, across every server process (counts only, no users).

Each process's hub writes its open streams per topic to ``HubPresence``
every ``DJANGO_SSE_PRESENCE_INTERVAL`` seconds (one row per process). The
admin's open-streams page, ``manage.py sse_health`` and features that work
only while something is watched (dashboard samplers) read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from django_sse.conf import conf
from django_sse.hooks import private_prefixes
from django_sse.models import HubPresence

if TYPE_CHECKING:
    from django_sse.hub import Hub

logger = logging.getLogger("django_sse")
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def _rows() -> QuerySet[HubPresence]:
    qs = HubPresence.objects.using(conf.DJANGO_SSE_DATABASE)
    horizon = timezone.now() - timedelta(seconds=3 * conf.DJANGO_SSE_PRESENCE_INTERVAL)
    return qs.filter(updated_at__gte=horizon)


def write_presence(topics: dict[str, int]) -> None:
    HubPresence.objects.using(conf.DJANGO_SSE_DATABASE).update_or_create(
        process=PROCESS,
        defaults={"topics": topics, "streams": sum(topics.values()), "updated_at": timezone.now()},
    )


def clear_presence() -> None:
    HubPresence.objects.using(conf.DJANGO_SSE_DATABASE).filter(process=PROCESS).delete()


def watched_topics() -> dict[str, int]:
    """Open streams per topic in the whole deployment (fresh rows only)."""
    totals: dict[str, int] = {}
    for topics in _rows().values_list("topics", flat=True):
        for topic, count in topics.items():
            totals[topic] = totals.get(topic, 0) + count
    return totals


def deployment_streams() -> dict[str, Any]:
    """Open streams in the whole deployment, for staff: private topics are
    counted per family (``user:*``), so no one's presence is shown."""
    private = private_prefixes()
    topics: dict[str, int] = {}
    for topic, count in watched_topics().items():
        family, sep, _ = topic.partition(":")
        key = f"{family}:*" if sep and family in private else topic
        topics[key] = topics.get(key, 0) + count
    rows = list(_rows().values_list("streams", flat=True))
    return {"streams": sum(rows), "processes": len(rows), "topics": dict(sorted(topics.items()))}


async def presence_loop(hub: Hub) -> None:
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
