"""Per-user notifications: ``notify()`` and the events that keep pages live.

Every change is published on the recipient's private topic ``user:<pk>``
in the same transaction as the change:

- ``notification``: a new notification (``Notification.as_event()``);
- ``notification-updated``: ``{"ids": [...], "state": "read" | "unread" |
  "dismissed" | "changed", "items": [...]}`` (other tabs stay in sync);
- ``unread-count``: ``{"unread_count": n}`` after anything that changes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models

from django_sse.contrib.notifications.models import Notification, publish_changes
from django_sse.contrib.notifications.signals import notification_created
from django_sse.eventlog import atomic


def _recipient_ids(recipient: Any) -> list[Any]:
    User = get_user_model()
    if isinstance(recipient, User):
        return [recipient.pk]
    if isinstance(recipient, Group):
        return list(recipient.user_set.values_list("pk", flat=True))
    if isinstance(recipient, models.QuerySet):
        if recipient.model is not User:
            raise TypeError(f"notify() needs a queryset of users, not of {recipient.model}")
        return list(recipient.values_list("pk", flat=True))
    if isinstance(recipient, Iterable) and not isinstance(recipient, str | bytes):
        ids = []
        for item in recipient:
            if not isinstance(item, User):
                raise TypeError(f"notify() recipients must be users, not {type(item).__name__}")
            ids.append(item.pk)
        return ids
    raise TypeError(
        "notify() recipient must be a user, a queryset of users, a Group or an iterable of users"
    )


def notify(
    recipient: Any,
    title: str,
    *,
    body: str = "",
    level: str = "info",
    url: str = "",
    actor: models.Model | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> list[Any]:
    """Create a notification for each recipient and push it to their pages.

    ``recipient``: a user, a queryset of users, a ``Group`` or an iterable
    of users. One call uses bulk inserts in one transaction, however many
    recipients; the events reach open pages when it commits.
    """
    template = Notification(
        title=title, body=body, level=level, url=url, data=data or {}, actor=actor, target=target
    )
    template.full_clean(exclude=["recipient"])
    fields = {f.attname: getattr(template, f.attname) for f in Notification._meta.concrete_fields}
    fields.pop("id")
    ids = _recipient_ids(recipient)
    with atomic():
        created = Notification.objects.bulk_create(
            [Notification(**{**fields, "recipient_id": uid}) for uid in ids], batch_size=1000
        )
        publish_changes((n.recipient_id, "notification", n.as_event()) for n in created)
    notification_created.send(sender=Notification, notifications=created)
    return created
