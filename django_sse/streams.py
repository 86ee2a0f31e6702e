"""The per-connection async generator behind every SSE response.

Order of a stream: the catch-up (``catchup``: a ``reset`` if the cursor
cannot be honoured, the replay from the log up to the hub's frontier, an
``sse-cursor`` frame that moves the client's cursor to that frontier) →
live events and heartbeats. The first frame opens with the ``retry:`` line.
A poll (``poll``: for networks that hold a stream back until it ends) ends
after the first write that carries events, or after ``POLL_WAIT``.
The subscriber is registered before the frontier is read, so nothing falls
between replay and live, and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, AsyncIterator

from django_sse.catchup import OPENING_BYTES, Cursor, Start, catch_up
from django_sse.conf import conf
from django_sse.http import ASGI_SEND
from django_sse.hub import Hub
from django_sse.protocol import encode_comment, encode_retry
from django_sse.subscriber import Subscriber

INF = math.inf
HEARTBEAT = encode_comment()
POLL_WAIT = 20.0  # seconds a poll waits for an event: under proxies' read timeouts


# The one function over complexity 10 (C901): its live loop runs once per
# event and stream, with its state in locals and no call it can do without;
# split, it would pay calls and attribute reads per event. bench/ decides.
async def event_stream(  # noqa: C901
    hub: Hub,
    topics: list[str],
    cursor: Cursor,
    user_key: str | None = None,
    *,
    end_after: frozenset[str] = frozenset(),
    subscriber: tuple[Subscriber, int] | None = None,
    poll: bool = False,
) -> AsyncGenerator[bytes, None]:
    """The stream of one connection (see the module docstring); with
    ``end_after``, it ends right after an event of one of those names;
    with ``poll``, after its first events.
    ``subscriber``: one the caller registered already, with the hub's
    frontier read in the same step (``hub.subscribe_at_frontier``)."""
    sub, upto = subscriber or hub.subscribe_at_frontier(topics, user_key, end_after)
    loop = asyncio.get_running_loop()
    # Cut by the hub's clock if a write does not go out in time (the client
    # reads nothing): the task sending this response is cancelled.
    sub.task = asyncio.current_task()
    send_timeout = conf.DJANGO_SSE_SEND_TIMEOUT
    idle = conf.DJANGO_SSE_IDLE_TIMEOUT or math.inf  # counted from the last write that went out
    sub.deadline = loop.time() + _lifetime(sub)  # from the connect, replay included
    written = loop.time()
    stats = hub.stats
    try:
        hub.started(sub)  # it unsubscribes in its finally, from here on
        start = Start()
        async for piece in _opening(hub, topics, cursor, upto, start, end_after):
            sub.must_write_by(min(loop.time() + send_timeout, sub.deadline, written + idle))
            stats.bytes_written += len(piece)
            yield piece
            sub.cut_at, written = INF, loop.time()
        if start.complete or (poll and start.events):
            return
        # Live: one generator for the whole stream, not one inside another
        # (a generator layer is a step per event and stream). The clock is
        # read once per wake, not three times.
        heartbeat = conf.DJANGO_SSE_HEARTBEAT
        idle_timeout = conf.DJANGO_SSE_IDLE_TIMEOUT
        ends_at = sub.deadline  # inf: no lifetime limit
        if poll:
            ends_at = min(ends_at, loop.time() + POLL_WAIT)
        cut_cap = min(sub.deadline, written + idle)  # a stuck write is cut by then at the latest
        skip_through, partial = start.skip_through, start.partial
        send = ASGI_SEND.get()
        due = sub.due
        now = last_event = loop.time()
        while True:
            # Until the stream must end: max duration (or, signed in,
            # DJANGO_SSE_REAUTHORIZE), idle timeout, overflow, revocation,
            # shutdown, or an ``end_after`` event (sent, then the end).
            deadline = min(ends_at, last_event + idle_timeout) if idle_timeout else ends_at
            if deadline <= now:
                return  # the client reconnects and resumes from its cursor
            beat_at = now + heartbeat
            await sub.waiter(beat_at if beat_at < deadline else deadline)
            now = loop.time()
            if sub.ended:
                # Overflow: the client reconnects and replays from the log.
                # Revoked: the reconnect is authorized again (and refused).
                # Shutdown: the client reconnects to another server.
                chunk = encode_comment(f"stream ended: {sub.ended}")
                ends_at = now  # after this write
            elif sub.frames:
                last_event = now
                ids, frames = sub.ids, sub.frames
                if partial is None and len(ids) == 1 and ids[0] > skip_through:
                    chunk = frames[0]  # the common case: one event, nothing to drop
                else:
                    chunk, partial = _live_chunk(ids, frames, skip_through, partial)
                sub.clear()
                if sub.complete or poll:
                    ends_at = now
                if not chunk:
                    continue
            elif now >= deadline:
                continue
            else:
                chunk = HEARTBEAT
            cut_at = now + send_timeout
            if cut_at > cut_cap:
                cut_at = cut_cap
            sub.cut_at = cut_at  # sub.must_write_by(cut_at), inline: once per event
            if cut_at < due.at:
                due.at = cut_at
            stats.bytes_written += len(chunk)
            if send is None:
                yield chunk
            else:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sub.cut_at = INF
            if idle != INF:
                cut_cap = min(sub.deadline, loop.time() + idle)
            if ends_at <= now:
                return
    finally:
        sub.task = None
        hub.unsubscribe(sub)


async def _opening(
    hub: Hub,
    topics: list[str],
    cursor: Cursor,
    upto: int,
    start: Start,
    end_after: frozenset[str],
) -> AsyncIterator[bytes]:
    """The opening writes: the ``retry:`` line and the catch-up's frames
    (reset, replay batches, cursor) in one write, fewer sends per connect
    when thousands connect; a long replay in writes of about OPENING_BYTES."""
    opening = [encode_retry(conf.DJANGO_SSE_RETRY_MS)]
    size = 0
    async for chunk in catch_up(hub, topics, cursor, upto, start, end_after):
        opening.append(chunk)
        size += len(chunk)
        if size >= OPENING_BYTES:
            yield b"".join(opening)
            opening, size = [], 0
    if opening:
        yield b"".join(opening)


def _lifetime(sub: Subscriber) -> float:
    """Seconds a stream may last: ``DJANGO_SSE_MAX_DURATION`` or, signed in,
    ``DJANGO_SSE_REAUTHORIZE`` if sooner (inf: no limit)."""
    lifetimes = [conf.DJANGO_SSE_MAX_DURATION]
    if sub.user_key is not None:  # a signed-in stream reconnects to be authorized again
        lifetimes.append(conf.DJANGO_SSE_REAUTHORIZE)
    return min((t for t in lifetimes if t), default=math.inf)


def _live_chunk(
    ids: list[int], frames: list[bytes], skip_through: int, partial: tuple[int, int] | None
) -> tuple[bytes, tuple[int, int] | None]:
    """What to write of the frames drained from the subscriber (their ids
    and frames): those past ``skip_through`` (the client is ahead of this
    process up to there), without the events of batch row ``partial`` the
    client has. Returns the bytes and the ``partial`` still to look for."""
    if partial is not None and ids[-1] >= partial[0]:  # the row is among them
        kept = [
            _without_partial(frame, partial) if event_id == partial[0] else frame
            for event_id, frame in zip(ids, frames, strict=True)
            if event_id > skip_through
        ]
        return b"".join(kept), None
    pairs = zip(ids, frames, strict=True)
    return b"".join(frame for event_id, frame in pairs if event_id > skip_through), partial


def _without_partial(frame: bytes, partial: tuple[int, int]) -> bytes:
    """``frame`` without the events of batch row ``partial[0]`` the client
    has (the first ``partial[1]``). Events never hold a blank line."""
    row, have = partial
    events = frame.split(b"\n\n")[:-1]
    prefix = f"id: {row}:".encode()
    kept = [
        e
        for e in events
        if not (e.startswith(prefix) and int(e[len(prefix) :].split(b" ", 1)[0]) <= have)
    ]
    # The row's last event ("id: <row> <topic>") is always kept: the client lacks it.
    return b"".join(e + b"\n\n" for e in kept)
