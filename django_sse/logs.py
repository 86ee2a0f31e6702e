"""Logging that an operator can read and a log pipeline can parse.

Every line django-sse logs names a stable event (``sse.listener.lost``),
says what happened in words and ends with its fields as ``key=value``; the
same event and fields are on the record (``record.event``, ``record.sse``)
for a JSON formatter. Users appear only as a keyed hash (``user_hash``),
topics only by family (``user:*``). Expected conditions carry no
traceback; a failure that repeats is logged at most once per ``interval``,
and the next line says how often it recurred. ``docs/guides/operating.md``
lists the events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from django.utils.crypto import salted_hmac

logger = logging.getLogger("django_sse")

REPEAT_INTERVAL = 60.0
_last: dict[str, tuple[float, int]] = {}  # key -> (last logged at, repeats since)


def log_event(
    event: str,
    message: str,
    *,
    level: int = logging.WARNING,
    key: str | None = None,
    interval: float | None = REPEAT_INTERVAL,
    exc_info: bool | BaseException = False,
    **fields: Any,
) -> bool:
    """Log ``event`` unless the same ``key`` (default: the event) was
    logged less than ``interval`` seconds ago (``None``: ever, in this
    process); then only count it. A traceback (``exc_info``) only the first
    time: after that, it is the same failure. True if it was logged."""
    key = key or event
    now = time.monotonic()
    seen = _last.get(key)
    if seen is not None and (interval is None or now - seen[0] < interval):
        _last[key] = (seen[0], seen[1] + 1)
        return False
    if seen is not None and seen[1]:
        fields["repeats"] = seen[1]  # since the last line of this key
    text = " ".join(f"{name}={value}" for name, value in fields.items())
    logger.log(
        level,
        "%s: %s%s",
        event,
        message,
        f" [{text}]" if text else "",
        exc_info=exc_info if seen is None else False,
        extra={"event": event, "sse": fields},
    )
    _last[key] = (now, 0)
    return True


def describe(exc: BaseException) -> str:
    """An exception as a log field: one line, at most 300 characters."""
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]


def forget(key: str) -> None:
    """The condition is over: log it fully again if it comes back."""
    _last.pop(key, None)


def user_hash(user_key: Any) -> str | None:
    """A user's id as logs show it: the same in every process of a site
    (keyed with ``SECRET_KEY``), not the id itself."""
    if user_key is None:
        return None
    return salted_hmac("django_sse.logs", str(user_key), algorithm="sha256").hexdigest()[:12]


def topic_families(topics: Iterable[str]) -> str:
    """Topics as logs show them: personal ones by family (``user:*``)."""
    from django_sse.hooks import personal_prefixes

    personal = personal_prefixes()
    shown = set()
    for topic in topics:
        family, sep, _ = topic.partition(":")
        shown.add(f"{family}:*" if sep and family in personal else topic)
    return ",".join(sorted(shown))


def missing_table(exc: BaseException) -> bool:
    """Does a database error say that a table does not exist (no ``migrate``)?"""
    text = str(exc).lower()
    return "no such table" in text or (
        ("does not exist" in text or "doesn't exist" in text)
        and ("relation" in text or "table" in text)
    )
