"""Live progress of long-running jobs.

    with Progress.start(owner=request.user, label="Export CSV") as p:
        for i, row in enumerate(rows):
            p.update(percent=100 * i / len(rows), stage="Writing rows", message=f"{i:,}")
            p.check_cancelled()
        p.succeed(result={"url": url})

Updates are coalesced: at most one write and one event per
``DJANGO_SSE_PROGRESS_INTERVAL`` (0.1 s) per job, and the last update always
reaches the wire (a background thread sends it, or the final state
includes it). An exception inside the ``with`` block marks the job failed
with its message; ``ProgressCancelled`` marks it cancelled.

While a job runs, its process writes a heartbeat with every update and
between them; a job whose heartbeat stops (its worker was killed) is marked
``lost`` by the server (``lost.py``). Once a job has a final state, nothing
its handle does changes it again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.utils import timezone

from django_sse.contrib.progress import groups
from django_sse.contrib.progress.background import background
from django_sse.contrib.progress.conf import conf
from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.rules import jobs_topic
from django_sse.eventlog import atomic, publish

Status = TaskProgress.Status
CANCEL_CHECK_INTERVAL = 0.5


class ProgressCancelled(Exception):
    """Raised by ``Progress.check_cancelled()``; the job ends as cancelled."""


class Progress:
    """A handle on one ``TaskProgress`` row. Thread-safe."""

    def __init__(self, record: TaskProgress) -> None:
        self.record = record
        self.id = record.pk
        self.published = 0  # events sent for this job (tests, benchmark)
        self._lock = threading.Lock()  # guards _pending
        self._save_lock = threading.Lock()  # one write at a time, in order
        self._pending: dict[str, Any] = {}
        self._last_flush = 0.0
        self._cancel_checked = 0.0

    # Creating ---------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        owner: Any = None,
        label: str = "",
        backend: str = TaskProgress.Backend.INLINE,
        group: TaskProgress | None = None,
    ) -> Progress:
        """A pending job, for a view that enqueues work for a worker."""
        with atomic():
            record = TaskProgress.objects.create(
                owner=owner, label=label, backend=backend, group=group
            )
            handle = cls(record)
            handle._publish()
            if owner is not None and group is None:
                publish(jobs_topic(owner), record.as_event(), event="job")
        return handle

    @classmethod
    def create_group(
        cls, *, owner: Any = None, label: str = "", size: int, backend: str
    ) -> tuple[TaskProgress, list[Progress]]:
        """A pending group row and ``size`` pending members (their handles):
        the group's bar is the aggregate of its members'."""
        if size < 1:
            raise ValueError("A group needs at least one member.")
        with atomic():
            group = cls.create(owner=owner, label=label, backend=TaskProgress.Backend.GROUP)
            members = [
                cls.create(
                    owner=owner,
                    label=f"{label} ({i} of {size})",
                    backend=backend,
                    group=group.record,
                )
                for i in range(1, size + 1)
            ]
        return group.record, members

    @classmethod
    def start(cls, *, owner: Any = None, label: str = "") -> Progress:
        handle = cls.create(owner=owner, label=label)
        handle.begin()
        return handle

    @classmethod
    def attach(cls, task_id: Any) -> Progress:
        """The handle of an existing job (in the worker that runs it)."""
        return cls(TaskProgress.objects.get(pk=task_id))

    # Reporting --------------------------------------------------------------

    def begin(self) -> None:
        self._save(status=Status.RUNNING, started_at=timezone.now())
        if not self.record.is_finished:
            background.running(self)

    def update(
        self, percent: float | None = None, stage: str | None = None, message: str | None = None
    ) -> None:
        if percent is not None and not 0 <= percent <= 100:
            raise ValueError(f"percent must be between 0 and 100, not {percent!r}")
        changes = {"percent": percent, "stage": stage, "message": message}
        with self._lock:
            self._pending.update({k: v for k, v in changes.items() if v is not None})
            due = self._last_flush + conf.DJANGO_SSE_PROGRESS_INTERVAL
        # The job never waits for the database: the background thread
        # writes what is due, for every job of this process in one commit.
        background.schedule(self, due)

    def flush(self) -> None:
        """Write and publish pending updates now."""
        with self._save_lock:
            self.write_pending(self.take_pending())

    def take_pending(self) -> dict[str, Any]:
        with self._lock:
            changes, self._pending = self._pending, {}
        return changes

    def write_pending(self, changes: dict[str, Any]) -> None:
        """Write ``changes`` (from ``take_pending``); hold ``_save_lock``."""
        if changes and not self.record.is_finished:
            self._save(**changes)

    def restore_pending(self, changes: dict[str, Any]) -> None:
        """Put back changes whose write was rolled back (newer ones win)."""
        with self._lock:
            self._pending = {**changes, **self._pending}

    def succeed(self, result: Any = None) -> None:
        self._finish(Status.SUCCEEDED, percent=100.0, result=result)

    def fail(self, error: str) -> None:
        self._finish(Status.FAILED, error=error)

    def mark_cancelled(self) -> None:
        self._finish(Status.CANCELLED)

    @property
    def cancelled(self) -> bool:
        """Has someone asked to cancel? (Reads the database at most twice a second.)"""
        now = time.monotonic()
        if not self.record.cancel_requested and now - self._cancel_checked >= CANCEL_CHECK_INTERVAL:
            self._cancel_checked = now
            self.record.cancel_requested = TaskProgress.objects.filter(
                pk=self.id, cancel_requested=True
            ).exists()
        return self.record.cancel_requested

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise ProgressCancelled

    def __enter__(self) -> Progress:
        if self.record.status == Status.PENDING:
            self.begin()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if self.record.is_finished:
            return False
        if exc_type is not None and issubclass(exc_type, ProgressCancelled):
            self.mark_cancelled()
            return True
        if exc is not None:
            self.fail(str(exc) or exc_type.__name__)
            return False
        self.succeed()
        return False

    # Internals ------------------------------------------------------------------

    def _finish(self, status: str, **values: Any) -> None:
        background.finished(self)
        with self._save_lock:
            with self._lock:
                values = {**self._pending, **values}
                self._pending = {}
            self._save(status=status, finished_at=timezone.now(), **values)

    def _save(self, **values: Any) -> None:
        record = self.record
        if values.get("status", record.status) == Status.RUNNING:
            values["heartbeat_at"] = timezone.now()
        with atomic():
            # Only a job that has not ended: the server may have marked it
            # lost, or a cancel may have ended it before it started.
            written = (
                TaskProgress.objects.filter(pk=self.id)
                .exclude(status__in=TaskProgress.FINAL)
                .update(**values)
            )
            if not written:
                record.refresh_from_db()
                background.finished(self)
                return
            for name, value in values.items():
                setattr(record, name, value)
            groups.changed(record)
            self.published += 1
        self._last_flush = time.monotonic()

    def _publish(self) -> None:
        self.record.publish_state()
        self.published += 1
