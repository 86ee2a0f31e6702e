"""The SSE response, JSON errors, and the guards every endpoint shares.

Every error under ``/sse/`` is JSON: ``{"error": "...", "status": N}``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from django_sse.internals import csrf_problem, release_request_thread
from django_sse.logs import describe, log_event

# Set by ``streamhandler.serve_stream`` in the task that sends a stream: the ASGI
# ``send`` the live frames are written to from inside the stream, instead
# of being yielded to a loop that sends them (no step out of the generator
# and back per event).
ASGI_SEND: ContextVar[Callable[[dict[str, Any]], Awaitable[None]] | None] = ContextVar(
    "django_sse_asgi_send", default=None
)

NEEDS_ASGI = (
    "Server-Sent Events streams need an ASGI server (daphne, uvicorn, granian). "
    "This request was served over WSGI, which would hold the whole stream in memory "
    "and never send it. Add 'daphne' to INSTALLED_APPS for runserver, or run "
    "'uvicorn yourproject.asgi:application'."
)
View = Callable[..., Any]


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body (``{}`` when empty). ``ValueError`` says what
    is wrong, for a 400: not JSON, nested deeper than Python's parser
    goes, or a NUL in a string (no database stores it: it would surface
    as a database error, which is an outage's signal, not a typo's)."""
    try:
        body = json.loads(request.body or b"{}")
    except RecursionError:
        raise ValueError("The body's JSON is nested too deeply.") from None
    except ValueError:
        raise ValueError("The body is not valid JSON.") from None
    pending = [body]
    while pending:  # a walk, not a recursion: the body may be deep
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("The body's JSON strings must not contain NUL (\\u0000).")
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return body


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    """``{"error": message, "status": status}``; ``Retry_After="5"`` sets a header."""
    response = JsonResponse({"error": message, "status": status}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def require_asgi(view: View) -> View:
    """A stream view: answer 501 with an explanation when served over WSGI."""

    @wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not isinstance(request, ASGIRequest):
            return json_error(501, NEEDS_ASGI)
        response: HttpResponseBase = await view(request, *args, **kwargs)
        return response

    return wrapper


DATABASE_UNAVAILABLE = "The database is unavailable right now; try again shortly."


def _database_unavailable(exc: DatabaseError) -> JsonResponse:
    log_event(
        "sse.request.database_unavailable",
        "answered 503: the database is unavailable",
        reason=describe(exc),
    )
    return json_error(503, DATABASE_UNAVAILABLE, Retry_After="5")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def require_methods(*methods: str) -> Callable[[View], View]:
    """The guard of every endpoint under ``/sse/``: like Django's
    ``require_http_methods``, with a JSON 405 that says which methods are
    allowed; and a database error (a restart, a failover, a connection the
    server closed) answers a JSON 503 with ``Retry-After``, not a 500.
    Works for sync and async views.

    A view that allows only safe methods is exempt from the CSRF
    middleware: a POST to it gets this JSON 405, not Django's HTML 403
    page, and the view never runs for it."""
    read_only = set(methods) <= SAFE_METHODS

    def decorator(view: View) -> View:
        wrapped = _guarded(view, methods)
        if read_only:
            wrapped.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _refusal(request: HttpRequest, methods: tuple[str, ...]) -> HttpResponseBase | None:
    """A JSON 405 naming ``methods`` unless the request uses one of them."""
    if request.method in methods:
        return None
    response = json_error(405, f"Use {' or '.join(methods)} here.")
    response["Allow"] = ", ".join(methods)
    return response


def _guarded(view: View, methods: tuple[str, ...]) -> View:
    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kw: Any) -> Any:
            try:
                return _refusal(request, methods) or await view(request, *args, **kw)
            except DatabaseError as exc:
                return _database_unavailable(exc)

        return async_wrapper

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kw: Any) -> Any:
        try:
            return _refusal(request, methods) or view(request, *args, **kw)
        except DatabaseError as exc:
            return _database_unavailable(exc)

    return wrapper


def csrf_protect_json(view: View) -> View:
    """Django's CSRF protection, answering a JSON 403 (with the reason)
    instead of the project's HTML failure page. For sync views."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        problem = csrf_problem(request)
        if problem is not None:
            return json_error(403, f"CSRF check failed: {problem}")
        return view(request, *args, **kwargs)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # checked here, as JSON
    return wrapper


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


class EventStreamResponse(StreamingHttpResponse):
    """A ``StreamingHttpResponse`` that is counted in ``open_streams`` from
    its creation until the server closes it (the last sync call of its
    request), so a process that exits can let its streams finish first
    (``hubs.end_streams_at_exit``)."""

    def __init__(self, stream: _WithoutRequestThread, **kwargs: Any) -> None:
        super().__init__(stream, **kwargs)
        self._stream = stream

    # Django wraps an async iterator in a generator that calls make_bytes()
    # on each chunk: one more generator step per stream and event, for
    # chunks that are bytes already. Unless a middleware has replaced the
    # content (then Django's wrapper applies as usual), hand out the stream.
    @property
    def streaming_content(self) -> Any:
        if self._content_is_the_stream():
            return self._stream
        return super().streaming_content

    @streaming_content.setter
    def streaming_content(self, value: Any) -> None:
        self._set_streaming_content(value)  # type: ignore[attr-defined]

    # The ASGI handler iterates ``aiter(response)``, a generator of Django's
    # around ``streaming_content``: one more step per stream and event.
    # With the content still the stream's own, hand out the stream itself.
    def __aiter__(self) -> Any:
        if self._content_is_the_stream():
            return self._stream
        return super().__aiter__()

    def own_stream(self) -> AsyncGenerator[bytes, None] | None:
        """The stream's generator itself, for a handler that sends it with no
        request thread to let go (``streamhandler.serve_stream``); None once a
        middleware has replaced the content."""
        if self._content_is_the_stream():
            stream: AsyncGenerator[bytes, None] = self._stream._stream
            return stream
        return None

    def _content_is_the_stream(self) -> bool:
        """False once a middleware has replaced ``streaming_content``."""
        return getattr(self, "_iterator", None) is self._stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            open_streams.discard(self)


# Weak: a response the server drops without closing it is not waited for.
open_streams: weakref.WeakSet[EventStreamResponse] = weakref.WeakSet()


def sse_response(
    request: HttpRequest, stream: AsyncGenerator[bytes, None]
) -> StreamingHttpResponse:
    """Wrap an async iterator of bytes in a correctly configured SSE response."""
    response = EventStreamResponse(
        _WithoutRequestThread(stream), content_type="text/event-stream; charset=utf-8"
    )
    open_streams.add(response)
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    # GZipMiddleware would compress the stream into zlib's buffer, so events
    # would sit on the server. It only compresses for clients that accept
    # gzip: this response is never compressed. ``request.headers`` is cached
    # from META on first use; drop the cache too, for compressors that read it.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    request.__dict__.pop("headers", None)
    return response
