"""The catch-up phase of a stream: what a new connection is owed before it
goes live. The client's cursor (``Last-Event-ID``) is checked, a ``reset``
sent when it cannot be honoured, the log replayed from it up to the hub's
frontier (``latest`` topics' values merged in, in id order), and an
``sse-cursor`` frame moves the client's cursor to that frontier."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import cast

from django_sse import logqueries
from django_sse.hub import Hub
from django_sse.protocol import format_event
from django_sse.topics import retention

MAX_CURSOR = 2**63 - 1
REPLAY_BATCH = 100  # rows per replay query (their frames are held while they are sent)
OPENING_BYTES = 64 * 1024  # about this much per write of the opening


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


class Start:
    """What the catch-up phase tells the live phase."""

    skip_through = 0  # the client is ahead of this process up to this id
    complete = False  # an ``end_after`` event was sent: the stream ends
    events = False  # an event (not only the cursor) was sent: a poll ends
    partial: tuple[int, int] | None = None  # a batch row still to send, without its first k


async def _passed_late(hub: Hub, topics: list[str], after: int) -> bool:
    """Did an event of ``topics`` commit late (``logreader.Late``) with an id below
    ``after``, announced after it? The client may have missed it."""
    wanted = set(topics)
    for _, events in await hub.query(logqueries.late_markers_after, after):
        if any(topic in wanted and event_id < after for event_id, topic in events):
            return True
    return False


def _frames(rows: list[logqueries.Row]) -> bytes:
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
    rows: list[logqueries.Row], end_after: frozenset[str], start: Start
) -> list[logqueries.Row]:
    """``rows`` up to the first ``end_after`` event (marking the start complete)."""
    for i, row in enumerate(rows):
        if row.event in end_after:
            start.complete = True
            return rows[: i + 1]
    return rows


async def catch_up(
    hub: Hub,
    topics: list[str],
    cursor: Cursor,
    upto: int,
    start: Start,
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
        start.events = True
        yield _reset(reason)
    pending = await hub.query(logqueries.latest, latest, upto) if latest else []
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
            start.events = True
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
        self.pending: list[logqueries.Row] = []


async def _ahead(hub: Hub, cursor: Cursor, upto: int) -> bool:
    """Has the client's cursor passed this process's frontier, within the
    log (it came from a process that has read further)?"""
    after = cursor.value
    return after is not None and after > upto and after <= await hub.query(logqueries.max_id)


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
    if history and after < await hub.query(logqueries.pruned_through):
        return None, "expired-cursor"
    if after < hub.last_late_marker and await _passed_late(hub, topics, after):
        return None, "late-event"
    return after, None


async def _replay_history(
    hub: Hub,
    history: list[str],
    replay: _Replay,
    upto: int,
    pending: list[logqueries.Row],
    start: Start,
    cursor: Cursor,
    end_after: frozenset[str],
) -> AsyncIterator[bytes]:
    """The rows of ``history`` topics after ``replay.sent`` up to ``upto``,
    in batches, with the ``pending`` latest values merged in so ids only
    grow; what is left of ``pending`` goes back in ``replay.pending``."""
    replay_from: int | None = replay.sent
    while replay_from is not None and not start.complete:
        rows = await hub.query(logqueries.replay, history, replay_from, upto, REPLAY_BATCH)
        batch = [row for row in pending if not rows or row.id < rows[-1].id]
        pending = pending[len(batch) :]
        batch = _through_final(sorted(batch + rows), end_after, start)
        replay_from = rows[-1].id if len(rows) == REPLAY_BATCH else None
        if batch:
            replay.sent = batch[-1].id
            hub.stats.replayed += len(batch)
            start.events = True
            frames = [_replay_frame(row, cursor) for row in batch]
            del rows, batch  # while a slow client takes the frames, hold only them
            for piece in _pieces(frames):
                replay.owed = replay.owed or bool(piece)
                yield piece
    replay.pending = pending


def _replay_frame(row: logqueries.Row, cursor: Cursor) -> bytes:
    """A replayed row: a batch row the client has part of, without that part."""
    if cursor.partial and row.id == cursor.partial[0]:
        return row.frame(cursor.partial[1])
    return row.frame()
