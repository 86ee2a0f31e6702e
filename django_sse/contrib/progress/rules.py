"""Who may watch a job's topic ``progress:<id>``: its owner and staff."""

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
