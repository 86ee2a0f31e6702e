"""django-sse: Server-Sent Events for Django, backed by the database.

Public API::

    from django_sse import publish, apublish, publish_many, publish_html, stream_to
    from django_sse import stream_response  # an async iterator as an SSE response
    from django_sse import max_id, recent  # the log's position; a topic's last events

Everything is imported lazily so ``import django_sse`` works before Django's
app registry is ready (settings modules, AppConfig).
"""

from __future__ import annotations

from django_sse.lazy import lazy_attributes

__version__ = "0.1.0"

_SOURCES = {
    "eventlog": ["apublish", "publish", "publish_many", "publish_html", "revoke"],
    "logqueries": ["max_id", "recent"],
    "streaming": ["stream_response", "stream_to"],
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_attributes(__name__, _SOURCES)
