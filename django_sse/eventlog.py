"""Writing to the event log (``models.Event``): ``publish()`` and its
kin, plain sync functions usable from any process. Reading it is
``logqueries``'s.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from django_sse import tracing, unlogged
from django_sse.brokers import broker_class
from django_sse.conf import conf
from django_sse.internals import binds_on_server, insert_bound
from django_sse.logqueries import BATCH, CONTROL_TOPIC, LATE, MAX_BATCH, Row
from django_sse.logs import describe, log_event
from django_sse.models import Event
from django_sse.protocol import check_field, encode_data
from django_sse.topics import retention, validate_topic

if TYPE_CHECKING:
    from django_sse.brokers.base import Broker


def _alias() -> str:
    return str(conf.DJANGO_SSE_DATABASE)


def _checked(topic: str, data: Any, event: str | None) -> tuple[str, str, str]:
    """``(topic, event, data text)`` ready for the log, or a ValueError."""
    validate_topic(topic)
    if event:
        check_field("event", event)
        if len(event) > 100:
            raise ValueError("SSE event name is longer than 100 characters")
        if event.startswith(BATCH):
            raise ValueError("SSE event names starting with \\x1e are django-sse's own")
    text = encode_data(data)
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL; JSON payloads escape it (\u0000).
        raise ValueError("Event data text must not contain NUL; publish it inside JSON instead")
    most = conf.DJANGO_SSE_MAX_EVENT_BYTES
    # At most 4 bytes a character: only a long text is encoded to count.
    if len(text) * 4 > most and len(text.encode()) > most:
        raise ValueError(
            f"Event data is {len(text.encode()):,} bytes; DJANGO_SSE_MAX_EVENT_BYTES allows "
            f"{most:,}. Send a link or an id and let the page fetch the rest."
        )
    return topic, event or "", text


def _insert(alias: str, topic: str, event: str, text: str, trace: str | None = None) -> int:
    """One INSERT ... RETURNING id, without ``Model.save()``'s work in
    Python (one publisher process: 1,863 -> 2,424 events/s, bench/RESULTS.md)."""
    connection = connections[alias]
    try:
        if not connection.features.can_return_columns_from_insert:
            row = Event(topic=topic, event=event, data=text, trace=trace)
            row.save(using=alias, force_insert=True)
            return int(row.id)
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        params = [topic, event, text, created, trace]
        if binds_on_server(connection):
            return insert_bound(connection, _insert_sql(alias), params)
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(alias), params)
            return int(cursor.fetchone()[0])
    except DatabaseError as exc:
        raise _explained(exc, alias) from exc


def _explained(exc: DatabaseError, alias: str) -> DatabaseError:
    """``exc``, or when the event table is missing, the same kind of error
    saying to run ``migrate`` (the databases word it differently; each
    names the table)."""
    text = str(exc).lower()
    missing = ("does not exist", "no such table", "doesn't exist")
    if Event._meta.db_table in text and any(words in text for words in missing):
        return type(exc)(
            f"django-sse's event log ({Event._meta.db_table}) is not in the "
            f"{alias!r} database: run `python manage.py migrate` ({exc})"
        )
    return exc


@functools.cache
def _insert_sql(alias: str) -> str:
    """The INSERT of ``_insert``, quoted for the alias's database (built once)."""
    quote = connections[alias].ops.quote_name
    table = quote(Event._meta.db_table)
    columns = ", ".join(quote(name) for name in ("topic", "event", "data", "created_at", "trace"))
    return f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s) RETURNING {quote('id')}"


# Called after every local commit that published: this process's hubs
# are woken at once, without waiting for the broker's round trip or the
# next poll (``hubs.py`` registers them when the first one starts).
_local_wakers: list[Callable[[], None]] = []


def wake_after_local_commits(wake: Callable[[], None]) -> None:
    """Call ``wake()`` after every commit in this process that published."""
    if wake not in _local_wakers:
        _local_wakers.append(wake)


def _after_commit() -> None:
    """The events are committed: a failing wake-up is logged and counted,
    never raised to a caller who would publish them again (the hubs' safety
    read still delivers them)."""
    for wake in _local_wakers:
        wake()
    try:
        broker_class().after_commit()
    except Exception as exc:  # logged once a minute, the repeats counted in the line
        log_event(
            "sse.publish.wake_failed",
            "committed events were published, but the broker could not wake the "
            "server processes; they read the log on their next safety read",
            error=describe(exc),
            exc_info=True,
        )


def _wake_on_commit(alias: str) -> None:
    transaction.on_commit(_after_commit, using=alias)


def _unlogged_broker(topic: str, broker: type[Broker] | None = None) -> type[Broker] | None:
    """The broker that carries ``topic``'s events itself (retention
    ``none``: ``django_sse.unlogged``), or None: they go into the log."""
    broker = broker or broker_class()
    if broker.carries_events and retention(topic) == "none":
        return broker
    return None


def publish(topic: str, data: Any = None, *, event: str | None = None) -> int:
    """Append one event to the log and return its id.

    Call it from anywhere: a view, the admin, ``manage.py shell``, a worker.
    Inside ``transaction.atomic()`` the event is delivered when the
    transaction commits, and never if it rolls back.

    An event of a topic with retention ``none`` is not written to the log
    where the broker can carry it (``postgres``, ``redis``, ``memory``):
    it is delivered the same way, and the id returned is 0.
    """
    alias = _alias()
    checked = _checked(topic, data, event)
    broker = _unlogged_broker(topic)
    if broker is not None:
        broker.send_unlogged(alias, [unlogged.encode(*checked)])
        return 0
    if tracing.enabled():
        with tracing.publish_span([topic]) as (span, traceparent):
            event_id = _insert(alias, *checked, traceparent)
            span.set_attribute("messaging.message.id", str(event_id))
    else:
        event_id = _insert(alias, *checked)
    _wake_on_commit(alias)
    return event_id


def publish_many(items: Iterable[tuple[str, Any, str | None]]) -> list[int]:
    """Append many ``(topic, data, event)`` events in one bulk insert
    (events of ``none`` topics as ``publish()`` says: their ids are 0)."""
    alias = _alias()
    checked = [_checked(*item) for item in items]
    broker = broker_class()
    carriers = {topic: _unlogged_broker(topic, broker) for topic in {t for t, _, _ in checked}}
    brokers = [carriers[topic] for topic, _, _ in checked]
    rows = [
        Event(topic=topic, event=name, data=text)
        for (topic, name, text), carrier in zip(checked, brokers, strict=True)
        if carrier is None
    ]
    messages = [
        unlogged.encode(*item)
        for item, carrier in zip(checked, brokers, strict=True)
        if carrier is not None
    ]
    with contextlib.ExitStack() as stack:
        if tracing.enabled() and rows:
            _, traceparent = stack.enter_context(
                tracing.publish_span(sorted({row.topic for row in rows}), len(rows))
            )
            for row in rows:
                row.trace = traceparent
        with transaction.atomic(using=alias):
            if messages:
                broker.send_unlogged(alias, messages)
            if rows:
                try:
                    Event.objects.using(alias).bulk_create(rows, batch_size=1000)
                except DatabaseError as exc:
                    raise _explained(exc, alias) from exc
                _wake_on_commit(alias)
    ids = iter(row.id for row in rows)
    return [0 if carrier is not None else next(ids) for carrier in brokers]


def publish_batch(topic: str, items: Sequence[Any], *, event: str | None = None) -> int:
    """Append ``items`` as one row that is sent as one event each (the
    token streams of ``stream_to``: few rows, and a client that drops
    mid-batch resumes after the last event it got, exactly once)."""
    if not 0 < len(items) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} events, not {len(items)}")
    checked = [_checked(topic, item, event) for item in items]
    alias = _alias()
    event_id = _insert(alias, topic, BATCH + (event or ""), json.dumps([t for _, _, t in checked]))
    _wake_on_commit(alias)
    return event_id


def atomic() -> transaction.Atomic:
    """A transaction on django-sse's database (``DJANGO_SSE_DATABASE``):
    the rows you write through django-sse's models and the events you
    publish in it commit together."""
    return transaction.atomic(using=_alias())


def publish_html(
    topic: str,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    event: str | None = "message",
) -> int:
    """Render a template and publish the HTML, for htmx. htmx 2's SSE
    extension swaps events by name (``sse-swap="<event>"``); htmx 4's swaps
    unnamed ones into the ``hx-sse:connect`` element: ``event=None``. The
    template engine escapes the context as usual."""
    from django.template.loader import render_to_string

    return publish(topic, render_to_string(template_name, context), event=event)


def revoke(user: Any, topic: str | None = None) -> None:
    """End, at once and in every server process, the streams of ``user``
    (a user or a pk) that carry ``topic``, or all their streams when
    ``topic`` is None. Call it after withdrawing access: clients reconnect
    and are authorized again (and refused, or resume from their cursor).

    Like ``publish()``, it takes effect when the transaction commits, and
    not at all if it rolls back."""
    pk = str(getattr(user, "pk", user))
    topic = None if topic is None else validate_topic(topic)
    publish(CONTROL_TOPIC, {"user": pk, "topic": topic}, event="revoke")


apublish = sync_to_async(publish)
apublish.__doc__ = "``publish()`` for async code (runs the ORM in a thread)."


def mark_late(rows: Sequence[Row]) -> int:
    return publish(CONTROL_TOPIC, {"events": [[row.id, row.topic] for row in rows]}, event=LATE)
