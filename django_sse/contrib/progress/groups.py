"""Jobs sent together (a Celery group, or any jobs made with
``Progress.create_group``): one row for the group shows their aggregate,
and each member keeps its own. ``changed()`` is what every writer of a
job's row calls after the write.

The group's row has no worker of its own: every member's write refreshes
it in the same transaction, under a row lock, so concurrent members never
overwrite each other's share.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from django_sse.contrib.progress import signals
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic

Status = TaskProgress.Status


def _aggregate(members: list[tuple[str, float | None]]) -> dict[str, Any]:
    size = len(members)
    statuses = [status for status, _ in members]
    ended = [status for status in statuses if status in TaskProgress.FINAL]
    share = sum(
        100.0 if status in TaskProgress.FINAL else (percent or 0.0) for status, percent in members
    )
    values: dict[str, Any] = {
        "percent": float(round(share / size)),  # whole percents: at most ~100 events
        "stage": f"{len(ended)} of {size} done",
    }
    bad = [status for status in ended if status in (Status.FAILED, Status.LOST)]
    if len(ended) == size:
        if bad:
            values["status"] = Status.FAILED
            values["error"] = f"{len(bad)} of {size} failed or were lost."
        elif Status.CANCELLED in ended:
            values["status"] = Status.CANCELLED
        else:
            values["status"] = Status.SUCCEEDED
        values["finished_at"] = timezone.now()
    elif any(status != Status.PENDING for status in statuses):
        values["status"] = Status.RUNNING
    if bad:
        values["message"] = f"{len(bad)} failed or lost"
    return values


def refresh(group_id: Any) -> None:
    """Recompute the group's row from its members and publish it if it
    changed. Call inside the transaction that wrote a member."""
    with atomic():
        group = TaskProgress.objects.select_for_update().filter(pk=group_id).first()
        if group is None or group.is_finished:
            return
        members = list(
            TaskProgress.objects.filter(group_id=group_id).values_list("status", "percent")
        )
        if not members:
            return
        values = _aggregate(members)
        if values.get("status") == Status.RUNNING and group.started_at is None:
            values["started_at"] = timezone.now()
        if all(getattr(group, name) == value for name, value in values.items()):
            return
        for name, value in values.items():
            setattr(group, name, value)
        TaskProgress.objects.filter(pk=group.pk).update(**values)
        changed(group)


def changed(record: TaskProgress, *, refresh_group: bool = True) -> None:
    """A job's row was just written, in this transaction: its pages get its
    state, ``job_finished`` follows if it ended, and so does its group's
    aggregate (unless the caller refreshes the group once for many)."""
    record.publish_state()
    if record.is_finished:
        signals.finished(record)
    if refresh_group and record.group_id is not None:
        refresh(record.group_id)
