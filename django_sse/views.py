"""Async stream endpoints and their JSON errors."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import AsyncGenerator, Awaitable, Coroutine
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from django_sse import eventlog
from django_sse.asgi import stream_view
from django_sse.conf import conf
from django_sse.cors import add_cors_headers, preflight
from django_sse.hubs import get_hub, running_hub
from django_sse.streams import Cursor, event_stream
from django_sse.tokens import InvalidToken, make_token, read_token
from django_sse.topics import InvalidTopic, can_subscribe, is_private, parse_topics

HUB_READY_TIMEOUT = 10.0
T = TypeVar("T")

NEEDS_ASGI = (
    "Server-Sent Events streams need an ASGI server (daphne, uvicorn, granian). "
    "This request was served over WSGI, which would hold the whole stream in memory "
    "and never send it. Add 'daphne' to INSTALLED_APPS for runserver, or run "
    "'uvicorn yourproject.asgi:application'."
)


async def outside_request_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` so that its sync database work (session, user, rules)
    uses asgiref's one shared thread, not a thread of this request.

    Django gives each ASGI request its own thread for sync code, created on
    first use and kept until the response ends: for a stream that is hours,
    with an idle thread and an open database connection each, which runs a
    server out of connections at a few hundred authenticated streams. The
    stream itself needs no sync code, so only this connect step runs there.
    """
    context = contextvars.copy_context()
    context.run(SyncToAsync.thread_sensitive_context.set, None)  # type: ignore[arg-type]
    return await asyncio.get_running_loop().create_task(coro, context=context)


def release_request_thread() -> None:
    """Let this request's sync thread go now, not when the stream ends.

    Django's ASGI handler runs sync code of a request (``request_started``
    receivers, the response phase of sync-style middleware) in a thread of
    the request's own, and that thread idles until the response is
    finished: for a stream, hours, and about 22 KB of server memory each
    (bench/RESULTS.md, run 4). Called when the stream starts to be sent (after
    every middleware), so the thread closes its database connections and
    exits. Sync code that runs later in the request (``response.close()``)
    gets a fresh thread from asgiref for that moment.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is None or getattr(context, "_executor", None) is not None:
        return  # no per-request thread, or one its creator owns
    executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    if executor is not None:
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message, "status": status}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class _WithoutRequestThread:
    """The stream, once it starts, without its request's thread.

    A pass-through rather than one more generator around the stream: each
    generator layer adds an object per stream and event that lives until
    the next event (bench/RESULTS.md, the garbage collector)."""

    __slots__ = ("_stream", "_started")

    def __init__(self, stream: AsyncGenerator[bytes, None]) -> None:
        self._stream = stream
        self._started = False

    def __aiter__(self) -> _WithoutRequestThread:
        return self

    def __anext__(self) -> Awaitable[bytes]:
        if not self._started:
            self._started = True
            release_request_thread()
        return self._stream.__anext__()

    def aclose(self) -> Awaitable[None]:
        return self._stream.aclose()


def sse_response(request: HttpRequest, stream: AsyncGenerator[bytes, None]) -> HttpResponse:
    """Wrap an async iterator of bytes in a correctly configured SSE response."""
    response = StreamingHttpResponse(
        _WithoutRequestThread(stream), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    # GZipMiddleware would compress the stream into zlib's buffer, so events
    # would sit on the server. It only compresses for clients that accept
    # gzip: this response is never compressed.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    return response


async def _token_user(request: HttpRequest, topics: list[str]) -> Any:
    """The user a ``?token=`` stands for, or a JSON error response."""
    from django.contrib.auth import get_user_model

    try:
        user_pk, allowed = read_token(request.GET["token"], conf.DJANGO_SSE_TOKEN_MAX_AGE)
    except InvalidToken as exc:
        return json_error(401, str(exc))
    if not set(topics) <= set(allowed):
        return json_error(403, "The stream token does not cover these topics.")
    user = await get_user_model()._default_manager.filter(pk=user_pk, is_active=True).afirst()
    if user is None:
        return json_error(401, "The stream token is not valid.")
    return user


async def request_user(request: HttpRequest) -> Any:
    """The session's user (AnonymousUser without AuthenticationMiddleware)."""
    if hasattr(request, "auser"):
        return await request.auser()
    return AnonymousUser()


async def _authorize(request: HttpRequest, topics: list[str]) -> Any:
    """The user, if they may subscribe to every topic; else a JSON error."""
    if "token" in request.GET:
        user = await _token_user(request, topics)
        if isinstance(user, HttpResponse):
            return user
    else:
        user = await request_user(request)
    for topic in topics:
        if not await can_subscribe(user, topic):
            if not user.is_authenticated and is_private(topic):
                return json_error(401, f"Sign in to subscribe to {topic!r}.")
            return json_error(403, f"You may not subscribe to {topic!r}.")
    return user


async def subscribe_response(request: HttpRequest, topics: list[str]) -> HttpResponse:
    """Authorize ``topics`` for the request's user and return the stream.

    The building block of every stream endpoint (notifications, progress...).
    The user comes from the session, or from a signed ``?token=``.
    """
    if not isinstance(request, ASGIRequest):
        return json_error(501, NEEDS_ASGI)
    user = await outside_request_thread(_authorize(request, topics))
    if isinstance(user, HttpResponse):
        return user
    hub = running_hub()
    if hub is None or not hub.ready.done():
        try:
            hub = await asyncio.wait_for(get_hub(), HUB_READY_TIMEOUT)
        except TimeoutError:
            return json_error(503, "The event log is unavailable; try again.", Retry_After="5")
    if hub.subscriber_count >= conf.DJANGO_SSE_MAX_STREAMS:
        return json_error(503, "This server holds all the streams it can.", Retry_After="10")
    user_key = user.pk if user.is_authenticated else None
    if user_key is not None and hub.streams_of(user_key) >= conf.DJANGO_SSE_MAX_STREAMS_PER_USER:
        return json_error(429, "Too many open streams for this user.", Retry_After="10")
    raw_cursor = request.headers.get("Last-Event-ID")
    if raw_cursor is None:
        # htmx's SSE extension and hand-made URLs pass the cursor this way.
        raw_cursor = request.GET.get("last_event_id")
    stream = event_stream(hub, topics, Cursor.parse(raw_cursor), user_key)
    return sse_response(request, stream)


@stream_view
@require_http_methods(["GET", "OPTIONS"])
async def stream(request: HttpRequest) -> HttpResponse:
    """``GET /sse/stream/?topics=a,b``: the events of those topics."""
    if request.method == "OPTIONS":
        return preflight(request)
    try:
        topics = parse_topics(request.GET.getlist("topics"), conf.DJANGO_SSE_MAX_TOPICS)
    except InvalidTopic as exc:
        return add_cors_headers(request, json_error(400, str(exc)))
    return add_cors_headers(request, await subscribe_response(request, topics))


@never_cache
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """``POST /sse/token/`` (signed in, CSRF): a short-lived token for
    ``topics`` (JSON body ``{"topics": [...]}`` or form field), for clients
    that cannot send the session cookie."""
    if not request.user.is_authenticated:
        return json_error(401, "Sign in first.")
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > 10_000
    except ValueError:
        too_large = True
    if too_large:
        return json_error(400, "Request body too large.")
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return json_error(400, "The body is not valid JSON.")
        names = body.get("topics") if isinstance(body, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return json_error(400, 'Send {"topics": ["name", ...]}.')
    else:
        names = request.POST.getlist("topics")
    try:
        topics = parse_topics(names, conf.DJANGO_SSE_MAX_TOPICS)
    except InvalidTopic as exc:
        return json_error(400, str(exc))
    for topic in topics:
        if not async_to_sync(can_subscribe)(request.user, topic):
            return json_error(403, f"You may not subscribe to {topic!r}.")
    max_age = conf.DJANGO_SSE_TOKEN_MAX_AGE
    return JsonResponse({"token": make_token(request.user, topics), "expires_in": max_age})


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
            "notify_queue_usage": await hub.query(eventlog.notification_queue_usage),
            "streams": hub.subscriber_count,
            "topics": hub.topic_counts(),
            "frontier": hub.frontier,
            "broker": hub.broker.name,
            "broker_connected": hub.broker.connected,
            "events_read": hub.stats.events,
            "log_reads": hub.stats.reads,
            "gaps": hub.stats.gaps,
            "overflows": hub.stats.overflows,
            "errors": hub.stats.errors,
        }
    )
