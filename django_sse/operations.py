"""For operators: Prometheus metrics, health probes for orchestrators, and
the open streams for staff (``/sse/stats/``, ``/sse/deployment/``).

``GET /sse/metrics/``: the Prometheus text format (``prometheus_client``,
the ``[metrics]`` extra), for a scraper with the bearer token
``DJANGO_SSE_METRICS_TOKEN`` or staff with ``presence.PERMISSION``.

``GET /sse/health/live/``: 200 while the process answers.
``GET /sse/health/ready/``: 200 while this process can serve streams: the
event log reads, the broker's listener has not been away longer than
``DJANGO_SSE_READY_MAX_OUTAGE``, and PostgreSQL's NOTIFY queue is not
fuller than ``DJANGO_SSE_READY_MAX_QUEUE_USAGE``; 503 with the reasons.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache

from django_sse import logqueries
from django_sse.asgi import stream_view
from django_sse.conf import conf
from django_sse.http import json_error, require_asgi, require_methods
from django_sse.hub import UNAVAILABLE
from django_sse.hubs import running_hub, start_hub
from django_sse.internals import outside_request_thread
from django_sse.presence import deployment_streams, summarise
from django_sse.streaming import stream_response
from django_sse.views import staff_only

NO_CLIENT = "Metrics need prometheus_client: pip install 'django-sse-hub[metrics]'."


def metrics_available() -> bool:
    return importlib.util.find_spec("prometheus_client") is not None


async def operator_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """None for an operator (``DJANGO_SSE_METRICS_TOKEN`` as a Bearer
    token, or staff with the presence permission); else the refusal."""
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        expected = conf.DJANGO_SSE_METRICS_TOKEN
        given = authorization.removeprefix("Bearer ").strip()
        if not expected or not constant_time_compare(given, expected):
            return json_error(401, "Invalid metrics token.")
        return None
    return await outside_request_thread(staff_only(request))


@never_cache
@require_methods("GET")
async def metrics(request: HttpRequest) -> HttpResponseBase:
    if not metrics_available():
        return json_error(501, NO_CLIENT)
    refused = await operator_refusal(request)
    if refused is not None:
        return refused
    from django_sse import metrics as prometheus

    prometheus.sync(running_hub())
    # Multiprocess mode reads every process's files: not on the event loop.
    body = await asyncio.to_thread(prometheus.exposition)
    return HttpResponse(body, content_type=prometheus.CONTENT_TYPE_LATEST)


@never_cache
@require_methods("GET")
async def live(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse({"status": "ok"})


@never_cache
@require_methods("GET")
async def ready(request: HttpRequest) -> HttpResponseBase:
    hub = running_hub()
    if hub is None or not hub.ready.done():
        hub = await start_hub(timeout=5.0)
    if not hub.ready.done():
        return _not_ready([hub.unavailable or UNAVAILABLE])
    problems = []
    away = hub.broker.down_for()
    if away > conf.DJANGO_SSE_READY_MAX_OUTAGE:
        problems.append(f"The broker's listener has been disconnected for {away:.0f} s.")
    try:
        usage = await hub.query(logqueries.notification_queue_usage)
    except DatabaseError as exc:
        return _not_ready([f"The event log cannot be read ({exc})."])
    if usage is not None and usage > conf.DJANGO_SSE_READY_MAX_QUEUE_USAGE:
        problems.append(f"PostgreSQL's NOTIFY queue is {usage:.1%} full.")
    if problems:
        return _not_ready(problems)
    if await operator_refusal(request) is not None:
        return JsonResponse({"status": "ready"})  # the details are for operators
    return JsonResponse(
        {
            "status": "ready",
            "broker": hub.broker.name,
            "broker_connected": hub.broker.connected,
            "notify_queue_usage": usage,
            "streams": hub.subscriber_count,
        }
    )


def _not_ready(problems: list[str]) -> HttpResponse:
    return json_error(503, " ".join(problems), Retry_After="5")


@never_cache
@require_methods("GET")
async def stats(request: HttpRequest) -> HttpResponseBase:
    """Staff with ``PERMISSION``: this process's open streams per
    topic (personal topics per family) and hub counters."""
    refused = await staff_only(request)
    if refused is not None:
        return refused
    hub = running_hub()
    if hub is None:
        return JsonResponse({"streams": 0, "topics": {}, "running": False})
    return JsonResponse(
        {
            "running": True,
            "notify_queue_usage": await hub.query(logqueries.notification_queue_usage),
            "streams": hub.subscriber_count,
            "topics": summarise(hub.topic_counts()),
            "frontier": hub.frontier,
            "broker": hub.broker.name,
            "broker_connected": hub.broker.connected,
            "events_read": hub.stats.events,
            "log_reads": hub.stats.reads,
            "gaps": hub.stats.gaps,
            "overflows": hub.stats.overflows,
            "errors": hub.stats.errors,
            "skipped_rows": hub.stats.skipped,
            "reader_restarts": hub.stats.restarts,
            "last_error": hub.last_error,
        }
    )


@stream_view
@never_cache
@require_methods("GET")
@require_asgi
async def deployment(request: HttpRequest) -> HttpResponseBase:
    """Staff only: the deployment's open streams (``presence``), as a
    ``streams`` event every ``DJANGO_SSE_PRESENCE_INTERVAL`` seconds, for
    the admin's open-streams page."""
    refused = await outside_request_thread(staff_only(request))
    if refused is not None:
        return refused

    async def snapshots() -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await outside_request_thread(sync_to_async(deployment_streams)())
            await asyncio.sleep(conf.DJANGO_SSE_PRESENCE_INTERVAL)

    response: HttpResponseBase = await stream_response(request, snapshots(), event="streams")
    return response
