"""Signals of the progress app, sent once the change has committed."""

from __future__ import annotations

from django.db import router, transaction
from django.dispatch import Signal

from django_sse.contrib.progress.models import TaskProgress

# sender=TaskProgress, job=<TaskProgress>: a job (or a group) reached its
# final state: succeeded, failed, cancelled or lost. Sent once per job, in
# the process that ended it (a worker, or the server that found it lost).
job_finished = Signal()


def finished(record: TaskProgress) -> None:
    """Send ``job_finished`` for ``record`` when the current transaction commits."""
    transaction.on_commit(
        lambda: job_finished.send(sender=TaskProgress, job=record),
        using=router.db_for_write(TaskProgress),
    )
