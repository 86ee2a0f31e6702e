"""The demo's long-running job: ~20 s through several stages.

It is a Django Task: the jobs page enqueues it, and Django Tasks' database
worker (``manage.py db_worker``, started by ``make run``) runs it in a
process of its own. Its progress reaches the page through the database.
"""

import time

from django_sse.contrib.progress import Progress, with_progress

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
