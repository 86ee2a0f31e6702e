"""Stream any async iterator: to one request, or to every watcher of a topic.

async def chat(request):                       # POST or GET
    return await stream_response(request, llm_tokens(request.POST["q"]))

await stream_to("story:42", generate())        # one producer, many spectators
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from django_sse.conf import conf
from django_sse.eventlog import publish, publish_batch
from django_sse.http import require_asgi, sse_response
from django_sse.hubs import get_hub
from django_sse.logqueries import MAX_BATCH
from django_sse.logs import log_event
from django_sse.protocol import encode_comment, encode_data, format_event

SILENCE = object()  # what ``_with_silences`` yields when no chunk came in time


async def _with_silences(
    chunks: AsyncIterable[Any], timeout: Callable[[], float | None]
) -> AsyncGenerator[Any, None]:
    """Yield the chunks; yield ``SILENCE`` whenever ``timeout()`` seconds
    (None: no limit) pass without one. The producer is never cancelled
    by a silence, only when the consumer stops."""
    iterator = aiter(chunks)
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=timeout())
            if not done:
                yield SILENCE
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield chunk
    finally:
        if pending is not None:
            pending.cancel()


def _with_heartbeats(chunks: AsyncIterable[Any]) -> AsyncGenerator[Any, None]:
    """The chunks, and ``SILENCE`` after each heartbeat interval without
    one, so proxies keep a slow producer's stream open."""
    return _with_silences(chunks, lambda: conf.DJANGO_SSE_HEARTBEAT)


async def _one_shot(
    chunks: AsyncIterable[Any], event: str, done_event: str
) -> AsyncGenerator[bytes, None]:
    count = 0
    try:
        async for chunk in _with_heartbeats(chunks):
            if chunk is SILENCE:
                yield encode_comment()
                continue
            count += 1
            yield format_event(encode_data(chunk), event=event, id=count)
    except Exception:
        log_event(
            "sse.stream.iterator_failed",
            "the streamed iterator failed",
            level=logging.ERROR,
            exc_info=True,
            interval=None,
            key=f"iterator:{id(chunks)}",
        )
        yield format_event('{"error": "The stream failed."}', event="error", id=count + 1)
        return
    yield format_event("", event=done_event, id=count + 1)


@require_asgi
async def stream_response(
    request: HttpRequest,
    chunks: AsyncIterable[Any],
    *,
    event: str = "token",
    done_event: str = "done",
) -> HttpResponseBase:
    """An SSE response that sends each chunk as an ``event`` (str as is,
    anything else as JSON), then ``done_event``. Works for GET and POST.

    The stream runs once: when a browser's EventSource reconnects after
    the end (it sends Last-Event-ID), it gets 204, which stops it.
    """
    if request.headers.get("Last-Event-ID"):
        return HttpResponse(status=204)
    return sse_response(request, _one_shot(chunks, event, done_event))


async def stream_to(
    topic: str,
    chunks: AsyncIterable[Any],
    *,
    event: str = "token",
    done_event: str = "done",
    interval: float | None = None,
) -> int:
    """Publish each chunk to ``topic`` as an ``event`` (every watcher of
    the topic gets it through the log), then ``done_event``. Returns the count.

    Chunks are written in batches, one row per ``interval`` seconds
    (``DJANGO_SSE_STREAM_BATCH_INTERVAL``) rather than a row per chunk; the
    first goes out at once. Watchers still get one event per chunk, and a
    watcher whose connection drops mid-batch resumes after the last chunk
    it got, exactly once (``eventlog.publish_batch``).

    Safe to run as a task that outlives the request that started it: the
    writes run in the hub's own database threads, not in the request's sync
    thread, which is gone once the response has been sent."""
    hub = await get_hub()
    wait = conf.DJANGO_SSE_STREAM_BATCH_INTERVAL if interval is None else interval
    loop = asyncio.get_running_loop()
    batch: list[Any] = []
    count = 0
    flush_at = loop.time()  # the first chunk goes out at once

    async def flush() -> None:
        nonlocal flush_at
        if batch:
            await hub.query(partial(publish_batch, event=event), topic, list(batch))
            batch.clear()
        flush_at = loop.time() + wait

    def until_flush() -> float | None:
        return max(0.0, flush_at - loop.time()) if batch else None

    # Closed at once if a write fails: the producer is cancelled, not left running.
    async with contextlib.aclosing(_with_silences(chunks, until_flush)) as stream:
        async for chunk in stream:
            if chunk is not SILENCE:
                batch.append(chunk)
                count += 1
            if chunk is SILENCE or len(batch) >= MAX_BATCH or loop.time() >= flush_at:
                await flush()
    await flush()
    await hub.query(partial(publish, event=done_event), topic, {"count": count})
    return count
