"""Optional ASGI middleware: stream connects without a new thread each.

Django gives every ASGI request a thread of its own for the request's sync
code (the ``request_started`` and ``request_finished`` receivers, the
response phase of sync-style middleware), started when the request begins.
Starting a thread blocks the event loop until the thread runs, and it is
the largest single cost of opening a stream: with ``SharedSyncThread`` the requests
of django-sse's stream endpoints run that sync code in one long-lived thread
instead, and a server opens streams about 1.5x as fast (bench/RESULTS.md).
Every other request is served exactly as before. Django's handler and every
middleware still run for streams; only the thread their sync parts use
changes (one thread of this middleware's own, so they run one at a time).

    # asgi.py
    from django.core.asgi import get_asgi_application
    from django_sse.asgi import SharedSyncThread

    application = SharedSyncThread(get_asgi_application())

Without it everything works the same; each stream lets its request's thread
go once it starts (``internals.release_request_thread``).

For the same requests it stands in for Django's ``ASGIHandler.handle``
(``streamhandler.serve_stream``).

A task that a marked view starts and that outlives the response must not
call sync code through ``sync_to_async``: asgiref refuses such calls once
the request's context has ended. django-sse's hub, which the first stream
of a process starts, runs its tasks in a context of its own for this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

from django_sse.internals import (
    SHARED_EXECUTOR_SUPPORTED,
    load_sync_middleware,
)
from django_sse.streamhandler import Scope, serve_stream

ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def is_stream_view(view: Any) -> bool:
    return getattr(view, "sse_stream", False)


def stream_view(view: Any) -> Any:
    """Mark a view as a long-lived stream (see ``SharedSyncThread``). The
    stream endpoints of django-sse are marked; mark your own views that
    return ``django_sse.stream_response()`` to include them."""
    view.sse_stream = True
    return view


@lru_cache(maxsize=4096)
def _is_stream_path(path: str) -> bool:
    try:
        return is_stream_view(resolve(path).func)
    except Resolver404:
        return False


def _path_info(scope: Scope) -> str:
    script_name = settings.FORCE_SCRIPT_NAME or scope.get("root_path", "") or ""
    return scope["path"].removeprefix(script_name) or "/"


def django_handler(app: Any) -> ASGIHandler | None:
    """The Django handler that serves ``app``'s stream requests, if it is
    Django's own (or behind the static files handler, which passes every
    request outside ``STATIC_URL`` to it); None for any other application."""
    if isinstance(app, ASGIStaticFilesHandler):
        app = app.application
    if isinstance(app, ASGIHandler) and type(app).handle is ASGIHandler.handle:
        return app
    return None


def sync_chain() -> BaseHandler | None:
    """Django's handler with the middleware loaded as under WSGI, when
    every middleware can run so; None when one is async-only.

    Under ASGI, Django's chain runs each hook of a ``MiddlewareMixin``
    middleware (all of Django's own) in a thread hop of its own
    (``sync_to_async`` in ``MiddlewareMixin.__acall__``), about a dozen
    per connect with a new project's stack (bench/RESULTS.md, run 23).
    Through this chain, run in one hop to the shared thread, a stream
    request passes every hook there and the async view runs back on the
    event loop (``async_to_sync``, as Django runs it under WSGI)."""
    for dotted in settings.MIDDLEWARE:
        if not getattr(import_string(dotted), "sync_capable", True):
            return None
    chain = BaseHandler()
    load_sync_middleware(chain)
    return chain


class SharedSyncThread:
    """Runs the sync code of stream requests in one shared thread, and
    serves them with ``serve_stream`` when ``app`` is Django's handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.django = django_handler(app)
        self.chain = sync_chain() if self.django is not None else None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="django-sse-streams")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            SHARED_EXECUTOR_SUPPORTED
            and scope["type"] == "http"
            and _is_stream_path(_path_info(scope))
        ):
            async with ThreadSensitiveContext(executor=self.executor):
                if self.django is None:
                    await self.app(scope, receive, send)
                else:
                    await serve_stream(self.django, scope, receive, send, self.chain)
        else:
            await self.app(scope, receive, send)
