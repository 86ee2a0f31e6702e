"""Notification types, declared in code:

    # myapp/sse_notification_types.py (found in every installed app)
    from django.utils.translation import gettext_lazy as _
    from django_sse.contrib.notifications.types import register_type

    register_type(
        "comment",
        _("Comments on your posts"),
        title=_("{actor} commented on {post}"),
        body=_("“{excerpt}”"),
        channels=("inapp", "email"),
    )

    notify(post.author, "comment", context={"actor": user.get_username(), ...})

The title and body are rendered when ``notify()`` delivers, in each
recipient's language (``DJANGO_SSE_NOTIFICATION_LANGUAGE``), with
``str.format`` and the context: use ``gettext_lazy`` so each recipient gets
their translation. A free-form ``notify(user, "Any title")`` keeps working:
a title that is not a registered key is the text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import translation
from django.utils.module_loading import import_string

from django_sse.contrib.notifications.conf import conf

CHANNELS = ("inapp", "push", "email", "chat")
LEVELS = ("info", "success", "warning", "error")


@dataclass(frozen=True)
class NotificationType:
    key: str
    verbose_name: Any
    title: Any
    body: Any = ""
    level: str = "info"
    # The channels a user gets unless they change it; the rest are off.
    channels: tuple[str, ...] = ("inapp",)
    # A required type cannot be muted or switched off (security notices...).
    required: bool = False
    # A critical type goes through a user's quiet hours (``quiet``).
    critical: bool = False
    # On the email channel: sent if still unread this long after it arrived
    # (to users who take emails one by one; the others get it in a digest).
    email_after: timedelta = timedelta(minutes=15)
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self, context: dict[str, Any], language: str | None) -> tuple[str, str]:
        """Title and body in ``language`` (None: the active one)."""
        with translation.override(language) if language else nullcontext():
            try:
                return str(self.title).format(**context)[:200], str(self.body).format(**context)
            except (KeyError, IndexError) as exc:
                raise ValueError(
                    f"Notification type {self.key!r} needs {exc} in its context"
                ) from None


_types: dict[str, NotificationType] = {}


def register_type(
    key: str,
    verbose_name: Any,
    *,
    title: Any,
    body: Any = "",
    level: str = "info",
    channels: Iterable[str] = ("inapp",),
    required: bool = False,
    email_after: timedelta = timedelta(minutes=15),
    critical: bool = False,
    **extra: Any,
) -> NotificationType:
    """Declare a notification type (registering a key again replaces it).
    ``critical`` ones go through quiet hours (``quiet``)."""
    if not key or len(key) > 50 or not all(c.isalnum() or c in "-_." for c in key):
        raise ValueError(f"A type key is 1-50 letters, digits, '-', '_' or '.', not {key!r}")
    channels = tuple(channels)
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"Unknown channels {sorted(unknown)}: use {', '.join(CHANNELS)}")
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
    kind = NotificationType(
        key,
        verbose_name,
        title,
        body,
        level,
        channels,
        required,
        critical=critical,
        email_after=email_after,
        extra=extra,
    )
    _types[key] = kind
    return kind


def get_type(key: str) -> NotificationType | None:
    return _types.get(key)


def all_types() -> list[NotificationType]:
    return sorted(_types.values(), key=lambda kind: kind.key)


def language_of() -> Callable[[Any], str | None]:
    """``DJANGO_SSE_NOTIFICATION_LANGUAGE``: a callable (or its dotted path)
    taking a user and returning a language code, or None for the site's."""
    hook = conf.DJANGO_SSE_NOTIFICATION_LANGUAGE
    if hook is None:
        return lambda user: None
    found: Callable[[Any], str | None] = import_string(hook) if isinstance(hook, str) else hook
    return found
