"""The asgiref internals ``django_sse.compat`` relies on. A supported asgiref
release that changes one fails here, by name, before anything else breaks."""

import asyncio
import contextvars
import threading

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, async_to_sync, sync_to_async

from django_sse import compat


def test_thread_sensitive_context_is_a_contextvar():
    assert isinstance(SyncToAsync.thread_sensitive_context, contextvars.ContextVar)


def test_context_to_thread_executor_maps_contexts_to_executors():
    mapping = SyncToAsync.context_to_thread_executor
    assert hasattr(mapping, "pop") and hasattr(mapping, "__setitem__")


def test_thread_sensitive_context_takes_an_executor():
    assert compat.SHARED_EXECUTOR_SUPPORTED


async def test_release_request_thread_lets_the_request_thread_go():
    async with ThreadSensitiveContext():
        name = await sync_to_async(lambda: threading.current_thread().name)()
        assert name != threading.main_thread().name
        context = SyncToAsync.thread_sensitive_context.get()
        executor = SyncToAsync.context_to_thread_executor[context]
        compat.release_request_thread()
        assert context not in SyncToAsync.context_to_thread_executor
        assert executor._shutdown


async def test_outside_request_thread_uses_the_shared_thread():
    async with ThreadSensitiveContext():
        inside = await sync_to_async(threading.get_ident)()

        async def ident() -> int:
            return await sync_to_async(threading.get_ident)()

        outside = await compat.outside_request_thread(ident())
    assert inside != outside
    assert SyncToAsync.single_thread_executor._threads  # the shared thread ran it


def test_outside_request_thread_under_a_sync_caller_uses_its_thread(monkeypatch):
    """The view of ``asgi.sync_chain`` runs under the shared thread's
    ``async_to_sync``: its sync work goes back to that thread, which
    checked its connections at ``request_started``; no hop to check them
    again. Without a sync caller, the check runs first."""
    checks: list[int] = []
    monkeypatch.setattr(compat, "_close_old_connections", lambda: checks.append(1))

    async def view() -> int:
        async def ident() -> int:
            return await sync_to_async(threading.get_ident)()

        return await compat.outside_request_thread(ident())

    assert async_to_sync(view)() == threading.get_ident()
    assert checks == []

    async def no_caller() -> int:
        return await compat.outside_request_thread(asyncio.sleep(0, 7))

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
    compat.let_request_go(request, response)
    assert request.close not in response._resource_closers
    assert opened.closed  # the request was closed, its upload with it
    response.close()
