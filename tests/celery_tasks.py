"""A Celery task reporting progress, for tests/contrib/progress/test_workers.py."""

from celery import shared_task

from django_sse.contrib.progress import Progress, with_progress
from tests.celery_app import app  # noqa: F401  (the app the tests send with)
from tests.jobs import run


@shared_task(name="tests.report")
@with_progress
def report(progress: Progress, steps: int, delay: float, fail: bool = False) -> None:
    run(progress, steps, delay, fail)
