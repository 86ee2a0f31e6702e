"""The demo's long-running job: ~20 s through several stages.

In the demo it runs in a thread of the server process (SQLite, no worker to
start). In production, run it as a task (``django_sse.contrib.progress.enqueue``
with django.tasks or django-tasks): the progress reaches the page across
processes through the database either way.
"""

import threading
import time

from django.db import connection

from django_sse.contrib.progress import Progress

STAGES = [("Collecting data", 6), ("Crunching numbers", 6), ("Rendering", 5), ("Uploading", 3)]


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


def start_in_thread(progress: Progress, fail: bool = False) -> None:
    def run() -> None:
        try:
            with progress:
                generate_report(progress, fail=fail)
        except RuntimeError:
            pass  # recorded as the job's error
        finally:
            connection.close()

    threading.Thread(target=run, name=f"report-{progress.id}", daemon=True).start()
