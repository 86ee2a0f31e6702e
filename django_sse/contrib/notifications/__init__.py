"""Per-user notifications: ``notify()``, a live bell, a JSON API, the admin.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.notifications"]

from django_sse.contrib.notifications import notify
notify(user, "New comment", body="...", url="/posts/4/")

{% load sse_notifications %}{% sse_notifications %}
"""

from __future__ import annotations

from typing import Any

__all__ = ["notify", "notification_created", "notification_read"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the package does not need the app registry.
    if name == "notify":
        from django_sse.contrib.notifications.delivery import notify

        return notify
    if name in __all__:
        from django_sse.contrib.notifications import signals

        return getattr(signals, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
