"""Web push keys: whether push is on (a VAPID key is set), the public key
browsers subscribe with, and the service worker's source."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django_sse.contrib.notifications import vapid
from django_sse.contrib.notifications.conf import conf

if TYPE_CHECKING:
    pass


_vapid_cache: dict[str, Any] = {}


def enabled() -> bool:
    return bool(conf.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY)


def signing_key() -> Any:
    """The VAPID key pushes are signed with (loaded once per setting value)."""
    key = conf.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY
    if key not in _vapid_cache:
        _vapid_cache.clear()
        _vapid_cache[key] = vapid.load(key)
    return _vapid_cache[key]


def application_server_key() -> str | None:
    """The public key browsers subscribe with, or None without push."""
    return vapid.public_key(signing_key()) if enabled() else None


WORKER = Path(__file__).parent.parent / "static" / "django_sse" / "push-worker.js"


@functools.cache
def worker_source() -> str:
    return WORKER.read_text()
