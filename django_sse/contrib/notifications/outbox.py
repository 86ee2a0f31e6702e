"""The outbox: messages posted outside any request (web push, chat), one
row each, written in ``notify()``'s transaction so nothing is lost if a
process stops before sending. A sender claims due rows by moving
``next_attempt_at`` ahead with its token (two senders never post the same
message), posts them, deletes what was taken, and retries the rest with
backoff until ``MAX_ATTEMPTS``. Each process sends in one daemon thread
(``Sender``), woken at commit and by every hub when rows are overdue."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, models
from django.utils import timezone

from django_sse.logs import log_event

BATCH = 100
LEASE = timedelta(minutes=5)  # a claimed message another sender may take after
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)  # doubled after each failed attempt
IDLE = 30.0  # a sender thread looks again this often


def claim(model: type[models.Model], related: tuple[str, ...]) -> list[Any]:
    """Take up to ``BATCH`` due messages for this sender."""
    now = timezone.now()
    due = list(
        model._default_manager.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not due:
        return []
    token = uuid.uuid4().hex
    model._default_manager.filter(pk__in=due, next_attempt_at__lte=now).update(
        next_attempt_at=now + LEASE, claim=token
    )
    return list(model._default_manager.filter(claim=token).select_related(*related))


def drain(send_due: Callable[[], int]) -> int:
    """Call ``send_due()`` (one batch) until nothing is due; how many were taken."""
    total = 0
    while taken := send_due():
        total += taken
    return total


def retry_later(message: Any, detail: str) -> bool:
    """Put a message back for later, with backoff; False (and nothing
    changed) when its attempts are spent."""
    if message.attempts + 1 >= MAX_ATTEMPTS:
        return False
    message.attempts += 1
    message.next_attempt_at = timezone.now() + RETRY_AFTER * 2 ** (message.attempts - 1)
    message.claim, message.last_error = "", detail[:300]
    message.save(update_fields=["attempts", "next_attempt_at", "claim", "last_error"])
    return True


def overdue(model: type[models.Model]) -> bool:
    return model._default_manager.filter(next_attempt_at__lte=timezone.now()).exists()


def next_due_in(model: type[models.Model]) -> float | None:
    """Seconds until the next message is due, or None if none waits."""
    first = model._default_manager.order_by("next_attempt_at").values_list(
        "next_attempt_at", flat=True
    )[:1]
    if not first:
        return None
    due: datetime = first[0]
    return max(0.0, (due - timezone.now()).total_seconds())


class Sender:
    """One daemon thread per process that sends while messages are due:
    ``send_all()`` until nothing is due, then sleeps until the next retry
    is (or it is woken)."""

    def __init__(self, name: str, model: type[models.Model], send_all: Callable[[], int]) -> None:
        self.name = name
        self.model = model
        self.send_all = send_all
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        wait: float | None = 0.0
        while True:
            self._wanted.wait(wait)
            self._wanted.clear()
            try:
                self.send_all()
                # Retries come due later: look again then (or when woken).
                wait = next_due_in(self.model)
                wait = None if wait is None else min(max(wait, 1.0), IDLE)
            except Exception:
                log_event(
                    f"{self.name.replace('-', '.')}.failed",
                    f"could not send from the outbox ({self.name})",
                    exc_info=True,
                )
                wait = IDLE
            finally:
                connections.close_all()
