"""Scale-out with real parts: two server processes (uvicorn and daphne)
sharing PostgreSQL, wake-ups through PostgreSQL or Redis, a publisher in a
third process; a 10,000-event burst; graceful shutdown; health."""

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import time

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from django_sse import publish_many
from tests.servers import (
    ROOT,
    Server,
    free_port,
    manage,
    open_stream,
    server_env,
    uvicorn_and_daphne,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("broker", ["postgres", "redis"])
async def test_two_servers_receive_every_event_once_from_a_third_process(test_db_url, broker):
    with uvicorn_and_daphne(test_db_url, DJANGO_SSE_BROKER=broker) as servers:
        async with contextlib.AsyncExitStack() as stack:
            await _every_event_once(servers, stack, test_db_url, broker)


async def _every_event_once(servers, stack, test_db_url, broker):
    streams = [
        open_stream(f"{srv.url}/sse/stream/?topics=scale") for srv in servers for _ in (1, 2)
    ]
    opened = [await stack.enter_async_context(s) for s in streams]
    for stream in opened:
        await stream.wait_cursor()
    script = "from django_sse import publish\nfor i in range(200): publish('scale', i)"
    await asyncio.to_thread(manage, test_db_url, "shell", "-c", script, DJANGO_SSE_BROKER=broker)
    done = time.monotonic()
    for stream in opened:
        events = await stream.events(200, timeout=20)
        assert [e.json() for e in events] == list(range(200))
        assert await stream.silence(0.2) == []
    # Well before the redis broker's 5 s safety read: the wake-ups came through Redis.
    assert time.monotonic() - done < 4


async def test_burst_of_10000_events_in_one_transaction_arrives_completely(uvicorn_server):
    url = f"{uvicorn_server.url}/sse/stream/?topics=burst"
    async with open_stream(url) as stream:
        cursor = await stream.wait_cursor()
    ids = await sync_to_async(publish_many)(("burst", i, None) for i in range(10_000))
    received = []
    # The default per-client buffer is 1,000 events: a client that falls
    # that far behind is cut and resumes from the log with its cursor.
    for _ in range(30):
        async with open_stream(url, headers={"Last-Event-ID": cursor}) as stream:
            try:
                while len(received) < 10_000:
                    [event] = await stream.events(1, timeout=10)
                    received.append(event)
                    cursor = event.last_event_id
            except EOFError:
                continue
        break
    assert [e.json() for e in received] == list(range(10_000))
    assert [int(e.last_event_id.split()[0]) for e in received] == ids


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
async def test_sigterm_ends_open_streams_and_the_server_exits(test_db_url, kind):
    server = Server(kind, test_db_url).start()
    try:
        async with open_stream(f"{server.url}/sse/stream/?topics=x") as stream:
            await stream.wait_cursor()
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            await stream.ended(timeout=10)  # a clean end of the response, not a cut
            assert b":stream ended: shutdown" in stream.raw
            assert await asyncio.to_thread(server.process.wait, 10) is not None
            assert time.monotonic() - started < 3
    finally:
        server.stop()


def test_health_command_reports_queue_usage_and_position(capsys):
    publish_many([("h", 1, None)])
    with pytest.raises(SystemExit):
        call_command("sse_health", "--max-queue-usage", "-1")
    report = json.loads(capsys.readouterr().out)
    # The NOTIFY queue is the whole cluster's: other test workers' listeners
    # may hold a few pages of it, never a large share.
    assert 0.0 <= report["notify_queue_usage"] < 0.01 and report["last_event_id"] >= 1
    assert report["broker"].endswith("PostgresBroker")


# runserver's shape: the server in a daemon thread; the main thread (the
# autoreloader) returns on Ctrl-C, and Python exits under the server.
SERVER_IN_A_THREAD = """
import sys, threading, uvicorn
config = uvicorn.Config("tests.asgi:application", port=int(sys.argv[1]), log_level="warning")
threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
sys.stdin.read()
"""


async def test_python_exiting_under_a_server_thread_ends_its_streams_first(test_db_url):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_IN_A_THREAD, str(port)],
        env=server_env(test_db_url),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/sse/stream/?topics=x"
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            await asyncio.sleep(0.05)
        async with open_stream(url) as stream, open_stream(url) as other:
            await stream.wait_cursor()
            await other.wait_cursor()
            started = time.monotonic()
            process.stdin.close()  # the main thread returns
            await stream.ended(timeout=10)
            await other.ended(timeout=10)
            for s in (stream, other):
                assert b":stream ended: shutdown" in s.raw  # not cut off at exit
            assert await asyncio.to_thread(process.wait, 10) == 0
            assert time.monotonic() - started < 3
        errors = process.stderr.read().decode()
        assert "Traceback" not in errors, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
