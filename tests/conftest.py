from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from django_sse.hubs import stop_hub
from tests import cleanup
from tests.servers import ROOT, Server, database_url, server_env


def pytest_sessionstart(session: pytest.Session) -> None:
    """No PostgreSQL, no run: the suite never skips its Postgres tests."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        raise pytest.UsageError("The test suite needs DATABASE_URL to point at PostgreSQL.")
    try:
        psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"] or "postgres",
            dbname=db["NAME"],
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        raise pytest.UsageError(f"PostgreSQL is not reachable ({exc}). Start it first.") from exc


@pytest.fixture
async def hub_cleanup():
    """Stop the in-process hub of the test's event loop afterwards."""
    yield
    await stop_hub()


@pytest.fixture(autouse=True)
def _fresh_log_limits():
    """Each test sees its first failure of a kind logged (``logs.log_event``
    logs a repeat at most once a minute per process)."""
    from django_sse import logs

    logs._last.clear()


@pytest.fixture(autouse=True)
def _close_sync_thread_connections():
    yield
    cleanup.close_sync_thread_connections()


@pytest.fixture(autouse=True)
def _forget_running_jobs():
    yield
    cleanup.forget_running_jobs()


@pytest.fixture(scope="session", autouse=True)
def _flush_tries_again_after_a_deadlock():
    """The live servers of a worker run their periodic queries (announcements,
    presence) on its database while a transactional test's teardown
    TRUNCATEs every table: a query that joins two tables can lock them in
    the other order, and PostgreSQL aborts one side of the deadlock. When it
    aborts the TRUNCATE, try it again."""
    from django.core.management.base import CommandError
    from django.core.management.commands import flush

    handle = flush.Command.handle

    def tries_again(self, **options):
        for attempt in range(5):
            try:
                return handle(self, **options)
            except CommandError as exc:
                if attempt == 4 or "deadlock detected" not in str(exc.__cause__):
                    raise
                time.sleep(0.1)

    flush.Command.handle = tries_again
    yield
    flush.Command.handle = handle


@pytest.fixture(scope="session")
def test_db_url(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return database_url(connection.settings_dict)


@pytest.fixture(scope="session")
def uvicorn_server(test_db_url) -> Server:
    """A real ASGI server process sharing the test database, as users
    serve it: uvicorn and Django's own handler (one per xdist worker,
    shared by the tests)."""
    srv = Server("uvicorn", test_db_url).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def server(uvicorn_server) -> Server:
    """The server of the tests where which one serves makes no difference
    to what they check (the widgets, the pages): uvicorn."""
    return uvicorn_server


@pytest.fixture(scope="session")
def daphne_shared_thread_server(test_db_url) -> Server:
    """daphne, behind ``django_sse.asgi.SharedSyncThread``."""
    srv = Server("daphne", test_db_url, DJANGO_SSE_TEST_SHARED_THREAD="1").start()
    yield srv
    srv.stop()


@pytest.fixture(params=["uvicorn_server", "daphne_shared_thread_server"])
def each_server(request) -> Server:
    """For the tests of the live path itself: once on uvicorn with Django's
    handler, once on daphne behind ``SharedSyncThread``, so both servers
    and both ways of serving streams deliver, replay and refuse."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def staff_cookies(transactional_db, client) -> dict[str, str]:
    from django_sse.presence import PERMISSION
    from tests.users import User, grant

    staff = grant(User.objects.create_user("staff", is_staff=True), PERMISSION)
    client.force_login(staff)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture
def start_worker(tmp_path):
    """Start ``tests.jobs.main`` in a worker process; never leave one running.
    The output of a worker that failed or had to be killed is printed at
    teardown, so a failing test shows it."""
    processes: list[tuple[subprocess.Popen, Path]] = []

    async def start(db_url: str, job_id, steps: int, delay: float, *extra: str):
        command = "import django; django.setup(); from tests.jobs import main; main()"
        args = [sys.executable, "-c", command, str(job_id), str(steps), str(delay), *extra]
        log = tmp_path / f"worker-{len(processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, env=server_env(db_url), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:
            process.kill()
        if process.wait() != 0:
            print(f"worker {process.pid} exited with {process.returncode}:\n{log.read_text()}")


@pytest.fixture
def chat_service(settings):
    """The local Slack and Teams of tests/chat_service.py, running, and the
    site allowed to post to it."""
    from tests.chat_service import ChatService

    settings.DJANGO_SSE_CHAT_SERVICES = ["http://127.0.0.1:*"]
    running = ChatService().start()
    yield running
    running.stop()


@pytest.fixture
def push_service():
    """The local web push service of tests/push_service.py, running."""
    from tests.push_service import PushService

    running = PushService().start()
    yield running
    running.stop()
