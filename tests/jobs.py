"""Jobs the tests run, in process or in a separate worker process:

    python -c "import django; django.setup(); from tests.jobs import main; main()" \
        JOB_ID STEPS DELAY [fail]      (with DJANGO_SETTINGS_MODULE=tests.settings)
"""

import sys
import time

from django_sse.contrib.progress import Progress

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

from django_sse.contrib.progress import with_progress


def run(progress: Progress, steps: int, delay: float, fail: bool = False) -> None:
    for i in range(steps):
        progress.check_cancelled()
        progress.update(percent=100 * i / steps, stage=f"Step {i + 1} of {steps}", message=f"{i}")
        time.sleep(delay)
        if fail and i == steps // 2:
            raise RuntimeError("disk full <b>really</b>")
    progress.succeed(result={"url": "/reports/1/", "rows": steps})


@task
@with_progress
def report_task(progress: Progress, steps: int) -> None:
    run(progress, steps, 0)


# The real-worker tests (tests/contrib/progress/test_workers.py). Each is
# decorated where it is defined: a worker finds it by its module and name.
@with_progress
def rq_report(progress: Progress, steps: int, delay: float, fail: bool = False) -> None:
    run(progress, steps, delay, fail)


@task(backend="db")
@with_progress
def db_report(progress: Progress, steps: int, delay: float, fail: bool = False) -> None:
    run(progress, steps, delay, fail)


def main() -> None:
    job_id, steps, delay, *rest = sys.argv[1:]
    with Progress.attach(job_id) as progress:
        run(progress, int(steps), float(delay), fail=rest == ["fail"])
