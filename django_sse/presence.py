"""Who watches what, across every server process (counts only, no users).

Each process's hub writes its open streams per topic to ``HubPresence``
every ``DJANGO_SSE_PRESENCE_INTERVAL`` seconds (one row per process). The
admin's open-streams page, ``manage.py sse_health`` and features that work
only while something is watched (dashboard samplers) read it.

What a row holds is bounded (``summarise``): personal topics (``user:7``)
are counted per family (``user:*``), and at most ``MAX_TOPICS`` other
topics by name, the most watched; the rest are counted under ``*``. Clients
that each name many unique topics cannot grow it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from django_sse import counters
from django_sse.conf import conf
from django_sse.hooks import personal_prefixes
from django_sse.logs import log_event
from django_sse.models import HubPresence

if TYPE_CHECKING:
    from django_sse.hub import Hub

PROCESS = f"{socket.gethostname()}:{os.getpid()}"
MAX_TOPICS = 200
# Who sees open streams per topic (``/sse/stats/``, ``/sse/deployment/``, the
# admin page): staff with this permission (superusers have it).
PERMISSION = "django_sse.view_hubpresence"
OTHER = "*"


def summarise(counts: dict[str, int]) -> dict[str, int]:
    """Open streams per topic, with personal topics counted per family and
    at most ``MAX_TOPICS`` other topics by name (the rest under ``*``)."""
    personal = personal_prefixes()
    summary: dict[str, int] = {}
    named: list[tuple[int, str]] = []
    for topic, count in counts.items():
        family, sep, _ = topic.partition(":")
        if sep and family in personal:
            key = f"{family}:*"
            summary[key] = summary.get(key, 0) + count
        else:
            named.append((count, topic))
    named.sort(key=lambda item: (-item[0], item[1]))
    for count, topic in named[:MAX_TOPICS]:
        summary[topic] = count
    rest = sum(count for count, _ in named[MAX_TOPICS:])
    if rest:
        summary[OTHER] = summary.get(OTHER, 0) + rest
    return dict(sorted(summary.items()))


def _rows() -> QuerySet[HubPresence]:
    qs = HubPresence.objects.using(conf.DJANGO_SSE_DATABASE)
    horizon = timezone.now() - timedelta(seconds=3 * conf.DJANGO_SSE_PRESENCE_INTERVAL)
    return qs.filter(updated_at__gte=horizon)


def write_presence(streams: int, topics: dict[str, int], health: dict[str, Any]) -> None:
    HubPresence.objects.using(conf.DJANGO_SSE_DATABASE).update_or_create(
        process=PROCESS,
        defaults={
            "topics": summarise(topics),
            "streams": streams,
            "health": health,
            "updated_at": timezone.now(),
        },
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
    """Open streams in the whole deployment, for staff: personal topics are
    counted per family (``user:*``), so no one's presence is shown; and the
    processes whose hub reader had to restart (``readers_restarted``)."""
    rows = list(_rows().order_by("process").values_list("process", "streams", "health"))
    restarted = {
        process: health for process, _, health in rows if health and health.get("restarts")
    }
    per_process = {process: (health or {}).get("numbers", {}) for process, _, health in rows}
    totals = {
        key: round(sum(numbers.get(key, 0) for numbers in per_process.values()), 1)
        for key, _, _ in counters.NUMBERS
    }
    return {
        "streams": sum(streams for _, streams, _ in rows),
        "processes": len(rows),
        "topics": summarise(watched_topics()),
        "readers_restarted": restarted,
        "numbers": {"processes": per_process, "total": totals},
    }


async def presence_loop(hub: Hub) -> None:
    """Keep this process's row fresh; remove it when the hub stops."""
    try:
        while True:
            try:
                health = {
                    "restarts": hub.stats.restarts,
                    "last_error": hub.last_error,
                    "numbers": counters.numbers(hub),
                }
                await hub.query(write_presence, hub.subscriber_count, hub.topic_counts(), health)
            except Exception:
                log_event(
                    "sse.presence.write_failed",
                    "could not write this process's presence row",
                    exc_info=True,
                )
            await asyncio.sleep(conf.DJANGO_SSE_PRESENCE_INTERVAL)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(hub.query(clear_presence))
