"""Every private name ``django_sse.internals`` relies on. A supported Django or asgiref
release that changes one fails here, by name, before anything else breaks."""

import asyncio
import contextvars
import threading

import pytest
from asgiref.sync import SyncToAsync, ThreadSensitiveContext, async_to_sync, sync_to_async

from django_sse import internals


def test_thread_sensitive_context_is_a_contextvar():
    assert isinstance(SyncToAsync.thread_sensitive_context, contextvars.ContextVar)


def test_context_to_thread_executor_maps_contexts_to_executors():
    mapping = SyncToAsync.context_to_thread_executor
    assert hasattr(mapping, "pop") and hasattr(mapping, "__setitem__")


def test_thread_sensitive_context_takes_an_executor():
    assert internals.SHARED_EXECUTOR_SUPPORTED


async def test_release_request_thread_lets_the_request_thread_go():
    async with ThreadSensitiveContext():
        name = await sync_to_async(lambda: threading.current_thread().name)()
        assert name != threading.main_thread().name
        context = SyncToAsync.thread_sensitive_context.get()
        executor = SyncToAsync.context_to_thread_executor[context]
        internals.release_request_thread()
        assert context not in SyncToAsync.context_to_thread_executor
        assert executor._shutdown


async def test_outside_request_thread_uses_the_shared_thread():
    async with ThreadSensitiveContext():
        inside = await sync_to_async(threading.get_ident)()

        async def ident() -> int:
            return await sync_to_async(threading.get_ident)()

        outside = await internals.outside_request_thread(ident())
    assert inside != outside
    assert SyncToAsync.single_thread_executor._threads  # the shared thread ran it


def test_outside_request_thread_under_a_sync_caller_uses_its_thread(monkeypatch):
    """The view of ``asgi.sync_chain`` runs under the shared thread's
    ``async_to_sync``: its sync work goes back to that thread, which
    checked its connections at ``request_started``; no hop to check them
    again. Without a sync caller, the check runs first."""
    checks: list[int] = []
    monkeypatch.setattr(internals, "_close_old_connections", lambda: checks.append(1))

    async def view() -> int:
        async def ident() -> int:
            return await sync_to_async(threading.get_ident)()

        return await internals.outside_request_thread(ident())

    assert async_to_sync(view)() == threading.get_ident()
    assert checks == []

    async def no_caller() -> int:
        return await internals.outside_request_thread(asyncio.sleep(0, 7))

    assert asyncio.run(no_caller()) == 7
    assert checks == [1]


def test_csrf_middleware_rejects_through_reject():
    from django.middleware.csrf import CsrfViewMiddleware

    assert callable(CsrfViewMiddleware._reject)


async def test_djangos_handler_has_the_response_close_the_request():
    # let_request_go takes request.close out of the response's closers.
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.handlers.asgi import ASGIHandler
    from django.test import RequestFactory

    upload = SimpleUploadedFile("note.txt", b"hello")
    request = RequestFactory().post("/no-such-page/", {"file": upload})
    handler = ASGIHandler()
    response = await handler.get_response_async(request)
    assert request.close in response._resource_closers

    opened = request.FILES["file"]
    internals.let_request_go(request, response)
    assert request.close not in response._resource_closers
    assert opened.closed  # the request was closed, its upload with it
    response.close()


# Each private name of Django, WhiteNoise and Python that internals.py uses:
# present, and callable with the arguments internals.py passes.
def _parameters(function) -> list[str]:
    import inspect

    return list(inspect.signature(inspect.unwrap(function)).parameters)


def test_settings_have_the_wrapped_object_that_override_settings_replaces(settings):
    from django.conf import settings as lazy

    before = internals.settings_object()
    assert before is lazy._wrapped and before is not None
    settings.DJANGO_SSE_HEARTBEAT = 3.0  # pytest-django's override_settings
    assert internals.settings_object() is not before


def test_csrf_middleware_reject_takes_request_and_reason():
    from django.middleware.csrf import CsrfViewMiddleware

    assert _parameters(CsrfViewMiddleware._reject) == ["self", "request", "reason"]


def test_a_response_closes_with_its_handler_class_as_the_signals_sender():
    import inspect

    from django.http.response import HttpResponseBase

    assert "self._handler_class" in inspect.getsource(HttpResponseBase.close)


@pytest.mark.parametrize(
    "name",
    [
        "close_if_health_check_failed",
        "ensure_connection",
        "validate_thread_sharing",
        "validate_no_broken_transaction",
    ],
)
def test_the_database_wrapper_has_the_checks_its_cursor_runs(name):
    # Called for real by the next test (pytest-django wraps ensure_connection,
    # so its signature is not compared).
    from django.db.backends.base.base import BaseDatabaseWrapper

    assert callable(getattr(BaseDatabaseWrapper, name))


@pytest.mark.django_db
def test_the_database_wrapper_exposes_what_insert_bound_uses():
    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    connection.ensure_connection()
    assert is_psycopg3 and connection.connection is not None
    assert hasattr(connection.wrap_database_errors, "__enter__")
    assert isinstance(connection.queries_logged, bool)
    assert isinstance(connection.execute_wrappers, list)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE guard (id serial, x text)")
    sql = "INSERT INTO guard (x) VALUES (%s) RETURNING id"
    assert internals.insert_bound(connection, sql, ["a"]) == 1


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("read_body", ["self", "receive"]),
        ("create_request", ["self", "scope", "body_file"]),
        ("listen_for_disconnect", ["self", "receive"]),
        ("run_get_response", ["self", "request"]),
        ("send_response", ["self", "response", "send"]),
    ],
)
def test_djangos_asgi_handler_has_the_steps_serve_stream_takes(name, parameters):
    from django.core.handlers.asgi import ASGIHandler

    assert name in internals.HANDLER_STEPS
    assert _parameters(getattr(ASGIHandler, name)) == parameters


def test_djangos_asgi_module_gives_the_script_prefix_and_base_handler_loads_sync():
    from django.core.handlers.base import BaseHandler

    assert internals.script_prefix({"root_path": "/app", "path": "/app/x"}) == "/app"
    handler = BaseHandler()
    internals.load_sync_middleware(handler)
    assert handler._middleware_chain is not None


@pytest.mark.parametrize("name", ["autorefresh", "static_prefix", "directories", "files"])
def test_whitenoise_middleware_has_what_the_async_path_reads(name, settings):
    from whitenoise.middleware import WhiteNoiseMiddleware

    middleware = WhiteNoiseMiddleware(lambda request: None)
    assert hasattr(middleware, name)
    assert _parameters(middleware.find_file) == ["url"]
    assert _parameters(middleware.serve) == ["static_file", "request"]


def test_python_runs_a_hook_before_the_thread_pools_stop():
    import threading

    assert callable(threading._register_atexit)


async def test_at_exit_open_requests_finish_on_a_running_thread():
    """runserver's Ctrl-C: Python starts no thread then, so the streams'
    requests end their sync work on one started before, which asgiref
    does not shut down (``ThreadSensitiveContext._executor``)."""
    from concurrent.futures import ThreadPoolExecutor

    exit_thread = ThreadPoolExecutor(1, thread_name_prefix="exit-test")
    exit_thread.submit(int).result()
    try:
        async with ThreadSensitiveContext():
            await sync_to_async(int)()  # the request's own thread ...
            internals.release_request_thread()  # ... let go, as a stream does
            assert internals.finish_requests_on(exit_thread) >= 1
            name = await sync_to_async(lambda: threading.current_thread().name)()
        assert name.startswith("exit-test")
        assert not exit_thread._shutdown  # the context's exit left it running
    finally:
        exit_thread.shutdown()
