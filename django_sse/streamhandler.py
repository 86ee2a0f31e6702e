"""Serving a stream request in place of Django's ``ASGIHandler.handle``
(``SharedSyncThread`` only): the same signals, middleware, view and
response, with less kept per open stream for the hours it lasts. Django's
handler defines an exception class per request (1.6 KB), keeps the request
until the response ends (``internals.let_request_go``) and steps every
event through three generators of its own before ``send``;
``serve_stream`` sends the stream's frames straight to ``send``, from a
task of their own. Any response other than the stream itself (an error, a
redirect, content a middleware replaced) is sent by Django's
``send_response``. When every middleware can run sync, the request passes
them as under WSGI, in one hop to the shared thread (``asgi.sync_chain``),
not one hop per hook.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator, MutableMapping
from concurrent.futures import Future
from typing import IO, Any, cast

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix

from django_sse.http import ASGI_SEND, EventStreamResponse
from django_sse.internals import (
    let_request_go,
    mark_handled,
    script_prefix,
)

Scope = MutableMapping[str, Any]
# The sync chain's request, response, and whether request_started was sent.
Made = tuple[HttpRequest | None, HttpResponseBase | None, bool]


class _Sent(Exception):
    """The response is sent: ends the task group (and its listener)."""


async def serve_stream(
    handler: ASGIHandler, scope: Scope, receive: Any, send: Any, chain: BaseHandler | None = None
) -> None:
    """``handler.handle(scope, receive, send)`` for a stream request.

    As Django's: the body is read, ``request_started`` sent, the request
    made and passed through the middleware to the view while a task
    listens for the client's disconnect (which ends the request), and the
    response closed at the end (``request_finished``). Unlike it, once the
    response is the stream itself the request is let go and the frames go
    straight to ``send``. With ``chain`` (``sync_chain()``), the signal's
    receivers, the request and the middleware take one hop to the thread."""
    try:
        body_file = await handler.read_body(receive)
    except RequestAborted:
        return
    set_script_prefix(script_prefix(scope))
    request: HttpRequest | None = None
    response: HttpResponseBase | None = None
    started = chain is None
    if chain is None:
        await signals.request_started.asend(sender=handler.__class__, scope=scope)
        request, response = handler.create_request(scope, body_file)

    # What the hop made, even when the client left while it ran (below),
    # and the context from before it; neither is kept once the hop is done
    # (a Future holds a lock and a deque: 1.7 KB per stream, run 27).
    made_in_thread: Future[Made] | None = None
    before_hop: contextvars.Context | None = None

    held: IO[bytes] | None = body_file
    try:
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(handler.listen_for_disconnect(receive))
                if chain is not None:
                    made_in_thread, before_hop = Future(), contextvars.copy_context()
                    request, response, started = await sync_to_async(_start_in_thread)(
                        handler, scope, body_file, chain, made_in_thread
                    )
                    made_in_thread = before_hop = None  # not kept for the hours the stream lasts
                elif request is not None:
                    response = await handler.run_get_response(request)
                response = cast(HttpResponseBase, response)  # the view's, or the error's
                stream = _own_stream(request, response)
                if stream is None:
                    await handler.send_response(response, send)
                else:
                    let_request_go(cast(HttpRequest, request), response)
                    body_file.close()
                    del request, body_file  # not kept for the hours the stream lasts
                    held = None
                    await _send_stream(response, stream, send)
                raise _Sent
        except* (_Sent, RequestAborted):
            pass
    except BaseExceptionGroup as group:
        raise _unwrapped(group) from None
    finally:
        if held is not None:
            held.close()

    if made_in_thread is not None and response is None:
        await _finish_after_hop(handler, made_in_thread, before_hop)
    else:
        await _finish(handler, response, started)


def _own_stream(
    request: HttpRequest | None, response: HttpResponseBase
) -> AsyncGenerator[bytes, None] | None:
    """The stream of an event stream response, to send ourselves; None for
    any other response (Django's handler sends it)."""
    if request is not None and isinstance(response, EventStreamResponse):
        return response.own_stream()
    return None


def _unwrapped(group: BaseExceptionGroup) -> BaseException:
    """What the task group raised: its one exception, or the group."""
    return group.exceptions[0] if len(group.exceptions) == 1 else group


async def _finish_after_hop(
    handler: ASGIHandler, made_in_thread: Future[Made], before_hop: contextvars.Context | None
) -> None:
    """The client left during the hop. Before the view starts, asgiref's
    cancellation does not wait for the thread, and it copies the thread's
    context back half-way (with a thread executor that is about to quit):
    wait for the thread, and close what it made in the context from before
    the hop."""
    _, response, started = await asyncio.wrap_future(made_in_thread)
    await asyncio.create_task(_finish(handler, response, started), context=before_hop)


def _start_in_thread(
    handler: ASGIHandler,
    scope: Scope,
    body_file: IO[bytes],
    chain: BaseHandler,
    made_in_thread: Future[Made],
) -> Made:
    """The sync chain's hop: ``request_started``, the request, every
    middleware and the view. A function of the module, not a closure of
    ``serve_stream``: a closure and its cells would live in the stream's
    frame for as long as the stream lasts."""
    result: Made = (None, None, False)
    try:
        signals.request_started.send(sender=handler.__class__, scope=scope)
        result = (None, None, True)
        made, error = handler.create_request(scope, body_file)
        if made is None:
            result = (None, error, True)
        else:
            answer: HttpResponseBase = chain.get_response(made)
            mark_handled(answer, handler.__class__)
            result = (made, answer, True)
    finally:
        made_in_thread.set_result(result)
    return result


async def _finish(handler: ASGIHandler, response: HttpResponseBase | None, started: bool) -> None:
    if response is not None:
        await sync_to_async(response.close)()  # request_finished
    elif started:
        await signals.request_finished.asend(sender=handler.__class__)


async def _send_stream(response: HttpResponseBase, stream: Any, send: Any) -> None:
    start = {"type": "http.response.start", "status": response.status_code}
    await send(start | {"headers": _headers(response)})  # not kept for the stream's life
    # The frames are sent by a task of their own. Each event resumes the
    # task that waits for it through every coroutine it waits in: here the
    # server's, the middleware's and this module's are left out (its own
    # is short), and a live stream writes to ``send`` itself
    # (``http.ASGI_SEND``), with no step out of its generator. The
    # objects a delivery touches are fewer: bench/RESULTS.md, run 31.
    context = contextvars.copy_context()
    context.run(ASGI_SEND.set, send)
    sender = asyncio.get_running_loop().create_task(_send_frames(stream, send), context=context)
    try:
        await sender  # cancelling this task cancels it too
    finally:
        await stream.aclose()
    await send({"type": "http.response.body"})


async def _send_frames(stream: Any, send: Any) -> None:
    async for chunk in stream:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


def _headers(response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
    """As Django's ``send_response`` encodes them."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.OutputString().encode("ascii")))
    return headers
