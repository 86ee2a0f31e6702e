"""django-sse: Server-Sent Events for Django, backed by the database.

Public API::

    from django_sse import publish, apublish, publish_many

Everything is imported lazily so ``import django_sse`` works before Django's
app registry is ready (settings modules, AppConfig).
"""

from __future__ import annotations

from typing import Any

__all__ = ["apublish", "publish", "publish_many"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from django_sse import eventlog

        return getattr(eventlog, name)
    raise AttributeError(f"module 'django_sse' has no attribute {name!r}")
