"""Progress endpoints. Another user's job (or no job) is always a 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from django_sse.asgi import stream_view
from django_sse.contrib.progress import control
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic
from django_sse.http import csrf_protect_json, json_error, require_methods
from django_sse.internals import outside_request_thread
from django_sse.views import request_user, subscribe_response

NOT_FOUND = "No such job."


async def _visible(request: HttpRequest, pk: Any) -> TaskProgress | None:
    async def lookup() -> TaskProgress | None:
        user = await request_user(request)
        record = await TaskProgress.objects.filter(pk=pk).afirst()
        return record if record is not None and await record.avisible_to(user) else None

    return await outside_request_thread(lookup())


@stream_view
@never_cache
@require_methods("GET")
async def stream(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """The job's current state at once (its topic keeps the latest value),
    then updates, then the final event; then the stream ends. A finished
    job answers 204, which stops EventSource from reconnecting."""
    record = await _visible(request, pk)
    if record is None:
        return json_error(404, NOT_FOUND)
    if record.is_finished:
        return HttpResponse(status=204)
    return await subscribe_response(request, [record.topic], end_after=TaskProgress.FINAL_EVENTS)


@never_cache
@require_methods("GET")
async def state(request: HttpRequest, pk: Any) -> HttpResponseBase:
    record = await _visible(request, pk)
    if record is None:
        return json_error(404, NOT_FOUND)
    return JsonResponse(record.as_event())


@never_cache
@require_methods("POST")
@csrf_protect_json
def cancel(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """Ask the job to stop: it sees ``progress.cancelled`` and ends."""
    with atomic():
        record = TaskProgress.objects.select_for_update().filter(pk=pk).first()
        if record is None or not record.visible_to(request.user):
            return json_error(404, NOT_FOUND)
        if not record.cancellable_by(request.user):
            return json_error(403, "You may see this job but not cancel it.")
        if record.is_finished:
            return json_error(409, f"The job has already ended: {record.get_status_display()}.")
        control.cancel(record)
    return JsonResponse(record.as_event())
