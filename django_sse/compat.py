"""asgiref internals django-sse relies on, in one place.

Django runs an ASGI request's sync code in a thread of the request's own
(asgiref's thread-sensitive context). Streams live for hours, so django-sse
steps around that thread in four ways, each needing a private detail of
asgiref; ``tests/core/test_compat.py`` fails loudly when a supported
asgiref release changes one:

- ``SyncToAsync.thread_sensitive_context``: the contextvar naming the
  request's context (``outside_request_thread``, ``release_request_thread``);
- ``AsyncToSync.executors.current``: the thread of a sync caller that is
  waiting for this async code, where its sync work goes
  (``outside_request_thread``);
- ``SyncToAsync.context_to_thread_executor``: the map from that context to
  its thread (``release_request_thread``);
- ``ThreadSensitiveContext(executor=...)``: a context that runs on a thread
  the caller owns (``asgi.SharedSyncThread``; asgiref 3.8+).

And two of Django's: ``CsrfViewMiddleware._reject(request, reason)``, so a
CSRF failure under ``/sse/`` can answer JSON instead of the project's HTML
403 page (``csrf_problem``); and ``HttpResponseBase._resource_closers``,
where the handler puts ``request.close`` for the response to call when it
ends (``let_request_go``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Coroutine
from typing import Any, TypeVar

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware

T = TypeVar("T")

# Without it, SharedSyncThread passes requests through unchanged.
SHARED_EXECUTOR_SUPPORTED = "executor" in inspect.signature(ThreadSensitiveContext).parameters


async def outside_request_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` so that its sync database work (session, user, rules)
    uses asgiref's one shared thread, not a thread of this request.

    A request's own thread would be kept until the stream ends: hours, with
    an idle thread and an open database connection each, which runs a
    server out of connections at a few hundred signed-in streams.

    Django's request cycle never runs on that thread, so this does its part:
    the thread's connections are checked as at the start of a request
    (``close_old_connections``: broken, too old or failing its health
    check, it is closed and the next query reconnects). A database error
    still raises; the endpoint answers 503 (``http.require_methods``).

    Under a sync caller (the view run by ``asgi.sync_chain``, in
    ``SharedSyncThread``'s one thread), the sync work goes to that caller's
    thread, which is shared already and began this request with
    ``request_started`` (whose receiver checks the connections) a moment
    before: ``coro`` runs as it is, without a hop to check them again.
    """
    if getattr(AsyncToSync.executors, "current", None) is not None:
        return await coro
    context = contextvars.copy_context()
    context.run(SyncToAsync.thread_sensitive_context.set, None)  # type: ignore[arg-type]

    async def with_healthy_connections() -> T:
        await sync_to_async(_close_old_connections)()
        return await coro

    return await asyncio.get_running_loop().create_task(with_healthy_connections(), context=context)


def _close_old_connections() -> None:
    """Django's ``close_old_connections``, except for a connection inside a
    transaction (never the case between connects; the case in a test that
    runs in one, as Django's test client knows)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def release_request_thread() -> None:
    """Let this request's sync thread go now, not when the stream ends.

    Called when the stream starts to be sent (after every middleware): the
    thread closes its database connections and exits. Sync code that runs
    later in the request (``response.close()``) gets a fresh thread from
    asgiref for that moment. About 22 KB of server memory per stream
    (bench/RESULTS.md, run 4).
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is None or getattr(context, "_executor", None) is not None:
        return  # no per-request thread, or one its creator owns
    executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    if executor is not None:
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)


def let_request_go(request: HttpRequest, response: HttpResponseBase) -> None:
    """Close a stream's request when its stream starts, not when it ends.

    Django's handler has the response close the request when the response
    closes (``request.close`` among its resource closers), so every open
    stream would keep its request alive for hours: META, the session, the
    user and what the middleware put on it, about 4 KB (bench/RESULTS.md,
    run 26). A stream needs none of it once every middleware has run.
    """
    closers = response._resource_closers  # type: ignore[attr-defined]
    closers[:] = [c for c in closers if getattr(c, "__self__", None) is not request]
    request.close()


class _CsrfReason(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason  # why, instead of the failure view's HTML page


def _no_response(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("only the CSRF check runs")


def csrf_problem(request: HttpRequest) -> str | None:
    """Why Django's CSRF protection refuses ``request``, or None if it passes."""
    check = _CsrfReason(_no_response)
    check.process_request(request)
    problem: Any = check.process_view(request, _no_response, (), {})
    return problem if isinstance(problem, str) else None
