"""django-sse: Server-Sent Events for Django, backed by the database.

Public API::

    from django_sse import publish, apublish, publish_many, publish_html, stream_to
    from django_sse import stream_response  # an async iterator as an SSE response

Everything is imported lazily so ``import django_sse`` works before Django's
app registry is ready (settings modules, AppConfig).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EVENTLOG = ["apublish", "publish", "publish_many", "publish_html", "revoke"]
_STREAMING = ["stream_response", "stream_to"]
__all__ = _EVENTLOG + _STREAMING


def __getattr__(name: str) -> Any:
    if name in _EVENTLOG:
        from django_sse import eventlog

        return getattr(eventlog, name)
    if name in _STREAMING:
        from django_sse import streaming

        return getattr(streaming, name)
    raise AttributeError(f"module 'django_sse' has no attribute {name!r}")
