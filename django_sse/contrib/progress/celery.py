"""Progress of Celery tasks (the ``[celery]`` extra).

    @shared_task
    @with_progress
    def export(progress, n): ...

    job = send(export, n, owner=request.user, label="Export")     # a task
    job = send(export.s(n).set(queue="reports"), owner=...)        # a signature
    group = send_group([export.s(n) for n in sizes], owner=..., label="Exports")

The job's row is created in the caller's transaction (the page renders its
bar at once) and the task is sent when that transaction commits, with the
job's id as its Celery task id. A member of a group reports on its own row;
the group's row shows the aggregate, and cancelling it cancels them all.
"""

from __future__ import annotations

from typing import Any

from celery import Signature, group

from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.progress import Progress
from django_sse.contrib.progress.tasks import on_commit

CELERY = TaskProgress.Backend.CELERY


def _signature(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Signature:
    if isinstance(task, Signature):
        if args or kwargs:
            raise TypeError("Pass a signature's arguments inside it: send(task.s(1, 2)).")
        return task
    return task.s(*args, **kwargs)


def _for_job(signature: Signature, job_id: str) -> Signature:
    # clone() puts the job's id before the signature's own arguments.
    return signature.clone(args=(job_id,), task_id=job_id)


def send(task: Any, *args: Any, owner: Any = None, label: str = "", **kwargs: Any) -> TaskProgress:
    """Create a pending job and send ``task`` (or a signature) for it at commit."""
    signature = _signature(task, args, kwargs)
    handle = Progress.create(owner=owner, label=label, backend=CELERY)
    on_commit(lambda: _for_job(signature, str(handle.id)).apply_async())
    return handle.record


def send_group(signatures: list[Signature], *, owner: Any = None, label: str = "") -> TaskProgress:
    """Send signatures as one Celery group; returns the group's row, whose
    bar is the aggregate of its members (``record.members``)."""
    signatures = list(signatures)
    record, members = Progress.create_group(
        owner=owner, label=label, size=len(signatures), backend=CELERY
    )
    jobs = [
        _for_job(_signature(signature, (), {}), str(member.id))
        for signature, member in zip(signatures, members, strict=True)
    ]
    on_commit(lambda: group(jobs).apply_async())
    return record
