"""Async stream endpoints and their JSON errors."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from django_sse.conf import conf
from django_sse.hub import get_hub, running_hub
from django_sse.streams import Cursor, event_stream
from django_sse.topics import InvalidTopic, can_subscribe, is_private, parse_topics

HUB_READY_TIMEOUT = 10.0

NEEDS_ASGI = (
    "Server-Sent Events streams need an ASGI server (daphne, uvicorn, granian). "
    "This request was served over WSGI, which would hold the whole stream in memory "
    "and never send it. Add 'daphne' to INSTALLED_APPS for runserver, or run "
    "'uvicorn yourproject.asgi:application'."
)


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message, "status": status}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def sse_response(request: HttpRequest, stream: Any) -> HttpResponse:
    """Wrap an async iterator of bytes in a correctly configured SSE response."""
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    # GZipMiddleware would compress the stream into zlib's buffer, so events
    # would sit on the server. It only compresses for clients that accept
    # gzip: this response is never compressed.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    return response


async def subscribe_response(request: HttpRequest, topics: list[str]) -> HttpResponse:
    """Authorize ``topics`` for the request's user and return the stream.

    The building block of every stream endpoint (notifications, progress...).
    """
    if not isinstance(request, ASGIRequest):
        return json_error(501, NEEDS_ASGI)
    user = await request.auser()  # type: ignore[attr-defined]
    for topic in topics:
        if not await can_subscribe(user, topic):
            if not user.is_authenticated and is_private(topic):
                return json_error(401, f"Sign in to subscribe to {topic!r}.")
            return json_error(403, f"You may not subscribe to {topic!r}.")
    raw_cursor = request.headers.get("Last-Event-ID")
    if raw_cursor is None:
        # htmx's SSE extension and hand-made URLs pass the cursor this way.
        raw_cursor = request.GET.get("last_event_id")
    try:
        hub = await asyncio.wait_for(get_hub(), HUB_READY_TIMEOUT)
    except TimeoutError:
        return json_error(503, "The event log is unavailable; try again.", Retry_After="5")
    return sse_response(request, event_stream(hub, topics, Cursor.parse(raw_cursor)))


@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    """``GET /sse/stream/?topics=a,b``: the events of those topics."""
    try:
        topics = parse_topics(request.GET.getlist("topics"), conf.DJANGO_SSE_MAX_TOPICS)
    except InvalidTopic as exc:
        return json_error(400, str(exc))
    return await subscribe_response(request, topics)


@never_cache
@require_GET
async def stats(request: HttpRequest) -> HttpResponse:
    """Staff only: this process's open streams per topic and hub counters."""
    user = await request.auser()  # type: ignore[attr-defined]
    if not user.is_authenticated:
        return json_error(401, "Sign in as staff.")
    if not user.is_staff:
        return json_error(403, "Staff only.")
    hub = running_hub()
    if hub is None:
        return JsonResponse({"streams": 0, "topics": {}, "running": False})
    return JsonResponse(
        {
            "running": True,
            "streams": hub.subscriber_count,
            "topics": hub.topic_counts(),
            "frontier": hub.frontier,
            "broker": hub.broker.name,
            "broker_connected": hub.broker.connected,
            "events_read": hub.stats.events,
            "gaps": hub.stats.gaps,
            "overflows": hub.stats.overflows,
            "errors": hub.stats.errors,
        }
    )
