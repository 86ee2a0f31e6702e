"""``{% load sse_progress %}``: a live progress bar for a job."""

from __future__ import annotations

import uuid
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from django_sse.contrib.progress.models import TaskProgress
from django_sse.widgets import script_html

register = template.Library()


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def progress_html(context: Any, task_id: Any) -> SafeString:
    """A live progress bar showing the job's current state on first paint.
    Renders nothing for a job the user may not see (or that does not exist)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    job = TaskProgress.objects.filter(pk=task_id).first() if _is_uuid(task_id) else None
    if job is None or user is None or not job.visible_to(user):
        return mark_safe("")
    html = render_to_string(
        "django_sse/progress.html",
        {
            "job": job,
            "state": job.as_event(),
            "cancel_url": reverse("django_sse:progress-cancel", args=[job.pk]),
            "csrf_token": get_token(request),
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "progress"))


@register.simple_tag(takes_context=True)
def sse_progress(context: Any, task_id: Any) -> SafeString:
    """A live progress bar for a job (``TaskProgress`` id); owner and staff only."""
    return progress_html(context, task_id)
