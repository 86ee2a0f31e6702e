"""Progress for the Tasks framework (``django.tasks``, or the ``django-tasks``
backport on Django 5.2): the worker may run in another process or host.

``with_progress`` is the one decorator for every backend: the function it
wraps receives a ``Progress`` handle first, and is called with the job's id
first. The ``celery`` and ``rq`` modules send such functions the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import router, transaction

from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.progress import Progress


def run_job(job_id: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func(progress, *args, **kwargs)`` for an existing job, in the
    worker. A job that ended while it waited (cancelled, or lost) is not run."""
    try:
        progress = Progress.attach(job_id)
    except TaskProgress.DoesNotExist:
        raise LookupError(
            f"No job {job_id}: send a task decorated with @with_progress through "
            "django_sse.contrib.progress (enqueue, celery.send, rq.enqueue), which "
            "creates its row and passes its id first."
        ) from None
    if progress.record.is_finished:
        return None
    with progress:
        return func(progress, *args, **kwargs)


def with_progress(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a task function so it receives a ``Progress`` handle first.

    @task                      # django.tasks (Django 6) or django_tasks
    @with_progress
    def export(progress, n): ...

    record = enqueue(export, n, owner=request.user, label="Export")
    """

    @wraps(func)
    def wrapper(job_id: str, *args: Any, **kwargs: Any) -> Any:
        return run_job(job_id, func, *args, **kwargs)

    return wrapper


def on_commit(action: Callable[[], Any]) -> None:
    """Send the work once the job's row is committed, so the worker finds it."""
    transaction.on_commit(action, using=router.db_for_write(TaskProgress))


def enqueue(
    task: Any, *args: Any, owner: Any = None, label: str = "", **kwargs: Any
) -> TaskProgress:
    """Create a pending job and enqueue ``task`` for it once this
    transaction commits (so the worker finds the row). Returns the row:
    render ``{% sse_progress record.pk %}`` with it."""
    handle = Progress.create(owner=owner, label=label, backend=TaskProgress.Backend.TASKS)
    on_commit(lambda: task.enqueue(str(handle.id), *args, **kwargs))
    return handle.record
