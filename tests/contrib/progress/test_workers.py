"""The task centre with real workers: a Celery worker pool and an RQ worker
on the Redis here, and Django Tasks' database worker. Each drives a job's
stream on a real server: start, updates, success with its result link,
failure, cancel, and a worker killed mid-job (SIGKILL) -> lost. Celery's
groups report one aggregate bar."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

from django_sse.contrib.progress.models import TaskProgress
from tests.servers import ROOT, open_stream, server_env
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
BACKENDS = ["celery", "rq", "tasks"]


def worker_queue() -> str:
    """The queue a worker on this test database serves (tests/settings.py)."""
    return f"sse-{connection.settings_dict['NAME']}"


def worker_command(backend: str, queue: str) -> list[str]:
    python = [sys.executable, "-m"]
    if backend == "celery":
        return [
            *python,
            *("celery", "-A", "tests.celery_app", "worker", "-Q", queue),
            *("--pool", "prefork", "-c", "2", "-l", "warning"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        ]
    if backend == "rq":
        return [*python, "django", "rqworker", queue]
    return [*python, "django", "db_worker", "--backend", "db", "--queue-name", queue]


class Workers:
    """Worker processes and their children (Celery's pool, RQ's work horse,
    which leaves its parent's process group): a kill takes them all."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.tmp_path = tmp_path
        self.db_url = db_url
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, backend: str) -> subprocess.Popen:
        log = self.tmp_path / f"{backend}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                worker_command(backend, worker_queue()),
                env=server_env(self.db_url),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(process.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.send_signal(signal.SIGKILL)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process, log in self.started:
            self.kill(process)
            if process.returncode != -signal.SIGKILL:
                print(f"worker {process.pid} exited with {process.returncode}:\n{log.read_text()}")


@pytest.fixture
def workers(tmp_path, uvicorn_server):
    started = Workers(tmp_path, uvicorn_server.db_url)
    yield started
    started.stop_all()


@pytest.fixture
def owner(transactional_db):
    return User.objects.create_user("worker-owner")


def cookies_of(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


@sync_to_async
def send(backend: str, owner, steps: int, delay: float, fail: bool = False) -> TaskProgress:
    """Send the test job through ``backend``'s own integration."""
    queue = worker_queue()
    if backend == "celery":
        from django_sse.contrib.progress.celery import send as celery_send
        from tests.celery_tasks import report

        signature = report.s(steps, delay, fail).set(queue=queue)
        return celery_send(signature, owner=owner, label="Celery report")
    if backend == "rq":
        import redis
        import rq

        from django_sse.contrib.progress.rq import enqueue as rq_enqueue
        from tests.jobs import rq_report

        rq_queue = rq.Queue(queue, connection=redis.Redis.from_url(settings.REDIS_URL))
        return rq_enqueue(
            rq_report, steps, delay, fail, queue=rq_queue, owner=owner, label="RQ report"
        )
    from django_sse.contrib.progress import enqueue
    from tests.jobs import db_report

    return enqueue(
        db_report.using(queue_name=queue), steps, delay, fail, owner=owner, label="Report"
    )


async def follow(server, job: TaskProgress, cookies: dict[str, str], timeout: float = 30.0):
    """Every event of the job's stream, to its end."""
    events = []
    async with open_stream(f"{server.url}/sse/progress/{job.pk}/", cookies=cookies) as stream:
        while not events or events[-1].type == "progress":
            events += await stream.events(1, timeout=timeout)
        await stream.ended()
    return events


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_job_runs_to_success_with_its_result_link(backend, workers, owner, uvicorn_server):
    job = await send(backend, owner, 8, 0.1)
    assert (job.status, job.backend) == ("pending", backend)  # a bar at once, before any worker
    workers.start(backend)
    events = await follow(uvicorn_server, job, await sync_to_async(cookies_of)(owner))
    states = [event.json() for event in events]
    assert states[0]["status"] == "pending"
    assert "running" in [state["status"] for state in states]
    stages = [state["stage"] for state in states if state["stage"]]
    assert len(stages) >= 3 and stages[-1] == "Step 8 of 8"
    assert events[-1].type == "complete"
    assert states[-1]["result"] == {"url": "/reports/1/", "rows": 8}
    assert states[-1]["percent"] == 100.0
    record = await TaskProgress.objects.aget(pk=job.pk)
    assert record.status == "succeeded" and record.heartbeat_at is not None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_failing_job_ends_failed_with_its_error(backend, workers, owner, uvicorn_server):
    job = await send(backend, owner, 6, 0.05, fail=True)
    workers.start(backend)
    events = await follow(uvicorn_server, job, await sync_to_async(cookies_of)(owner))
    assert events[-1].type == "failed"
    assert events[-1].json()["error"] == "disk full <b>really</b>"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_cancelled_job_sees_it_and_ends_cancelled(backend, workers, owner, uvicorn_server):
    job = await send(backend, owner, 200, 0.1)
    workers.start(backend)
    cookies = await sync_to_async(cookies_of)(owner)
    events = []
    async with open_stream(
        f"{uvicorn_server.url}/sse/progress/{job.pk}/", cookies=cookies
    ) as stream:
        while not events or events[-1].json()["percent"] in (None, 0.0):
            events += await stream.events(1, timeout=30)
        client = Client()
        await sync_to_async(client.force_login)(owner)
        answer = await sync_to_async(client.post)(f"/sse/progress/{job.pk}/cancel/")
        assert answer.status_code == 200 and answer.json()["cancel_requested"] is True
        while events[-1].type == "progress":
            events += await stream.events(1, timeout=10)
    assert events[-1].type == "cancelled"
    assert events[-1].json()["percent"] < 50  # it stopped, it did not run to the end


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_killed_worker_leaves_its_job_lost(backend, workers, owner, uvicorn_server):
    job = await send(backend, owner, 1000, 0.1)
    worker = workers.start(backend)
    cookies = await sync_to_async(cookies_of)(owner)
    events = []
    async with open_stream(
        f"{uvicorn_server.url}/sse/progress/{job.pk}/", cookies=cookies
    ) as stream:
        while not events or events[-1].json()["status"] != "running":
            events += await stream.events(1, timeout=30)
        workers.kill(worker)
        killed_at = asyncio.get_running_loop().time()
        while events[-1].type == "progress":
            events += await stream.events(1, timeout=15)
        waited = asyncio.get_running_loop().time() - killed_at
        await stream.ended()
    lost = events[-1].json()
    assert (events[-1].type, lost["status"]) == ("lost", "lost")
    assert "stopped reporting" in lost["error"]
    lost_after = settings.DJANGO_SSE_PROGRESS_LOST_AFTER
    # Lost after its silence (3 s here) plus at most one look (0.75 s) and a margin.
    assert lost_after - 1 < waited < lost_after + 3
    record = await TaskProgress.objects.aget(pk=job.pk)
    assert record.status == "lost" and record.finished_at is not None


async def test_a_celery_group_reports_one_aggregate_bar(workers, owner, uvicorn_server):
    from django_sse.contrib.progress.celery import send_group
    from tests.celery_tasks import report

    queue = worker_queue()
    signatures = [report.s(steps, 0.05).set(queue=queue) for steps in (4, 8, 12)]
    group = await sync_to_async(send_group)(signatures, owner=owner, label="Reports")
    members = [m async for m in TaskProgress.objects.filter(group=group).order_by("label")]
    assert [m.label for m in members] == [
        "Reports (1 of 3)",
        "Reports (2 of 3)",
        "Reports (3 of 3)",
    ]
    workers.start("celery")
    events = await follow(uvicorn_server, group, await sync_to_async(cookies_of)(owner))
    states = [event.json() for event in events]
    assert events[-1].type == "complete" and states[-1]["stage"] == "3 of 3 done"
    percents = [state["percent"] for state in states if state["percent"] is not None]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert any(0 < p < 100 for p in percents)  # it moved, not jumped
    done = [m.status async for m in TaskProgress.objects.filter(group=group)]
    assert done == ["succeeded"] * 3
