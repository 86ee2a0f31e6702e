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

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from django_sse.contrib.notifications.models import Announcement
from django_sse.eventlog import atomic, publish
from django_sse.topics import group_topic

SITE_TOPIC = "announcements"
LOOK_EVERY = 1.0  # seconds


def topic_of(announcement: Announcement) -> str:
    return SITE_TOPIC if announcement.group_id is None else group_topic(announcement.group)


def visible_to(user: Any) -> QuerySet[Announcement]:
    """What ``user`` sees now: running, for everyone or one of their
    groups, not dismissed by them."""
    now = timezone.now()
    running = Announcement.objects.filter(starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if not user.is_authenticated:
        return running.filter(group__isnull=True).order_by("-starts_at")
    mine = Q(group__isnull=True) | Q(group__in=user.groups.all())
    return running.filter(mine).exclude(dismissals__user=user).order_by("-starts_at")


def publish_due() -> list[tuple[str, int]]:
    """Publish the starts and ends that are due and not yet published.
    Returns what was published, as ``("start" | "end", id)``."""
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
