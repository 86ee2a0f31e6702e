"""The per-connection async generator behind every SSE response.

Order of a stream: ``retry:`` → (``reset`` if the cursor cannot be honoured)
→ replay from the log up to the hub's frontier → a bare ``id:`` line that
moves the client's cursor to that frontier → live events and heartbeats.
The subscriber is registered before the frontier is read, so nothing falls
between replay and live, and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django_sse import eventlog
from django_sse.conf import conf
from django_sse.hub import Hub
from django_sse.protocol import encode_comment, encode_retry, format_event
from django_sse.topics import retention

MAX_CURSOR = 2**63 - 1
REPLAY_BATCH = 500


@dataclass(frozen=True)
class Cursor:
    """What the client said it has seen: ``value`` if usable, else why not."""

    value: int | None
    problem: str | None = None

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        if raw is None or raw == "":
            return cls(None)
        if len(raw) > 19 or not raw.isascii() or not raw.isdigit():
            return cls(None, "malformed")
        value = int(raw)
        if value > MAX_CURSOR:
            return cls(None, "malformed")
        return cls(value)


def _reset(reason: str) -> bytes:
    return format_event(json.dumps({"reason": reason}), event="reset")


def _cursor_frame(event_id: int) -> bytes:
    # An id field with no data sets the client's Last-Event-ID without
    # dispatching an event (WHATWG: dispatch returns early on empty data).
    return f"id: {event_id}\n\n".encode()


async def event_stream(hub: Hub, topics: list[str], cursor: Cursor) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    sub = hub.subscribe(topics)
    try:
        upto = hub.frontier
        yield encode_retry(conf.DJANGO_SSE_RETRY_MS)
        skip_through = 0
        sent = 0
        async for chunk, last in _catch_up(hub, topics, cursor, upto):
            if last < 0:
                skip_through = -last
            else:
                sent = max(sent, last)
            yield chunk
        if skip_through == 0 and sent < upto:
            yield _cursor_frame(upto)

        heartbeat = conf.DJANGO_SSE_HEARTBEAT
        max_duration = conf.DJANGO_SSE_MAX_DURATION
        deadline = loop.time() + max_duration if max_duration else None
        while True:
            timeout = heartbeat if deadline is None else min(heartbeat, deadline - loop.time())
            if timeout <= 0:
                return  # the client reconnects and resumes from its cursor
            if not await sub.wait(timeout):
                if deadline is None or loop.time() < deadline:
                    yield encode_comment()
                continue
            if sub.overflowed:
                yield encode_comment("client too slow; reconnect to resume")
                return
            frames = [frame for event_id, frame in sub.drain() if event_id > skip_through]
            if frames:
                yield b"".join(frames)
    finally:
        hub.unsubscribe(sub)


async def _catch_up(
    hub: Hub, topics: list[str], cursor: Cursor, upto: int
) -> AsyncIterator[tuple[bytes, int]]:
    """Frames owed to a new connection, with the last id each carries.

    A negative id means "the client is ahead of this process: skip live
    events up to there" (it came from a server that had read further).
    """
    history = [t for t in topics if retention(t) == "history"]
    latest = [t for t in topics if retention(t) == "latest"]
    after = cursor.value
    reason = cursor.problem
    if after is not None and after > upto:
        if after <= await hub.query(eventlog.max_id):
            yield b"", -after
            return
        reason, after = "unknown-cursor", None
    if after is not None and history and after < await hub.query(eventlog.pruned_through):
        reason, after = "expired-cursor", None
    if reason:
        yield _reset(reason), 0

    latest_rows = await hub.query(eventlog.latest, latest, upto) if latest else []
    latest_rows = [row for row in latest_rows if after is None or row.id > after]
    if after is None or not history:
        for row in latest_rows:
            yield format_event(row.data, event=row.event or None, id=row.id), row.id
        return

    # Merge the latest values into the history replay so ids only grow.
    pending = list(latest_rows)
    while True:
        rows = await hub.query(eventlog.replay, history, after, upto, REPLAY_BATCH)
        batch = []
        for row in rows:
            while pending and pending[0].id < row.id:
                batch.append(pending.pop(0))
            batch.append(row)
        if len(rows) < REPLAY_BATCH:
            batch.extend(pending)
            pending = []
        if batch:
            frames = b"".join(
                format_event(row.data, event=row.event or None, id=row.id) for row in batch
            )
            yield frames, batch[-1].id
        if len(rows) < REPLAY_BATCH:
            return
        after = rows[-1].id
