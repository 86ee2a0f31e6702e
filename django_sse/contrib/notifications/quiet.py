"""Quiet hours: a user's daily quiet time in their time zone
(``QuietHours``). Notifications still reach their open pages, marked
``"quiet": true`` so the bell neither alerts the desktop nor plays a
sound; web push and chat messages wait in the outbox until the quiet
time ends, and emails are sent after it. A type registered with
``critical=True`` goes through at once."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from django_sse.contrib.notifications.models import QuietHours
from django_sse.contrib.notifications.types import NotificationType


def quiet_until(user_ids: Any, kind: NotificationType | None = None) -> dict[Any, datetime]:
    """The users of ``user_ids`` in quiet time now, with when it ends (one
    query); nobody for a critical ``kind``."""
    if kind is not None and kind.critical:
        return {}
    now = timezone.now()
    ends = {}
    for hours in QuietHours.objects.filter(user_id__in=list(user_ids)):
        until = hours.quiet_until(now)
        if until is not None:
            ends[hours.user_id] = until
    return ends


def _time(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a time such as '22:00'.") from None


def set_quiet_hours(user: Any, value: Any) -> QuietHours | None:
    """``{"starts": "22:00", "ends": "07:00", "time_zone": "Europe/Paris"}``
    sets them, ``None`` removes them (``ValueError`` saying what is wrong)."""
    if value is None:
        QuietHours.objects.filter(user=user).delete()
        return None
    if not isinstance(value, dict):
        raise ValueError('quiet must be {"starts", "ends", "time_zone"} or null.')
    starts, ends = _time(value.get("starts"), "starts"), _time(value.get("ends"), "ends")
    zone = value.get("time_zone") or "UTC"
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time_zone {zone!r} is not a time zone such as 'Europe/Paris'.") from None
    hours, _ = QuietHours.objects.update_or_create(
        user=user, defaults={"starts": starts, "ends": ends, "time_zone": str(zone)}
    )
    return hours
