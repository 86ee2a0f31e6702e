"""Every private attribute of Django, asgiref, WhiteNoise and Python that
django-sse uses, in one module, each with a line of why.
``tests/core/test_internals.py`` checks each name, on every supported
Django version (``make test`` runs it on 5.2, 6.0 and 6.1), and fails by
name when a release changes one. The default path (Django's own ASGI
handler, no ``SharedSyncThread``) uses only the first group and the
settings, CSRF, database and thread names below; the rest serve the
opt-ins (``SharedSyncThread``, ``django_sse.static.WhiteNoiseMiddleware``).

asgiref, to keep a stream off its request's thread:

- ``SyncToAsync.thread_sensitive_context``: the contextvar naming the
  request's context (``outside_request_thread``, ``release_request_thread``);
- ``AsyncToSync.executors.current``: the thread of a sync caller that is
  waiting for this async code, where its sync work goes
  (``outside_request_thread``);
- ``SyncToAsync.context_to_thread_executor``: the map from that context to
  its thread (``release_request_thread``);
- ``ThreadSensitiveContext(executor=...)``: a context that runs on a thread
  the caller owns (``asgi.SharedSyncThread``; asgiref 3.8+).

Django:

- ``LazySettings._wrapped``: the settings object, which
  ``override_settings`` replaces; ``conf`` re-reads its cache when it does
  (``settings_object``).
- ``CsrfViewMiddleware._reject(request, reason)``: a CSRF failure under
  ``/sse/`` answers JSON instead of the project's HTML 403 page
  (``csrf_problem``).
- ``HttpResponseBase._resource_closers``: where the handler puts
  ``request.close`` for the response to call when it ends
  (``let_request_go``, SharedSyncThread only).
- ``HttpResponseBase._handler_class``: the sender of ``request_finished``
  when the response closes (``mark_handled``, SharedSyncThread only).
- The database wrapper's ``close_if_health_check_failed``,
  ``ensure_connection``, ``validate_thread_sharing``,
  ``validate_no_broken_transaction``, ``wrap_database_errors``,
  ``connection``, ``queries_logged`` and ``execute_wrappers``: publish()'s
  INSERT binds its parameters on the server through psycopg, with the
  checks and errors of Django's own cursor (``insert_bound``,
  ``binds_on_server``, which reads ``psycopg_any.is_psycopg3`` too).
- ``ASGIHandler.read_body``, ``create_request``, ``listen_for_disconnect``,
  ``run_get_response``, ``send_response``, the module's
  ``get_script_prefix`` and ``BaseHandler.load_middleware``: the steps of
  ``ASGIHandler.handle`` that ``streamhandler.serve_stream`` takes itself
  (SharedSyncThread only; ``HANDLER_STEPS``).

WhiteNoise (``django_sse.static.WhiteNoiseMiddleware`` only): its
middleware's ``autorefresh``, ``static_prefix``, ``directories``,
``files``, ``find_file`` and ``serve`` (``whitenoise_file``,
``whitenoise_serve``): an async path for requests that are not static files.

Python: ``threading._register_atexit``, a hook that runs before Python
stops the thread pools at exit (``run_before_thread_pools_stop``).

And at exit only (runserver's Ctrl-C, ``hubs.end_streams_at_exit``), where
Python starts no new thread: asgiref's ``ThreadSensitiveContext._executor``
and ``SyncToAsync.context_to_thread_executor``, so the requests of the
streams that end then do their last sync work (``response.close()``) on
a thread that already runs, and asgiref does not start one to join it
(``finish_requests_on``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
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


def settings_object() -> object:
    """The object behind ``django.conf.settings``: a new one whenever
    ``override_settings`` (or pytest-django's ``settings``) changes them."""
    return settings._wrapped  # type: ignore[misc]


def run_before_thread_pools_stop(hook: Callable[[], None]) -> bool:
    """Run ``hook`` at exit before Python joins the thread pools' threads
    (last registered first; the pools' own hook was registered when
    ``concurrent.futures`` was imported). False where Python has no such
    hook, or is exiting already."""
    register = getattr(threading, "_register_atexit", None)
    if register is None:
        return False
    try:
        register(hook)
    except RuntimeError:  # Python is exiting already
        return False
    return True


def binds_on_server(connection: Any) -> bool:
    """Whether ``insert_bound`` may run an INSERT on ``connection``:
    PostgreSQL through psycopg 3 (Django's ``psycopg_any.is_psycopg3``),
    and no one watching its queries (``DEBUG``'s log, ``assertNumQueries``,
    the debug toolbar's execute wrappers), who sees them through Django's
    cursor as before."""
    if connection.vendor != "postgresql":
        return False
    if connection.queries_logged or connection.execute_wrappers:
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def insert_bound(connection: Any, sql: str, params: list[Any]) -> int:
    """Run an ``INSERT ... RETURNING id`` through a psycopg cursor of
    Django's connection that binds the parameters on the server, where
    Django's own cursor quotes them in Python: about a fifth less CPU in
    the publishing process (bench/RESULTS.md, run 27). No statement is
    prepared unless the database's ``OPTIONS`` ask for it
    (``prepare_threshold``), so a connection pooler sees what it sees from
    Django. Otherwise as ``connection.cursor()``: its checks, its errors."""
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        row: Any = cursor.fetchone()
    return int(row[0])


async def whitenoise_file(middleware: Any, path: str) -> Any | None:
    """The static file WhiteNoise would serve for ``path``, or None; looked
    up on disk in a thread under ``autorefresh`` (DEBUG), else in its
    in-memory table."""
    if middleware.autorefresh:
        prefixes = [middleware.static_prefix, *(prefix for _, prefix in middleware.directories)]
        if not path.startswith(tuple(prefixes)):
            return None
        return await sync_to_async(middleware.find_file)(path)
    return middleware.files.get(path)


async def whitenoise_serve(middleware: Any, static_file: Any, request: HttpRequest) -> Any:
    """WhiteNoise's response for ``static_file``, made in a thread."""
    return await sync_to_async(middleware.serve)(static_file, request)


# The methods of Django's ASGIHandler that ``streamhandler.serve_stream`` calls.
HANDLER_STEPS = (
    "read_body",
    "create_request",
    "listen_for_disconnect",
    "run_get_response",
    "send_response",
)


def script_prefix(scope: Any) -> str:
    """The script prefix of an ASGI request, as Django's handler sets it."""
    from django.core.handlers.asgi import get_script_prefix

    return str(get_script_prefix(scope))


def load_sync_middleware(handler: Any) -> None:
    """Load ``MIDDLEWARE`` into a ``BaseHandler`` as under WSGI."""
    handler.load_middleware(is_async=False)


def mark_handled(response: HttpResponseBase, handler_class: type) -> None:
    """Name ``handler_class`` as the sender of the ``request_finished``
    signal the response sends when it closes, as Django's handler does."""
    response._handler_class = handler_class  # type: ignore[attr-defined]


def finish_requests_on(executor: Any) -> int:
    """At exit: every ASGI request still open does the rest of its sync
    work on ``executor``, whose thread already runs, as a context the
    caller owns (asgiref starts no thread to shut it down). Python refuses
    new threads then, and Django's handler needs one to close a response
    whose request let its thread go. Returns how many it took over."""
    import gc

    taken = 0
    for found in gc.get_objects():
        if type(found) is ThreadSensitiveContext and found._executor is None:
            found._executor = executor
            SyncToAsync.context_to_thread_executor[found] = executor
            taken += 1
    return taken
