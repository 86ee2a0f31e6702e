"""Who may watch a job's topic ``progress:<id>`` (its owner and users with the
view permission) and a user's ``jobs:<pk>`` (that user)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from django_sse.contrib.progress.models import TaskProgress


async def can_watch(user: Any, topic: str) -> bool:
    try:
        record = await TaskProgress.objects.aget(pk=topic.partition(":")[2])
    except (TaskProgress.DoesNotExist, ValidationError, ValueError):
        return False
    return await record.avisible_to(user)


def jobs_topic(user_or_pk: Any) -> str:
    """The topic announcing a user's new jobs to their pages: ``jobs:<pk>``."""
    return f"jobs:{getattr(user_or_pk, 'pk', user_or_pk)}"


async def can_watch_jobs(user: Any, topic: str) -> bool:
    return bool(user.is_authenticated) and topic == jobs_topic(user)
