"""Live progress of long-running jobs: ``Progress``, bars, cancel, admin.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.progress"]

from django_sse.contrib.progress import Progress
with Progress.start(owner=request.user, label="Export") as p:
    p.update(percent=50, stage="Writing rows")

{% load sse_progress %}{% sse_progress job.id %}
"""

from __future__ import annotations

from django_sse.lazy import lazy_attributes

_SOURCES = {
    "progress": ["Progress", "ProgressCancelled"],
    "tasks": ["enqueue", "with_progress"],
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_attributes(__name__, _SOURCES)
