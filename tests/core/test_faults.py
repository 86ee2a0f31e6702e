"""PostgreSQL restarted under a live stream. It stops every connection of
the machine, so it runs alone, after the parallel suite (``-m serial``)."""

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from django_sse import publish
from tests.servers import Server, open_stream

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reconnect_after(transactional_db):
    """The restart broke the test's own connection: drop it before the
    database is flushed (this teardown runs before transactional_db's)."""
    yield
    connections.close_all()


def restart_postgres() -> None:
    version = sorted(Path("/etc/postgresql").iterdir())[-1].name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=60,
    )


@sync_to_async
def publish_range(start: int, stop: int) -> None:
    connections.close_all()  # the restart broke this thread's connection
    for i in range(start, stop):
        publish("fault", i)


async def test_postgres_restart_during_a_stream_loses_nothing(test_db_url, reconnect_after):
    server = Server("uvicorn", test_db_url).start()
    try:
        async with open_stream(f"{server.url}/sse/stream/?topics=fault") as stream:
            await stream.wait_cursor()
            await publish_range(0, 10)
            assert [e.json() for e in await stream.events(10)] == list(range(10))
            await asyncio.to_thread(restart_postgres)
            await publish_range(10, 30)
            events = await stream.events(20, timeout=30)
            assert [e.json() for e in events] == list(range(10, 30))
        # The server keeps serving new streams too.
        async with open_stream(f"{server.url}/sse/stream/?topics=fault") as again:
            await again.wait_cursor()
    finally:
        server.stop()
        await sync_to_async(connections.close_all)()


@sync_to_async
def signed_in_user_with_a_job() -> tuple[dict[str, str], int, str]:
    from django.test import Client

    from django_sse.contrib.progress.progress import Progress
    from tests.users import User

    user = User.objects.create_user("restart")
    client = Client()
    client.force_login(user)
    job = Progress.create(owner=user, label="restart")
    return {"sessionid": client.cookies["sessionid"].value}, user.pk, str(job.id)


async def test_signed_in_private_and_progress_connects_recover_after_a_restart(
    test_db_url, reconnect_after
):
    """Connect-time work (session, user, topic rules, the job's owner) runs
    on a thread outside Django's request cycle: its broken connection must
    be dropped as a request's would be. Meanwhile, at most a JSON 503 with
    Retry-After, never a 500."""
    cookies, pk, job = await signed_in_user_with_a_job()
    paths = [
        "/sse/notifications/",
        f"/sse/stream/?topics=user:{pk}",
        f"/sse/progress/{job}/",
    ]
    server = Server("uvicorn", test_db_url).start()
    try:
        for path in paths:  # the connect thread now holds a connection
            async with open_stream(server.url + path, cookies=cookies) as stream:
                await stream.wait_cursor()
        await asyncio.to_thread(restart_postgres)
        async with httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=10) as http:
            for path in paths:
                answers = []
                for _ in range(5):
                    async with http.stream("GET", path) as response:
                        if response.status_code == 200:
                            answers.append(200)
                            break
                        body = json.loads(await response.aread())
                        answers.append((response.status_code, body["status"]))
                        assert response.headers["Retry-After"] == "5"
                        await asyncio.sleep(0.2)
                assert answers[-1] == 200 and set(answers[:-1]) <= {(503, 503)}, (path, answers)
                assert len(answers) <= 2, (path, answers)
    finally:
        server.stop()
        await sync_to_async(connections.close_all)()
