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
go once it starts (``compat.release_request_thread``).

A task that a marked view starts and that outlives the response must not
call sync code through ``sync_to_async``: asgiref refuses such calls once
the request's context has ended. django-sse's hub, which the first stream
of a process starts, runs its tasks in a context of its own for this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.urls import Resolver404, resolve

from django_sse.compat import SHARED_EXECUTOR_SUPPORTED

Scope = MutableMapping[str, Any]
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


class SharedSyncThread:
    """Runs the sync code of stream requests in one shared thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="django-sse-streams")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            SHARED_EXECUTOR_SUPPORTED
            and scope["type"] == "http"
            and _is_stream_path(_path_info(scope))
        ):
            async with ThreadSensitiveContext(executor=self.executor):
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)
