"""Presence: who is viewing a topic, for the topics a project opts in
(``hooks.register_presence("doc:*")``).

A viewer of ``doc:42`` is an open stream that carries ``doc:42``. Every
server process writes its viewers of opted-in topics (``Viewer`` rows: per
process, topic and user; anonymous streams counted together) once a
second when they change, and every change that alters who is there is
published as a ``presence`` event on the topic itself (unless its
retention is "latest": its one kept event is its value) and on
``presence:doc:42``::

    {"topic": "doc:42", "count": 3, "users": [{"id": 7, "name": "ada"}, ...],
     "joined": [...], "left": [...]}

``count`` is every stream (anonymous too), ``users`` the signed-in users
(at most ``MAX_USERS``, as the ``describe`` hook shows them). Changes are
debounced: a process keeps a user's row ``LEAVE_AFTER`` seconds after
their last stream closed, so a reload, or a reconnect to another process,
is neither a leave nor a join. Writes for one topic are serialised by a
lock on its ``ViewedTopic`` row, so two processes never both announce the
same join. Rows of a process that stopped without a word are removed
after ``STALE_AFTER`` seconds (and their users announced as left).

``presence:<topic>`` keeps only its latest event (a new viewer of the
presence gets the state at once) and is readable by whoever may
subscribe to ``<topic>``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from django_sse import hooks
from django_sse.conf import conf
from django_sse.eventlog import publish_many
from django_sse.logs import log_event
from django_sse.models import ViewedTopic, Viewer
from django_sse.presence import PROCESS
from django_sse.topics import retention

if TYPE_CHECKING:
    from django_sse.hub import Hub

PREFIX = "presence:"
EVENT = "presence"
TICK = 1.0  # seconds between two looks at this process's viewers
LEAVE_AFTER = 3.0  # seconds a user stays after their last stream closed
STALE_AFTER = 15.0  # seconds without a refresh after which a process's rows go
REFRESH_EVERY = 5.0  # seconds between two refreshes of this process's rows
MAX_USERS = 100  # users listed in an event (``count`` counts everyone)
ANONYMOUS = ""  # the user key of anonymous streams' row


def presence_topic(topic: str) -> str:
    return PREFIX + topic


def viewers_of(topic: str) -> dict[str, Any]:
    """Who views ``topic`` now: ``{"topic", "count", "users"}``."""
    rows = _fresh().filter(topic=topic).values_list("user_key", "streams")
    return _state(topic, list(rows))


def _fresh() -> Any:
    horizon = timezone.now() - timedelta(seconds=STALE_AFTER)
    return Viewer.objects.using(conf.DJANGO_SSE_DATABASE).filter(seen_at__gte=horizon)


def _state(topic: str, rows: list[tuple[str, int]]) -> dict[str, Any]:
    keys = sorted({key for key, _ in rows if key != ANONYMOUS})
    return {"topic": topic, "count": sum(n for _, n in rows), "users": _describe(keys)}


def _describe(keys: list[str]) -> list[dict[str, Any]]:
    if not keys:
        return []
    describe = hooks.presence_describer()
    users = get_user_model().objects.filter(pk__in=keys[:MAX_USERS]).order_by("pk")
    return [describe(user) for user in users]


def local_viewers(hub: Hub) -> dict[tuple[str, str], int]:
    """This process's streams per (tracked topic, user key)."""
    counts: Counter[tuple[str, str]] = Counter()
    for topic, subs in list(hub.registry.by_topic.items()):
        if subs and hooks.has_presence(topic):
            for sub in subs:
                counts[topic, sub.user_key or ANONYMOUS] += 1
    return dict(counts)


def write(topic: str, mine: dict[str, int]) -> dict[str, Any] | None:
    """Make this process's rows of ``topic`` say ``mine`` (streams per user
    key; a key absent is gone), and publish what changed; the state
    published, if any."""
    db = conf.DJANGO_SSE_DATABASE
    with transaction.atomic(using=db):
        ViewedTopic.objects.using(db).get_or_create(topic=topic)
        ViewedTopic.objects.using(db).select_for_update().filter(topic=topic).first()
        rows = _fresh().filter(topic=topic)
        every = Viewer.objects.using(db).filter(topic=topic)
        before = list(every.values_list("user_key", "streams"))  # the stale ones leave now
        every.exclude(pk__in=list(rows.values_list("pk", flat=True))).delete()
        Viewer.objects.using(db).filter(process=PROCESS, topic=topic).exclude(
            user_key__in=list(mine)
        ).delete()
        now = timezone.now()
        for key, streams in mine.items():
            Viewer.objects.using(db).update_or_create(
                process=PROCESS,
                topic=topic,
                user_key=key,
                defaults={"streams": streams, "seen_at": now},
            )
        after = list(rows.values_list("user_key", "streams"))
        return _announce(topic, before, after)


def _announce(
    topic: str, before: list[tuple[str, int]], after: list[tuple[str, int]]
) -> dict[str, Any] | None:
    had = {key for key, _ in before} - {ANONYMOUS}
    has = {key for key, _ in after} - {ANONYMOUS}
    count = sum(n for _, n in after)
    if had == has and count == sum(n for _, n in before):
        return None
    state = _state(topic, after)
    state["joined"] = _describe(sorted(has - had))
    state["left"] = _describe(sorted(had - has))
    events = [(presence_topic(topic), state, EVENT)]
    if retention(topic) != "latest":  # a "latest" topic's one kept event is its value
        events.append((topic, state, EVENT))
    publish_many(events)
    return state


def sweep(written: dict[str, dict[str, int]]) -> int:
    """Remove stale rows (of processes that stopped without a word),
    announcing who left; ``written`` is this process's rows, kept. The
    number of topics swept."""
    horizon = timezone.now() - timedelta(seconds=STALE_AFTER)
    rows = Viewer.objects.using(conf.DJANGO_SSE_DATABASE).filter(seen_at__lt=horizon)
    topics = set(rows.values_list("topic", flat=True))
    for topic in topics:
        write(topic, written.get(topic, {}))
    return len(topics)


def refresh() -> int:
    """Mark this process's rows fresh; how many there were."""
    return (
        Viewer.objects.using(conf.DJANGO_SSE_DATABASE)
        .filter(process=PROCESS)
        .update(seen_at=timezone.now())
    )


class Tracker:
    """This process's side: what it last wrote, and users whose last
    stream closed (written as gone ``LEAVE_AFTER`` later)."""

    def __init__(self) -> None:
        self.written: dict[str, dict[str, int]] = {}
        self.closed_at: dict[tuple[str, str], float] = {}
        self.refreshed = time.monotonic()

    def changes(
        self, now_viewing: dict[tuple[str, str], int], now: float
    ) -> dict[str, dict[str, int]]:
        """Per topic, the rows to write (only topics that changed)."""
        wanted: dict[str, dict[str, int]] = {}
        for (topic, key), streams in now_viewing.items():
            wanted.setdefault(topic, {})[key] = streams
            self.closed_at.pop((topic, key), None)
        for topic, rows in self.written.items():
            for key, streams in rows.items():
                if (topic, key) in now_viewing:
                    continue
                closed = self.closed_at.setdefault((topic, key), now)
                if now - closed < LEAVE_AFTER:  # a reload comes back in time
                    wanted.setdefault(topic, {})[key] = streams
                else:
                    del self.closed_at[topic, key]
        topics = set(wanted) | set(self.written)
        return {t: wanted.get(t, {}) for t in topics if wanted.get(t, {}) != self.written.get(t)}


async def viewers_loop(hub: Hub) -> None:
    """Write this process's viewers when they change; refresh its rows and
    sweep others' stale ones now and then."""
    tracker = Tracker()
    while True:
        await asyncio.sleep(TICK)
        if not hooks.presence_patterns():
            continue
        try:
            now = time.monotonic()
            for topic, rows in tracker.changes(local_viewers(hub), now).items():
                await hub.query(write, topic, rows)
                if rows:
                    tracker.written[topic] = rows
                else:
                    tracker.written.pop(topic, None)
            if now - tracker.refreshed >= REFRESH_EVERY:
                tracker.refreshed = now
                if await hub.query(refresh) < sum(map(len, tracker.written.values())):
                    tracker.written = {}  # swept while this process stalled: write again
                await hub.query(sweep, {t: dict(r) for t, r in tracker.written.items()})
        except Exception:
            log_event(
                "sse.presence.failed",
                "writing who views which topic failed; it is tried again",
                exc_info=True,
                key="viewers",
            )
