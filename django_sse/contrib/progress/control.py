"""Ending jobs from outside their worker: a cancel asked for by a user."""

from __future__ import annotations

from django.utils import timezone

from django_sse.contrib.progress import groups, signals
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic, publish


def _publish(record: TaskProgress) -> None:
    publish(record.topic, record.as_event(), event=record.event_name())


def _cancel_one(record: TaskProgress) -> None:
    if record.is_finished:
        return
    if record.status == TaskProgress.Status.PENDING:
        # No worker has it yet: it ends now, and a worker that picks it up
        # later finds it ended and does not run it.
        record.status = TaskProgress.Status.CANCELLED
        record.finished_at = timezone.now()
    record.cancel_requested = True
    TaskProgress.objects.filter(pk=record.pk).exclude(status__in=TaskProgress.FINAL).update(
        status=record.status, finished_at=record.finished_at, cancel_requested=True
    )
    _publish(record)
    if record.status == TaskProgress.Status.CANCELLED:  # it had not started
        signals.finished(record)


def cancel(record: TaskProgress) -> None:
    """Ask a job (or every member of a group) to stop. A running job sees
    ``progress.cancelled`` and ends as cancelled; a pending one ends now."""
    with atomic():
        if record.backend == TaskProgress.Backend.GROUP:
            members = TaskProgress.objects.select_for_update().filter(group=record)
            for member in members.exclude(status__in=TaskProgress.FINAL):
                _cancel_one(member)
            record.cancel_requested = True
            TaskProgress.objects.filter(pk=record.pk).update(cancel_requested=True)
            _publish(record)
            groups.refresh(record.pk)
        else:
            _cancel_one(record)
            if record.group_id is not None:
                groups.refresh(record.group_id)
