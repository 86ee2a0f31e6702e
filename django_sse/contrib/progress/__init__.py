"""Live progress of long-running jobs: ``Progress``, bars, cancel, admin.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.progress"]

from django_sse.contrib.progress import Progress
with Progress.start(owner=request.user, label="Export") as p:
    p.update(percent=50, stage="Writing rows")

{% load sse_progress %}{% sse_progress job.id %}
"""

from __future__ import annotations

from typing import Any

_PROGRESS = ["Progress", "ProgressCancelled"]
_TASKS = ["enqueue", "with_progress"]
__all__ = _PROGRESS + _TASKS


def __getattr__(name: str) -> Any:
    # Lazy, so importing the package does not need the app registry.
    if name in _PROGRESS:
        from django_sse.contrib.progress import progress

        return getattr(progress, name)
    if name in _TASKS:
        from django_sse.contrib.progress import tasks

        return getattr(tasks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
