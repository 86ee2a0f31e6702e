"""Signals of the progress app, sent once the change has committed."""

from __future__ import annotations

import logging

from django.db import router, transaction
from django.dispatch import Signal

from django_sse.contrib.progress.models import TaskProgress
from django_sse.logs import describe, log_event

# sender=TaskProgress, job=<TaskProgress>: a job (or a group) reached its
# final state: succeeded, failed, cancelled or lost. Sent once per job, in
# the process that ended it (a worker, or the server that found it lost).
job_finished = Signal()


def finished(record: TaskProgress) -> None:
    """Send ``job_finished`` for ``record`` when the current transaction commits."""
    transaction.on_commit(lambda: _send(record), using=router.db_for_write(TaskProgress))


def _send(record: TaskProgress) -> None:
    """Every receiver runs; one that raises is logged, never raised into the
    job's code: its end is committed already, and a caller that retried
    would run the job twice."""
    for receiver, outcome in job_finished.send_robust(sender=TaskProgress, job=record):
        if isinstance(outcome, Exception):
            log_event(
                "sse.progress.receiver_failed",
                f"a job_finished receiver ({getattr(receiver, '__qualname__', receiver)}) "
                "raised; the job's end stands and the other receivers ran",
                level=logging.ERROR,
                interval=None,
                key=f"job-finished:{record.pk}",
                error=describe(outcome),
                exc_info=outcome,
            )
