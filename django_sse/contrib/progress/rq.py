"""Progress of RQ jobs (the ``[rq]`` extra).

    @with_progress
    def export(progress, n): ...

    job = enqueue(export, n, owner=request.user, label="Export")
    job = enqueue(export, n, queue=django_rq.get_queue("reports"), owner=...)

The row is created in the caller's transaction and the RQ job is enqueued
when it commits, with the job's id as its RQ job id. Run the worker with
Django set up, e.g. django-rq's ``manage.py rqworker``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.progress import Progress
from django_sse.contrib.progress.tasks import on_commit


def _default_queue() -> Any:
    try:
        import django_rq
    except ImportError:
        raise TypeError(
            "Pass queue=rq.Queue(...), or install django-rq for its default queue."
        ) from None
    return django_rq.get_queue("default")


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    owner: Any = None,
    label: str = "",
    queue: Any = None,
    **kwargs: Any,
) -> TaskProgress:
    """Create a pending job and enqueue ``func`` on ``queue`` for it at commit."""
    queue = queue if queue is not None else _default_queue()
    handle = Progress.create(owner=owner, label=label, backend=TaskProgress.Backend.RQ)
    job_id = str(handle.id)
    on_commit(lambda: queue.enqueue_call(func, args=(job_id, *args), kwargs=kwargs, job_id=job_id))
    return handle.record
