"""The demo's long-running job: ~20 s through several stages.

It is a Django Task: the jobs page enqueues it, and Django Tasks' database
worker (``manage.py db_worker``, started by ``make run``) runs it in a
process of its own. Its progress reaches the page through the database.
"""

import time

from django.core.exceptions import ValidationError

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import validate_link
from django_sse.contrib.progress import Progress, with_progress
from django_sse.contrib.progress.models import TaskProgress

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

STAGES = [("Collecting data", 6), ("Crunching numbers", 6), ("Rendering", 5), ("Uploading", 3)]


@task
@with_progress
def generate_report(progress: Progress, fail: bool = False) -> None:
    total = sum(seconds for _, seconds in STAGES)
    done = 0.0
    for stage, seconds in STAGES:
        steps = seconds * 10
        for step in range(steps):
            progress.check_cancelled()
            time.sleep(0.1)
            done += 0.1
            progress.update(
                percent=min(99.0, 100 * done / total), stage=stage, message=f"{step + 1}/{steps}"
            )
            if fail and stage == "Rendering":
                raise RuntimeError("The renderer ran out of paper.")
    progress.succeed(result={"url": f"/jobs/{progress.id}/", "link_text": "View the report"})


OUTCOMES = {
    "succeeded": ("success", "is ready"),
    "failed": ("error", "failed"),
    "cancelled": ("warning", "was cancelled"),
    "lost": ("error", "was lost: its worker stopped"),
}


def tell_the_owner(sender: object, job: TaskProgress, **kwargs: object) -> None:
    """The bell tells the owner how their report ended, whichever page they are on."""
    if job.owner_id is None or job.group_id is not None:
        return
    level, outcome = OUTCOMES[job.status]
    url = f"/jobs/{job.pk}/"
    if job.status == "succeeded":
        url = _safe_link((job.result or {}).get("url")) or url
    context = {"label": job.label or "Your job", "outcome": outcome}
    notify(job.owner, "report", context=context, body=job.error, level=level, url=url)


def _safe_link(url: object) -> str:
    """A job's result URL if a notification may link to it (a path or an
    http(s) URL); "" for anything else, such as ``javascript:``."""
    if not isinstance(url, str):
        return ""
    try:
        validate_link(url)
    except ValidationError:
        return ""
    return url


PUSH_DELAY = 15  # seconds: time to close every tab of the demo


@task
def notify_later(user_id: int) -> None:
    """A notification a little later, so it can arrive as a web push: with
    the "offline" policy it is pushed only if no tab of the demo is open."""
    from django.contrib.auth import get_user_model

    time.sleep(PUSH_DELAY)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        notify(
            user,
            "A push from the demo",
            body=f"Sent {PUSH_DELAY} seconds after you asked for it.",
            url="/notifications/",
        )
