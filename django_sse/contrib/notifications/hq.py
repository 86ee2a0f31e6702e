"""Coming from django-notifications (``notifications``, "hq"): its
``notify.send()``, and the mapping of its rows onto django-sse's.

``notify.send(actor, recipient=..., verb=..., ...)`` takes what hq's
takes and makes django-sse notifications (``delivery.notify``): the bell
shows them at commit. The text is hq's ("Alice commented on Ticket 4"),
the title of the notification; ``description`` is its body. What has no
column of its own is kept in ``data``: ``verb``, ``action_object`` (its
type, id and text), ``public``, and every other keyword, as hq keeps
them. ``manage.py sse_import_notifications_hq`` writes hq's stored rows
the same way (``from_hq``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import Signal
from django.utils.text import Truncator

from django_sse.contrib.notifications.delivery import notify as deliver
from django_sse.contrib.notifications.models import Notification
from django_sse.eventlog import atomic

notify = Signal()

LEVELS = {choice.value for choice in Notification.Level}
TITLE_LENGTH = Notification._meta.get_field("title").max_length or 200


def text_of(actor: Any, verb: str, action_object: Any = None, target: Any = None) -> str:
    """hq's sentence for a notification, without its "... ago"."""
    words = [str(actor), str(verb)]
    if action_object is not None:
        words.append(str(action_object))
    if target is not None:
        words += ["on", str(target)] if action_object is not None else [str(target)]
    text = " ".join(" ".join(words).split())
    return Truncator(text).chars(TITLE_LENGTH)


def reference(obj: models.Model | None) -> dict[str, str] | None:
    """An object as ``data`` keeps it: its type, id and text."""
    if obj is None:
        return None
    return {"type": obj._meta.label_lower, "id": str(obj.pk), "text": str(obj)}


def _model(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, models.Model):
        raise TypeError(f"notify.send(): {name} must be a model instance, not {value!r}")
    return value


def _send(
    sender: Any,
    *,
    recipient: Any = None,
    verb: str = "",
    action_object: Any = None,
    target: Any = None,
    description: str | None = None,
    level: str = "info",
    public: bool = True,
    timestamp: datetime | None = None,
    data: dict[str, Any] | None = None,
    **extra: Any,
) -> list[Notification]:
    extra.pop("signal", None)
    if recipient is None:
        raise TypeError("notify.send() needs recipient= (a user, a group, a queryset or a list)")
    actor = _model("the sender (the actor)", sender)
    _model("action_object", action_object)
    _model("target", target)
    if level not in LEVELS:
        raise ValueError(f"notify.send(): level must be one of {sorted(LEVELS)}, not {level!r}")
    kept = {key: value for key, value in extra.items() if not key.endswith("_for_concrete_model")}
    kept.update(data or {})
    kept.update(verb=str(verb), public=bool(public))
    if action_object is not None:
        kept["action_object"] = reference(action_object)
    with atomic():
        made = deliver(
            recipient,
            text_of(actor, verb, action_object, target),
            body=description or "",
            level=level,
            actor=actor,
            target=target,
            data=kept,
        )
        if timestamp is not None and made:
            Notification.objects.filter(pk__in=[n.pk for n in made]).update(created_at=timestamp)
            for item in made:
                item.created_at = timestamp
    return made


notify.connect(_send, dispatch_uid="django_sse.hq.notify")


def from_hq(row: Any) -> Notification:
    """A django-sse notification (unsaved) for one of hq's rows: its text,
    description, level, actor, target, time, read state, deletion, and
    ``data`` with ``hq_id`` (what makes the import idempotent). It counts
    as emailed (``emailed_at``): history is not mailed again."""
    action_object = row.action_object
    data = {
        **(row.data if isinstance(row.data, dict) else {}),
        "hq_id": row.pk,
        "verb": row.verb,
        "public": row.public,
    }
    if row.action_object_content_type_id is not None:
        data["action_object"] = {
            "type": _label(row.action_object_content_type_id),
            "id": str(row.action_object_object_id),
            "text": "" if action_object is None else str(action_object),
        }
    actor, target = row.actor, row.target
    level = row.level if row.level in LEVELS else "info"
    return Notification(
        recipient_id=row.recipient_id,
        title=text_of(
            _or_missing(actor, row.actor_object_id),
            row.verb,
            None if row.action_object_content_type_id is None else (action_object or "?"),
            None if row.target_content_type_id is None else (target or "?"),
        ),
        body=row.description or "",
        level=level,
        actor_content_type_id=row.actor_content_type_id,
        actor_object_id=str(row.actor_object_id),
        target_content_type_id=row.target_content_type_id,
        target_object_id=row.target_object_id,
        data=data,
        created_at=row.timestamp,
        read_at=None if row.unread else row.timestamp,
        deleted=row.deleted,
        emailed_at=row.timestamp,
    )


def _or_missing(obj: Any, object_id: Any) -> Any:
    return f"#{object_id}" if obj is None else obj


def _label(content_type_id: int) -> str:
    model = ContentType.objects.get_for_id(content_type_id)
    return f"{model.app_label}.{model.model}"
