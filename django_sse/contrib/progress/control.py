"""Ending jobs from outside their worker: a cancel asked for by a user."""

from __future__ import annotations

from django.utils import timezone

from django_sse.contrib.progress import groups
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic


def _cancel_one(record: TaskProgress, *, refresh_group: bool = True) -> None:
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
    groups.changed(record, refresh_group=refresh_group)


def cancel(record: TaskProgress) -> None:
    """Ask a job (or every member of a group) to stop. A running job sees
    ``progress.cancelled`` and ends as cancelled; a pending one ends now."""
    with atomic():
        if record.backend != TaskProgress.Backend.GROUP:
            _cancel_one(record)
            return
        members = TaskProgress.objects.select_for_update().filter(group=record)
        for member in members.exclude(status__in=TaskProgress.FINAL):
            _cancel_one(member, refresh_group=False)  # the group once, below
        record.cancel_requested = True
        TaskProgress.objects.filter(pk=record.pk).update(cancel_requested=True)
        record.publish_state()
        groups.refresh(record.pk)
