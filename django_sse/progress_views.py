"""Progress endpoints. Another user's job (or no job) is always a 404."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from django_sse.asgi import stream_view
from django_sse.conf import conf
from django_sse.eventlog import publish
from django_sse.hub import Hub
from django_sse.hubs import get_hub
from django_sse.models import TaskProgress
from django_sse.protocol import encode_retry, format_event
from django_sse.streams import live_frames
from django_sse.views import (
    NEEDS_ASGI,
    json_error,
    outside_request_thread,
    request_user,
    sse_response,
)

FINAL_EVENTS = (b"\nevent: complete\n", b"\nevent: failed\n", b"\nevent: cancelled\n")
NOT_FOUND = "No such job."


def _is_final(frame: bytes) -> bool:
    return any(marker in frame for marker in FINAL_EVENTS)


def _state_frame(record: TaskProgress) -> bytes:
    return format_event(json.dumps(record.as_event()), event=record.event_name())


async def _progress_stream(hub: Hub, record: TaskProgress) -> AsyncIterator[bytes]:
    sub = hub.subscribe([record.topic])
    try:
        yield encode_retry(conf.DJANGO_SSE_RETRY_MS)
        # Read after subscribing, so no update falls in between.
        record = await outside_request_thread(TaskProgress.objects.aget(pk=record.pk))
        yield _state_frame(record)
        if record.is_finished:
            return
        # After the final event the stream ends; the browser reconnects,
        # gets 204 and stops.
        async for chunk in live_frames(sub, last=_is_final):
            yield chunk
    finally:
        hub.unsubscribe(sub)


async def _visible(request: HttpRequest, pk: Any) -> TaskProgress | None:
    async def lookup() -> TaskProgress | None:
        user = await request_user(request)
        record = await TaskProgress.objects.filter(pk=pk).afirst()
        return record if record is not None and record.visible_to(user) else None

    return await outside_request_thread(lookup())


@stream_view
@never_cache
@require_GET
async def stream(request: HttpRequest, pk: Any) -> HttpResponse:
    """Current state at once, then updates, then the final event; then the
    stream ends. A finished job answers 204, which stops EventSource from
    reconnecting."""
    record = await _visible(request, pk)
    if record is None:
        return json_error(404, NOT_FOUND)
    if record.is_finished:
        return HttpResponse(status=204)
    if not isinstance(request, ASGIRequest):
        return json_error(501, NEEDS_ASGI)
    return sse_response(request, _progress_stream(await get_hub(), record))


@never_cache
@require_GET
async def state(request: HttpRequest, pk: Any) -> HttpResponse:
    record = await _visible(request, pk)
    if record is None:
        return json_error(404, NOT_FOUND)
    return JsonResponse(record.as_event())


@never_cache
@require_POST
def cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    """Ask the job to stop: it sees ``progress.cancelled`` and ends."""
    with transaction.atomic():
        record = TaskProgress.objects.select_for_update().filter(pk=pk).first()
        if record is None or not record.visible_to(request.user):
            return json_error(404, NOT_FOUND)
        if record.is_finished:
            return json_error(409, f"The job has already {record.status}.")
        record.cancel_requested = True
        record.save(update_fields=["cancel_requested"])
        publish(record.topic, record.as_event(), event=record.event_name())
    return JsonResponse(record.as_event())
