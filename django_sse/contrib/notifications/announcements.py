"""Site-wide and group banners, staff-posted from the admin.

An announcement is shown from ``starts_at`` to ``ends_at`` to everyone
(site-wide: signed-in or not) or to the members of one group, until each
user dismisses it (remembered per user; per browser for anonymous
visitors). It appears on open pages at its start and leaves them at its
end: every server process looks once a second (a periodic query of the
hub, registered in ``apps.py``), and a conditional write lets exactly one
of them publish each start and end.

Events: ``announcement`` (``Announcement.as_event()``) and
``announcement-ended`` (``{"id": ...}``) on the topic ``announcements``
(site-wide) or ``group:+<pk>`` (a group's).
"""

from __future__ import annotations

import functools
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Q, QuerySet
from django.utils import timezone

from django_sse.contrib.notifications.models import Announcement
from django_sse.eventlog import atomic, publish
from django_sse.topics import group_topic

SITE_TOPIC = "announcements"
LOOK_EVERY = 1.0  # seconds


def topic_of(announcement: Announcement) -> str:
    return SITE_TOPIC if announcement.group_id is None else group_topic(announcement.group)


def running_for(user: Any) -> QuerySet[Announcement]:
    """What runs now for ``user``: for everyone or one of their groups."""
    now = timezone.now()
    running = Announcement.objects.filter(starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if not user.is_authenticated:
        return running.filter(group__isnull=True)
    return running.filter(Q(group__isnull=True) | Q(group__in=user.groups.all()))


def visible_to(user: Any) -> QuerySet[Announcement]:
    """What ``user`` sees now: running for them, not dismissed by them."""
    running = running_for(user)
    if user.is_authenticated:
        running = running.exclude(dismissals__user=user)
    return running.order_by("-starts_at")


def dismissed_by(user: Any) -> list[int]:
    """The running announcements ``user`` closed: a page keeps them closed
    when their start event arrives after the page (it is published up to
    ``LOOK_EVERY`` after the start, and replayed on reconnect)."""
    if not user.is_authenticated:
        return []
    return list(running_for(user).filter(dismissals__user=user).values_list("pk", flat=True))


@functools.cache
def _due_sql() -> str:
    """``any_due``'s query: one row if a start or an end is due."""
    quote = connection.ops.quote_name
    table = quote(Announcement._meta.db_table)
    starts, ends, started, ended = (
        quote(str(cast("Field[Any, Any]", Announcement._meta.get_field(name)).column))
        for name in ("starts_at", "ends_at", "start_published", "end_published")
    )
    return (
        f"SELECT 1 FROM {table} WHERE ({starts} <= %s AND {started} = %s"
        f" AND ({ends} IS NULL OR {ends} > %s))"
        f" OR ({ends} <= %s AND {started} = %s AND {ended} = %s)"
    )


def any_due() -> bool:
    """Whether ``publish_due`` has anything to publish: the question every
    process asks once a second, in SQL built once. Through the ORM the
    question cost 1 ms of CPU a second in every idle process, 10x this
    (bench/RESULTS.md, run 31)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = f"{_due_sql()} {connection.ops.limit_offset_sql(0, 1)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, False, now, now, True, False])
        return cursor.fetchone() is not None


def publish_due() -> list[tuple[str, int]]:
    """Publish the starts and ends that are due and not yet published.
    Returns what was published, as ``("start" | "end", id)``."""
    if not any_due():
        return []
    now = timezone.now()
    done = []
    # One query a second for both (every server process runs it): those due
    # to start, and those due to end that reached pages; one that ended
    # unseen stays quiet.
    starting = Q(starts_at__lte=now, start_published=False) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    ending = Q(ends_at__lte=now, start_published=True, end_published=False)
    for item in Announcement.objects.filter(starting | ending).select_related("group")[:200]:
        with atomic():
            if not item.start_published:
                if Announcement.objects.filter(pk=item.pk, start_published=False).update(
                    start_published=True
                ):
                    publish(topic_of(item), item.as_event(), event="announcement")
                    done.append(("start", item.pk))
            elif Announcement.objects.filter(pk=item.pk, end_published=False).update(
                end_published=True
            ):
                publish(topic_of(item), {"id": item.pk}, event="announcement-ended")
                done.append(("end", item.pk))
    return done
