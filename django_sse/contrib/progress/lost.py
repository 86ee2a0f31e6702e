"""Jobs whose worker died: a running job whose heartbeat is older than
``DJANGO_SSE_PROGRESS_LOST_AFTER`` is marked ``lost`` (not ``failed``: its
code did not fail, it stopped), and its stream ends.

Every server process looks a few times per ``LOST_AFTER`` (registered in
``apps.py`` as a periodic query of the hub), so
no extra process is needed; ``manage.py sse_jobs lost`` does the same
once. Several processes may look at once: the conditional write lets
exactly one of them end each job and publish its final event.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from django_sse.contrib.progress import groups
from django_sse.contrib.progress.conf import conf
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic
from django_sse.logs import log_event

Status = TaskProgress.Status


def mark_lost() -> list[TaskProgress]:
    """End every running job whose worker has gone silent; returns them."""
    silence = conf.DJANGO_SSE_PROGRESS_LOST_AFTER
    cutoff = timezone.now() - timedelta(seconds=silence)
    silent = (
        TaskProgress.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)
        .exclude(backend=TaskProgress.Backend.GROUP)
        .order_by("heartbeat_at")[:500]
    )
    ended = []
    for record in silent:
        values = {
            "status": Status.LOST,
            "finished_at": timezone.now(),
            "error": (
                f"Its worker stopped reporting: no heartbeat for over {silence:g} s "
                "(the process died, was killed, or lost the database)."
            ),
        }
        with atomic():
            written = TaskProgress.objects.filter(
                pk=record.pk, status=Status.RUNNING, heartbeat_at=record.heartbeat_at
            ).update(**values)
            if not written:
                continue  # it beat again, ended, or another process ended it
            for name, value in values.items():
                setattr(record, name, value)
            groups.changed(record)
        log_event(
            "sse.progress.lost",
            "a job's worker stopped reporting",
            level=logging.WARNING,
            key=f"progress-lost:{record.pk}",
            job=record.pk,
            backend=record.backend,
        )
        ended.append(record)
    return ended
