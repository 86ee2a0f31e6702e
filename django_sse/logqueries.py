"""Reading the event log (``models.Event``): its rows, how a row is sent
on the wire, and the queries the hub and the streams run in the hub's
threads (one database connection each). Writing is ``eventlog``'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connections

from django_sse.conf import conf
from django_sse.logs import log_event, topic_families
from django_sse.models import Event, LogState
from django_sse.protocol import encode_data, format_event

# A batch row's event name starts with this (``publish_batch``); an event
# name of one's own cannot.
BATCH = "\x1e"
MAX_BATCH = 999  # events in one batch row: a client's position in it is "<id>:<k>"

# Internal messages between server processes travel through the log too;
# clients cannot subscribe to "_sse." topics.
CONTROL_TOPIC = "_sse.control"

# Events that committed after the hub had moved past their ids (their
# transaction stayed open longer than DJANGO_SSE_GAP_TIMEOUT) are announced
# by a "late" control event: {"events": [[id, topic], ...]}. Every process
# sends a ``reset`` to the streams of those topics, and a client that
# reconnects with a cursor between a late id and its marker gets one too.
LATE = "late"

_FIELDS = ("id", "topic", "event", "data")


class Row(NamedTuple):
    id: int
    topic: str
    event: str
    data: str
    created: datetime | None = None  # set by ``read_after`` (the hub's delivery lag)
    trace: str | None = None  # set by ``read_after``: the publish span (``tracing``)

    def frame(self, skip: int = 0) -> bytes:
        """The event as sent on the wire. Its ``id:`` is ``"<id> <topic>"``:
        the number is the client's cursor, the topic lets one EventSource
        carrying many topics route each event (topics cannot contain spaces).

        A batch row (``publish_batch``) is sent as its events, the first
        ``skip`` of them left out: each but the last has the id
        ``"<id>:<k> <topic>"`` (the client has the row's first k events),
        the last ``"<id> <topic>"``.

        A row that cannot be framed (an event name with a newline, written
        by SQL or the ORM past ``publish()``'s checks) is skipped: ``b""``,
        and a warning, once per row and process, naming it."""
        try:
            if self.event.startswith(BATCH):
                return self._batch_frames(skip)
            return format_event(self.data, event=self.event or None, id=f"{self.id} {self.topic}")
        except ValueError as exc:
            log_event(
                "sse.log.row_skipped",
                f"event {self.id} cannot be sent and is skipped: {exc}",
                key=f"bad-row:{self.id}",
                interval=None,
                event_id=self.id,
                topic=topic_families([self.topic]),
            )
            return b""

    def _batch_frames(self, skip: int) -> bytes:
        texts = json.loads(self.data)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError("a batch row's data is not a JSON list of texts")
        name = self.event[len(BATCH) :] or None
        last = len(texts)
        return b"".join(
            format_event(
                text,
                event=name,
                id=f"{self.id}:{k} {self.topic}" if k < last else f"{self.id} {self.topic}",
            )
            for k, text in enumerate(texts, 1)
            if k > skip
        )


def _alias() -> str:
    return str(conf.DJANGO_SSE_DATABASE)


def read_after(after: int, limit: int) -> list[Row]:
    """The hub's read: the rows after ``after``, with their publish time."""
    qs = Event.objects.using(_alias()).filter(id__gt=after).order_by("id")
    return [Row(*values) for values in qs.values_list(*_FIELDS, "created_at", "trace")[:limit]]


def replay(topics: Sequence[str], after: int, upto: int, limit: int) -> list[Row]:
    qs = Event.objects.using(_alias()).filter(topic__in=topics, id__gt=after, id__lte=upto)
    return [Row(*values) for values in qs.order_by("id").values_list(*_FIELDS)[:limit]]


def latest(topics: Sequence[str], upto: int) -> list[Row]:
    qs = Event.objects.using(_alias())
    rows = []
    for topic in topics:
        values = qs.filter(topic=topic, id__lte=upto).order_by("-id").values_list(*_FIELDS).first()
        if values is not None:
            rows.append(Row(*values))
    return sorted(rows)


def recent(topic: str, limit: int, *, event: str | None = None) -> list[Row]:
    """The last ``limit`` events of ``topic`` (of one ``event`` name if
    given), oldest first: what a widget renders before its stream opens."""
    qs = Event.objects.using(_alias()).filter(topic=topic)
    if event is not None:
        qs = qs.filter(event=event)
    rows = [Row(*values) for values in qs.order_by("-id").values_list(*_FIELDS)[:limit]]
    return rows[::-1]


def revoked_since(user_pk: Any, position: int) -> bool:
    """Whether all of the user's streams were revoked after ``position``
    (``revoke(user)``: signing out, a password change, deactivation)."""
    whole = encode_data({"user": str(user_pk), "topic": None})
    qs = Event.objects.using(_alias()).filter(topic=CONTROL_TOPIC, event="revoke", id__gt=position)
    return qs.filter(data=whole).exists()


def max_id() -> int:
    """The id of the newest event in the log (0: none yet). Render it with
    a page's server-side state and pass it to the client's ``resumeFrom``:
    the stream then starts right after that state, and nothing published
    between the render and the connect is missed."""
    last = Event.objects.using(_alias()).order_by("-id").values_list("id", flat=True).first()
    return last or 0


def pruned_through() -> int:
    value = LogState.objects.using(_alias()).values_list("pruned_through", flat=True).first()
    return value or 0


def is_postgres() -> bool:
    return vendor() == "postgresql"


def vendor() -> str:
    return str(connections[_alias()].vendor)


def writers_in_flight() -> frozenset[str]:
    """PostgreSQL: the transactions that are writing to the event log now.

    An INSERT takes its table lock before it draws an id, and keeps the
    lock until its transaction ends. So an id that is missing from the log
    while a higher one is visible belongs to one of these transactions, or
    is gone for good (rolled back). See ``logreader.Gap``.
    """
    with connections[_alias()].cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT virtualtransaction FROM pg_locks
            WHERE locktype = 'relation'
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND relation = %s::regclass
              AND mode = 'RowExclusiveLock'
              AND granted
              AND pid <> pg_backend_pid()
            """,
            [Event._meta.db_table],
        )
        return frozenset(row[0] for row in cursor.fetchall())


def notification_queue_usage() -> float | None:
    """PostgreSQL: the fraction of the NOTIFY queue in use (None elsewhere).
    It grows when a listener stops consuming; near 1.0, NOTIFY fails."""
    if not is_postgres():
        return None
    with connections[_alias()].cursor() as cursor:
        cursor.execute("SELECT pg_notification_queue_usage()")
        return float(cursor.fetchone()[0])


def writer_pids(writers: frozenset[str]) -> list[int]:
    """PostgreSQL: the backend pids of ``writers`` (virtual transaction ids),
    for the log line about a transaction that holds delivery up."""
    with connections[_alias()].cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pid FROM pg_locks WHERE virtualtransaction = ANY(%s) "
            "AND pid IS NOT NULL ORDER BY pid",
            [list(writers)],
        )
        return [row[0] for row in cursor.fetchall()]


def rows_with_ids(ids: Sequence[int]) -> list[Row]:
    qs = Event.objects.using(_alias()).filter(id__in=list(ids)).order_by("id")
    return [Row(*values) for values in qs.values_list(*_FIELDS)]


def late_markers_after(after: int) -> list[tuple[int, list[list[Any]]]]:
    qs = Event.objects.using(_alias()).filter(topic=CONTROL_TOPIC, event=LATE, id__gt=after)
    return [(pk, json.loads(data)["events"]) for pk, data in qs.values_list("id", "data")]


def last_late_marker() -> int:
    qs = Event.objects.using(_alias()).filter(topic=CONTROL_TOPIC, event=LATE)
    return qs.order_by("-id").values_list("id", flat=True).first() or 0
