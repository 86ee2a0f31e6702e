"""``{% load sse_progress %}``: a live progress bar for a job, and the
signed-in user's job list."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from django_sse.contrib.progress.conf import conf
from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.rules import jobs_topic
from django_sse.logqueries import max_id
from django_sse.widgets import script_html, signed_in_user

register = template.Library()
RUNNING_SHOWN = 100  # running jobs are always shown, up to this many


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def labels() -> str:
    """The words progress.js shows, in the request's language (JSON): the
    same as the server-rendered bar's."""
    words = {value: str(label) for value, label in TaskProgress.Status.choices}
    words.update(
        cancelling=gettext("Cancelling"),
        result=gettext("Open the result"),
        elapsed=gettext("Elapsed {time}"),
        left=gettext("About {time} left"),
    )
    return json.dumps(words)


def _bar(request: Any, job: TaskProgress) -> str:
    return render_to_string(
        "django_sse/progress.html",
        {
            "job": job,
            "state": job.as_event(),
            "cancel_url": reverse("django_sse:progress-cancel", args=[job.pk]),
            "csrf_token": get_token(request),
            "labels": labels(),
        },
        request=request,
    )


def progress_html(context: Any, task_id: Any) -> SafeString:
    """A live progress bar showing the job's current state on first paint.
    Renders nothing for a job the user may not see (or that does not exist)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    job = TaskProgress.objects.filter(pk=task_id).first() if _is_uuid(task_id) else None
    if job is None or user is None or not job.visible_to(user):
        return mark_safe("")
    return mark_safe(_bar(request, job) + script_html(context, "progress"))


# The bar jobs.js copies for a job that starts after the page was rendered.
BLANK_JOB = uuid.UUID(int=0)


def jobs_html(context: Any, limit: int | None = None) -> SafeString:
    """The signed-in user's running jobs and their ``limit`` most recent
    finished ones, newest first, each a live bar; a job they start later
    (in any tab or worker) appears at the top. Nothing for anonymous users."""
    request = context.get("request")
    user = signed_in_user(request)
    if user is None:
        return mark_safe("")
    limit = conf.DJANGO_SSE_JOBS_LIMIT if limit is None else int(limit)
    # The log's position first: a job created after it is announced after it.
    cursor = max_id()
    mine = TaskProgress.objects.filter(owner=user, group__isnull=True).order_by("-created_at")
    running = list(mine.exclude(status__in=TaskProgress.FINAL)[:RUNNING_SHOWN])
    finished = list(mine.filter(status__in=TaskProgress.FINAL)[:limit])
    jobs = sorted(running + finished, key=lambda job: job.created_at, reverse=True)
    html = render_to_string(
        "django_sse/jobs.html",
        {
            "bars": mark_safe("".join(_bar(request, job) for job in jobs)),
            "blank": mark_safe(_bar(request, TaskProgress(pk=BLANK_JOB))),
            "blank_id": str(BLANK_JOB),
            "topic": jobs_topic(user),
            "cursor": cursor,
            "limit": limit,
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "progress", "jobs"))


@register.simple_tag(takes_context=True)
def sse_jobs(context: Any, limit: int | None = None) -> SafeString:
    """The signed-in user's jobs, live: ``{% sse_jobs %}`` or ``{% sse_jobs limit=5 %}``."""
    return jobs_html(context, limit)


@register.simple_tag(takes_context=True)
def sse_progress(context: Any, task_id: Any) -> SafeString:
    """A live progress bar for a job (``TaskProgress`` id); owner and staff only."""
    return progress_html(context, task_id)
