"""Progress for the Tasks framework (``django.tasks``, or the ``django-tasks``
backport on Django 5.2): the worker may run in another process or host."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import router, transaction

from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.progress import Progress


def with_progress(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a task function so it receives a ``Progress`` handle first.

    @task                      # django.tasks (Django 6) or django_tasks
    @with_progress
    def export(progress, n): ...

    record = enqueue(export, n, owner=request.user, label="Export")
    """

    @wraps(func)
    def wrapper(progress_id: str, *args: Any, **kwargs: Any) -> Any:
        with Progress.attach(progress_id) as progress:
            return func(progress, *args, **kwargs)

    return wrapper


def enqueue(
    task: Any, *args: Any, owner: Any = None, label: str = "", **kwargs: Any
) -> TaskProgress:
    """Create a pending job and enqueue ``task`` for it once this
    transaction commits (so the worker finds the row). Returns the row:
    render ``{% sse_progress record.pk %}`` with it."""
    handle = Progress.create(owner=owner, label=label)
    transaction.on_commit(
        lambda: task.enqueue(str(handle.id), *args, **kwargs),
        using=router.db_for_write(TaskProgress),
    )
    return handle.record
