"""Who gets a notification on which channel: per user x type x channel,
the type's defaults unless the user chose otherwise, never for a required
type's default channels switched off, and nothing about an object the user
has muted (its target or its actor). Every check is one query for all
recipients, however many. Users may also watch an object (``watch``):
``watchers(obj)`` are the recipients a project notifies about it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import Mute, NotificationPreference, Watch
from django_sse.contrib.notifications.types import CHANNELS, NotificationType, all_types, get_type

MAX_MUTE = timedelta(days=365)


def delivered() -> tuple[str, ...]:
    """The channels that send anything: web push only with a VAPID key,
    chat only with services to post to."""
    off = set()
    if not conf.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY:
        off.add("push")
    if not conf.DJANGO_SSE_CHAT_SERVICES:
        off.add("chat")
    return tuple(c for c in CHANNELS if c not in off)


def is_on(kind: NotificationType, channel: str, choice: bool | None) -> bool:
    if kind.required and channel in kind.channels:
        return True
    return (channel in kind.channels) if choice is None else choice


def recipients(
    ids: list[Any],
    kind: NotificationType | None,
    channel: str,
    target: models.Model | None,
    actor: models.Model | None = None,
) -> list[Any]:
    """The ``ids`` who get it on ``channel``: by their choices for the type
    (free-form notifications have none), minus those muting its target or
    its actor."""
    chosen: dict[Any, bool] = {}
    if kind is not None and not (kind.required and channel in kind.channels):
        chosen = dict(
            NotificationPreference.objects.filter(
                user_id__in=ids, type=kind.key, channel=channel
            ).values_list("user_id", "enabled")
        )
    muted: set[Any] = set()
    about = [obj for obj in (target, actor) if obj is not None]
    if about and not (kind is not None and kind.required):
        muted = set(
            Mute.objects.filter(
                models.Q(user_id__in=ids, until__gt=timezone.now()) & _any_of(about)
            ).values_list("user_id", flat=True)
        )
    return [
        uid
        for uid in ids
        if uid not in muted and (kind is None or is_on(kind, channel, chosen.get(uid)))
    ]


def _any_of(objects: list[models.Model]) -> models.Q:
    """A mute (or watch) of any of ``objects``."""
    found = models.Q()
    for obj in objects:
        found |= models.Q(
            target_content_type=ContentType.objects.get_for_model(obj),
            target_object_id=str(obj.pk),
        )
    return found


def watch(user: Any, obj: models.Model) -> Watch:
    """``user`` follows ``obj`` ("this thread"): ``watchers(obj)`` has them."""
    item, _ = Watch.objects.get_or_create(
        user=user,
        target_content_type=ContentType.objects.get_for_model(obj),
        target_object_id=str(obj.pk),
    )
    return item


def unwatch(user: Any, obj: models.Model) -> int:
    return Watch.objects.filter(user_id=user.pk).filter(_any_of([obj])).delete()[0]


def watchers(obj: models.Model) -> models.QuerySet[Any]:
    """The users who watch ``obj``, for ``notify(watchers(post), ...)``."""
    watching = Watch.objects.filter(_any_of([obj])).values("user_id")
    return get_user_model().objects.filter(pk__in=watching)


def table(user: Any) -> list[dict[str, Any]]:
    """Every type with the user's state on every channel (for the page and API)."""
    chosen = {
        (p.type, p.channel): p.enabled for p in NotificationPreference.objects.filter(user=user)
    }
    return [
        {
            "key": kind.key,
            "name": str(kind.verbose_name),
            "required": kind.required,
            "channels": {
                channel: is_on(kind, channel, chosen.get((kind.key, channel)))
                for channel in CHANNELS
            },
            "locked": [c for c in CHANNELS if kind.required and c in kind.channels],
        }
        for kind in all_types()
    ]


def choose(user: Any, key: str, channel: str, enabled: bool) -> None:
    """Record a choice; ValueError with a message for what cannot be chosen."""
    kind = get_type(key)
    if kind is None:
        raise ValueError(f"No notification type {key!r}.")
    if channel not in CHANNELS:
        raise ValueError(f"channel is one of {', '.join(CHANNELS)}, not {channel!r}.")
    if kind.required and channel in kind.channels and not enabled:
        raise ValueError(
            f"{kind.verbose_name} is required on {channel}: it cannot be switched off."
        )
    NotificationPreference.objects.update_or_create(
        user=user, type=key, channel=channel, defaults={"enabled": enabled}
    )


def active_mutes(user: Any) -> models.QuerySet[Mute]:
    """The user's mutes that have not run out (for the page and the API)."""
    return Mute.objects.filter(user_id=user.pk, until__gt=timezone.now()).select_related(
        "target_content_type"
    )


def mute(user: Any, target: models.Model, hours: float) -> Mute:
    if not 0 < hours <= MAX_MUTE.total_seconds() / 3600:
        raise ValueError("hours is more than 0 and at most a year (8760).")
    until = timezone.now() + timedelta(hours=hours)
    item, _ = Mute.objects.update_or_create(
        user=user,
        target_content_type=ContentType.objects.get_for_model(target),
        target_object_id=str(target.pk),
        defaults={"until": until},
    )
    return item
