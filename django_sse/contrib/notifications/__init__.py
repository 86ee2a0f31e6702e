"""Per-user notifications: ``notify()``, a live bell, a JSON API, the admin.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.notifications"]

from django_sse.contrib.notifications import notify
notify(user, "New comment", body="...", url="/posts/4/")

{% load sse_notifications %}{% sse_notifications %}
"""

from __future__ import annotations

from django_sse.lazy import lazy_attributes

_SOURCES = {
    "delivery": ["notify"],
    "signals": ["notification_created", "notification_read"],
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_attributes(__name__, _SOURCES)
