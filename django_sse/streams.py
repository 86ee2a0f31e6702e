"""The per-connection async generator behind every SSE response.

Order of a stream: (``reset`` if the cursor cannot be honoured) → replay
from the log up to the hub's frontier → an ``sse-cursor`` frame that moves
the client's cursor to that frontier → live events and heartbeats. The
first frame opens with the ``retry:`` line.
The subscriber is registered before the frontier is read, so nothing falls
between replay and live, and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from typing import cast

from django_sse import eventlog
from django_sse.conf import conf
from django_sse.http import ASGI_SEND
from django_sse.hub import Hub
from django_sse.protocol import encode_comment, encode_retry, format_event
from django_sse.subscriber import Subscriber
from django_sse.topics import retention

MAX_CURSOR = 2**63 - 1
INF = math.inf
HEARTBEAT = encode_comment()
REPLAY_BATCH = 100  # rows per replay query (their frames are held while they are sent)
OPENING_BYTES = 64 * 1024


@dataclass(frozen=True)
class Cursor:
    """What the client said it has seen: ``value`` if usable, else why not."""

    value: int | None
    problem: str | None = None
    # ``"57:3"``: the client has the first 3 events of batch row 57
    # (``eventlog.publish_batch``); ``value`` is then 56, and the row is
    # sent again without those 3.
    partial: tuple[int, int] | None = None

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        """``"57"``, ``"57 topic"`` (the id of an event frame) or ``"57:3 topic"``."""
        if raw is None or raw == "":
            return cls(None)
        number, colon, part = raw.split(" ", 1)[0].partition(":")
        if not _digits(number, 19) or (colon and not _digits(part, 3)):
            return cls(None, "malformed")
        value = int(number)
        if value > MAX_CURSOR:
            return cls(None, "malformed")
        if not colon:
            return cls(value)
        if value == 0 or int(part) == 0:
            return cls(None, "malformed")
        return cls(value - 1, partial=(value, int(part)))


def _digits(text: str, most: int) -> bool:
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def _reset(reason: str) -> bytes:
    return format_event(json.dumps({"reason": reason}), event="reset")


def _cursor_frame(position: int | str) -> bytes:
    # Sets the client's Last-Event-ID. It is dispatched as an "sse-cursor"
    # event, which page code never listens to but django-sse.js reads: a
    # script cannot see a Last-Event-ID that arrived without an event.
    return f"id: {position}\nevent: sse-cursor\ndata:\n\n".encode()


class _Start:
    """What the catch-up phase tells the live phase."""

    skip_through = 0  # the client is ahead of this process up to this id
    complete = False  # an ``end_after`` event was sent: the stream ends
    partial: tuple[int, int] | None = None  # a batch row still to send, without its first k


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
) -> AsyncGenerator[bytes, None]:
    """The stream of one connection (see the module docstring); with
    ``end_after``, it ends right after an event of one of those names.
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
        start = _Start()
        async for piece in _opening(hub, topics, cursor, upto, start, end_after):
            sub.must_write_by(min(loop.time() + send_timeout, sub.deadline, written + idle))
            stats.bytes_written += len(piece)
            yield piece
            sub.cut_at, written = INF, loop.time()
        if start.complete:
            return
        # Live: one generator for the whole stream, not one inside another
        # (a generator layer is a step per event and stream). The clock is
        # read once per wake, not three times.
        heartbeat = conf.DJANGO_SSE_HEARTBEAT
        idle_timeout = conf.DJANGO_SSE_IDLE_TIMEOUT
        ends_at = sub.deadline  # inf: no lifetime limit
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
                if sub.complete:
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
    start: _Start,
    end_after: frozenset[str],
) -> AsyncIterator[bytes]:
    """The opening writes: the ``retry:`` line and the catch-up's frames
    (reset, replay batches, cursor) in one write, fewer sends per connect
    when thousands connect; a long replay in writes of about OPENING_BYTES."""
    opening = [encode_retry(conf.DJANGO_SSE_RETRY_MS)]
    size = 0
    async for chunk in _catch_up(hub, topics, cursor, upto, start, end_after):
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


async def _passed_late(hub: Hub, topics: list[str], after: int) -> bool:
    """Did an event of ``topics`` commit late (``hub.Late``) with an id below
    ``after``, announced after it? The client may have missed it."""
    wanted = set(topics)
    for _, events in await hub.query(eventlog.late_markers_after, after):
        if any(topic in wanted and event_id < after for event_id, topic in events):
            return True
    return False


def _frames(rows: list[eventlog.Row]) -> bytes:
    return b"".join(row.frame() for row in rows)


def _pieces(frames: list[bytes]) -> Iterator[bytes]:
    """``frames`` joined into writes of about ``OPENING_BYTES``."""
    piece: list[bytes] = []
    size = 0
    for frame in frames:
        piece.append(frame)
        size += len(frame)
        if size >= OPENING_BYTES:
            yield b"".join(piece)
            piece, size = [], 0
    if piece:
        yield b"".join(piece)


def _through_final(
    rows: list[eventlog.Row], end_after: frozenset[str], start: _Start
) -> list[eventlog.Row]:
    """``rows`` up to the first ``end_after`` event (marking the start complete)."""
    for i, row in enumerate(rows):
        if row.event in end_after:
            start.complete = True
            return rows[: i + 1]
    return rows


async def _catch_up(
    hub: Hub,
    topics: list[str],
    cursor: Cursor,
    upto: int,
    start: _Start,
    end_after: frozenset[str] = frozenset(),
) -> AsyncIterator[bytes]:
    """Frames owed to a new connection, ending with the client's cursor at
    ``upto`` (so a reconnect resumes from here even if nothing was sent)."""
    if await _ahead(hub, cursor, upto):
        # The client came from a server process that has read further.
        start.skip_through = cast(int, cursor.value)
        start.partial = cursor.partial
        # The client's own position again: the opening is never empty.
        yield _cursor_frame(
            "{}:{}".format(*cursor.partial) if cursor.partial else start.skip_through
        )
        return
    history = [t for t in topics if retention(t) == "history"]
    latest = [t for t in topics if retention(t) == "latest"]
    after, reason = await _usable_cursor(hub, topics, history, cursor, upto)
    replay = _Replay(after, owed=bool(reason))  # a reset sent: no cursor frame needed
    if reason:
        hub.stats.resets[reason] += 1
        yield _reset(reason)
    pending = await hub.query(eventlog.latest, latest, upto) if latest else []
    pending = [row for row in pending if row.id > replay.sent]
    if history and after is not None:
        async for piece in _replay_history(
            hub, history, replay, upto, pending, start, cursor, end_after
        ):
            yield piece
        pending = replay.pending
    if not start.complete:
        pending = _through_final(pending, end_after, start)
        if pending:
            hub.stats.replayed += len(pending)
            chunk = _frames(pending)
            replay.owed = replay.owed or bool(chunk)
            yield chunk
            replay.sent = pending[-1].id
    if not start.complete and (replay.sent < upto or not replay.owed):
        yield _cursor_frame(upto)


class _Replay:
    """Where a replay stands: the last id sent (-1: none), whether a frame
    went out, and the latest values not merged into it yet."""

    def __init__(self, after: int | None, owed: bool) -> None:
        self.sent = -1 if after is None else after
        self.owed = owed
        self.pending: list[eventlog.Row] = []


async def _ahead(hub: Hub, cursor: Cursor, upto: int) -> bool:
    """Has the client's cursor passed this process's frontier, within the
    log (it came from a process that has read further)?"""
    after = cursor.value
    return after is not None and after > upto and after <= await hub.query(eventlog.max_id)


async def _usable_cursor(
    hub: Hub, topics: list[str], history: list[str], cursor: Cursor, upto: int
) -> tuple[int | None, str | None]:
    """The id to replay after (None: from nothing) and, when the client's
    cursor cannot be used, why: the reason its ``reset`` event gives."""
    after = cursor.value
    if after is None:
        return None, cursor.problem
    if after > upto:  # and past the log's end: not ``_ahead``
        return None, "unknown-cursor"
    if history and after < await hub.query(eventlog.pruned_through):
        return None, "expired-cursor"
    if after < hub.last_late_marker and await _passed_late(hub, topics, after):
        return None, "late-event"
    return after, None


async def _replay_history(
    hub: Hub,
    history: list[str],
    replay: _Replay,
    upto: int,
    pending: list[eventlog.Row],
    start: _Start,
    cursor: Cursor,
    end_after: frozenset[str],
) -> AsyncIterator[bytes]:
    """The rows of ``history`` topics after ``replay.sent`` up to ``upto``,
    in batches, with the ``pending`` latest values merged in so ids only
    grow; what is left of ``pending`` goes back in ``replay.pending``."""
    replay_from: int | None = replay.sent
    while replay_from is not None and not start.complete:
        rows = await hub.query(eventlog.replay, history, replay_from, upto, REPLAY_BATCH)
        batch = [row for row in pending if not rows or row.id < rows[-1].id]
        pending = pending[len(batch) :]
        batch = _through_final(sorted(batch + rows), end_after, start)
        replay_from = rows[-1].id if len(rows) == REPLAY_BATCH else None
        if batch:
            replay.sent = batch[-1].id
            hub.stats.replayed += len(batch)
            frames = [_replay_frame(row, cursor) for row in batch]
            del rows, batch  # while a slow client takes the frames, hold only them
            for piece in _pieces(frames):
                replay.owed = replay.owed or bool(piece)
                yield piece
    replay.pending = pending


def _replay_frame(row: eventlog.Row, cursor: Cursor) -> bytes:
    """A replayed row: a batch row the client has part of, without that part."""
    if cursor.partial and row.id == cursor.partial[0]:
        return row.frame(cursor.partial[1])
    return row.frame()
