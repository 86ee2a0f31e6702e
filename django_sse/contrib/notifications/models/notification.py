"""Per-user notifications (``delivery.notify()`` creates them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.signals import notification_read
from django_sse.eventlog import publish_many
from django_sse.topics import user_topic


def validate_link(value: str) -> None:
    """A notification link is a local path or an http(s) URL: never
    ``javascript:`` or another scheme that would run code when clicked."""
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(schemes=["http", "https"])(value)


UNREAD_CAP = 1000


class NotificationQuerySet(models.QuerySet["Notification"]):
    def history(
        self,
        *,
        before: int | None = None,
        unread: bool = False,
        level: str | None = None,
        type: str | None = None,
        archived: bool = False,
    ) -> NotificationQuerySet:
        """Newest first, from just before the cursor ``before`` (an id):
        paging by cursor, so page 50,000 costs what page 1 costs."""
        qs = self.archived() if archived else self.unread() if unread else self.active()
        if level:
            qs = qs.filter(level=level)
        if type:
            qs = qs.filter(type=type)
        if before is not None:
            qs = qs.filter(id__lt=before)
        return qs.order_by("-id")

    def active(self) -> NotificationQuerySet:
        """In the inbox: not dismissed, archived or snoozed."""
        return self.filter(deleted=False, archived_at__isnull=True, snoozed_until__isnull=True)

    def unread(self) -> NotificationQuerySet:
        return self.active().filter(read_at__isnull=True)

    def unseen(self) -> NotificationQuerySet:
        """Unread, and not yet shown in an opened panel (``mark_seen``)."""
        return self.unread().filter(seen_at__isnull=True)

    def archived(self) -> NotificationQuerySet:
        return self.filter(deleted=False, archived_at__isnull=False)

    def badge_count(self) -> int:
        """The number the bell shows: unread, or unseen
        (``DJANGO_SSE_NOTIFICATION_BADGE``), capped as ``unread_count``."""
        qs = self.unseen() if conf.DJANGO_SSE_NOTIFICATION_BADGE == "unseen" else self.unread()
        return qs.values("pk")[:UNREAD_CAP].count()

    def unread_count(self) -> int:
        """How many are unread, counted up to ``UNREAD_CAP``: the bell shows
        "99+" long before, and a user with a million unread costs what one
        with a thousand does."""
        return self.unread().values("pk")[:UNREAD_CAP].count()

    def read(self) -> NotificationQuerySet:
        return self.active().filter(read_at__isnull=False)

    def mark_seen(self) -> int:
        """The panel was opened: the unseen ones are seen (still unread)."""
        return self.unseen()._change("seen", seen_at=timezone.now())

    def archive(self) -> int:
        """Out of the inbox, kept (``archived()``; ``unarchive`` brings it back)."""
        return self.filter(deleted=False, archived_at__isnull=True)._change(
            "archived", archived_at=timezone.now(), snoozed_until=None
        )

    def unarchive(self) -> int:
        return self.archived()._change("unarchived", archived_at=None)

    def snooze(self, until: Any) -> int:
        """Out of the inbox until ``until``, then back as new (``wake_snoozed``)."""
        return self.active()._change("snoozed", snoozed_until=until, seen_at=None)

    def mark_all_read(self) -> int:
        """Mark the unread ones read; open pages of their recipients follow."""
        return self.unread()._change("read", read_at=timezone.now())

    def mark_unread(self) -> int:
        return self.read()._change("unread", read_at=None)

    def dismiss(self) -> int:
        return self.active()._change("dismissed", deleted=True)

    def _change(self, state: str, **values: Any) -> int:
        with transaction.atomic(using=self.db):
            rows = list(self.select_for_update().values_list("id", "recipient_id"))
            if not rows:
                return 0
            Notification.objects.using(self.db).filter(id__in=[i for i, _ in rows]).update(**values)
            by_user: dict[Any, list[int]] = {}
            for notification_id, user_id in rows:
                by_user.setdefault(user_id, []).append(notification_id)
            publish_changes(
                (user_id, "notification-updated", {"ids": ids, "state": state})
                for user_id, ids in by_user.items()
            )
        if state == "read":
            for user_id, ids in by_user.items():
                notification_read.send(sender=Notification, user_id=user_id, ids=ids)
        return len(rows)


class Notification(models.Model):
    """A message for one user, shown live by ``{% sse_notifications %}``."""

    class Level(models.TextChoices):
        INFO = "info", _("Info")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sse_notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    url = models.CharField(max_length=500, blank=True, validators=[validate_link])
    actor_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor_object_id = models.CharField(max_length=64, null=True, blank=True)
    actor = GenericForeignKey("actor_content_type", "actor_object_id")
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_object_id = models.CharField(max_length=64, null=True, blank=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    # The inbox states beside read: shown in an opened panel, archived,
    # snoozed until a time (then back as new).
    seen_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # notify(user, "<type key>", context=...): the registered type.
    type = models.CharField(max_length=50, blank=True)
    # notify(..., collapse=...): the key, and how many it stands for.
    collapse_key = models.CharField(max_length=200, blank=True)
    # Set when an email (alone or in a digest) took it: never two emails.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Sends of its own email that failed, and when to try it again.
    email_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    email_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    count = models.PositiveIntegerField(default=1)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # "my latest 20" and "my unread": one index range scan each.
            models.Index(
                fields=["recipient", "-id"],
                condition=models.Q(deleted=False),
                name="django_sse_notif_latest",
            ),
            models.Index(
                fields=["recipient", "-id"],
                condition=models.Q(deleted=False, read_at__isnull=True),
                name="django_sse_notif_unread",
            ),
            # The history filtered by level: a rare level is found without
            # walking past every other one.
            models.Index(
                fields=["recipient", "level", "-id"],
                condition=models.Q(deleted=False),
                name="django_sse_notif_level",
            ),
            models.Index(
                fields=["recipient", "type", "-id"],
                condition=models.Q(deleted=False),
                name="django_sse_notif_type",
            ),
            # The unread item a new notification with the same key updates.
            models.Index(
                fields=["recipient", "collapse_key"],
                condition=models.Q(deleted=False, read_at__isnull=True)
                & ~models.Q(collapse_key=""),
                name="django_sse_notif_collapse",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def as_event(self) -> dict[str, Any]:
        """What pages receive (and the JSON API lists)."""
        return {
            "id": self.pk,
            "title": self.title,
            "body": self.body,
            "level": self.level,
            "url": self.url,
            "data": self.data,
            "created_at": self.created_at,
            "read": self.read_at is not None,
            "seen": self.seen_at is not None or self.read_at is not None,
            # What the bell offers: watch the target, mute the actor (or target).
            "has_target": self.target_content_type_id is not None,
            "has_actor": self.actor_content_type_id is not None,
            "count": self.count,
            "type": self.type,
        }


def unread_counts(user_ids: Iterable[Any], which: str = "unread") -> dict[Any, int]:
    """Each user's unread (or ``"unseen"``) count, capped at ``UNREAD_CAP``."""
    ids = list(user_ids)
    if len(ids) == 1:  # the common case (one recipient): the capped count
        mine = getattr(Notification.objects.filter(recipient_id=ids[0]), which)()
        return {ids[0]: mine.values("pk")[:UNREAD_CAP].count()}
    counts = dict.fromkeys(ids, 0)
    rows = (
        getattr(Notification.objects, which)()
        .filter(recipient_id__in=ids)
        .values("recipient_id")
        .annotate(n=models.Count("id"))
        .values_list("recipient_id", "n")
    )
    counts.update({user: min(n, UNREAD_CAP) for user, n in rows})
    return counts


def badge_of(badges: dict[Any, int], user_id: Any) -> dict[str, int]:
    """``{"badge": n}`` when the bell counts unseen ones, else nothing."""
    return {"badge": badges[user_id]} if user_id in badges else {}


def publish_changes(items: Iterable[tuple[Any, str, dict[str, Any]]]) -> None:
    """Publish ``(user_id, event, data)`` triples, then each user's count."""
    items = list(items)
    users = {user_id for user_id, _, _ in items}
    counts = unread_counts(users)
    # The bell's number, if it is not the unread count: the unseen count
    # (DJANGO_SSE_NOTIFICATION_BADGE = "unseen").
    unseen = conf.DJANGO_SSE_NOTIFICATION_BADGE == "unseen"
    badges = unread_counts(users, "unseen") if unseen else {}
    events = [(user_topic(uid), data, event) for uid, event, data in items]
    events += [
        (user_topic(uid), {"unread_count": n, **badge_of(badges, uid)}, "unread-count")
        for uid, n in counts.items()
    ]
    publish_many(events)
