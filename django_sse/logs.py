"""Logging that an operator can read: one clear line per failure, with a
traceback only the first time, and repeats of the same failure summarised
at most once per ``interval`` instead of flooding the log."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger("django_sse")

REPEAT_INTERVAL = 60.0
_last: dict[str, tuple[float, int]] = {}  # key -> (last logged at, repeats since)


def warn_limited(
    key: str, message: str, *, exc_info: bool = False, interval: float | None = REPEAT_INTERVAL
) -> bool:
    """Log ``message`` as a warning unless ``key`` was logged less than
    ``interval`` seconds ago (``None``: ever, in this process); then only
    count it. The next line says how often it recurred. True if it was
    logged."""
    now = time.monotonic()
    seen = _last.get(key)
    if seen is not None and (interval is None or now - seen[0] < interval):
        _last[key] = (seen[0], seen[1] + 1)
        return False
    repeats = seen[1] if seen is not None else 0
    suffix = f" (again {repeats} more time(s) since it was last logged)" if repeats else ""
    # The traceback only the first time: after that, it is the same failure.
    logger.warning(message + suffix, exc_info=exc_info and seen is None)
    _last[key] = (now, 0)
    return True


def forget(key: str) -> None:
    """The condition is over: log it fully again if it comes back."""
    _last.pop(key, None)


def missing_table(exc: BaseException) -> bool:
    """Does a database error say that a table does not exist (no ``migrate``)?"""
    text = str(exc).lower()
    return "no such table" in text or (
        ("does not exist" in text or "doesn't exist" in text)
        and ("relation" in text or "table" in text)
    )
