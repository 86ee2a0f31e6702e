"""Behind a real nginx with the configuration of deploy/nginx.conf: events
arrive unbuffered, and heartbeats keep idle streams past proxy_read_timeout."""

import asyncio
import re
import shutil
import statistics
import subprocess
import time

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.servers import ROOT, Server, free_port, open_stream

pytestmark = pytest.mark.django_db(transaction=True)
READ_TIMEOUT = 2  # seconds; the deploy file says 1h, the test shortens it


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, test_db_url):
    """uvicorn (heartbeat 0.5 s) behind nginx started from deploy/nginx.conf."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which(nginx):
        raise pytest.UsageError("These tests need nginx: apt-get install nginx-light")
    server = Server("uvicorn", test_db_url, DJANGO_SSE_HEARTBEAT="0.5").start()
    port = free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"proxy_read_timeout \S+;", f"proxy_read_timeout {READ_TIMEOUT}s;", site)
    prefix = tmp_path_factory.mktemp("nginx")
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; client_body_temp_path {prefix}; proxy_temp_path {prefix};\n"
        f"{site}\n}}\n"
    )
    process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        import socket

        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield server, f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    server.stop()


async def test_events_arrive_unbuffered_within_a_few_ms_of_direct(proxied):
    server, nginx_url = proxied
    path = "/sse/stream/?topics=through"
    async with open_stream(server.url + path) as direct, open_stream(nginx_url + path) as via:
        assert via.response.headers["content-type"] == "text/event-stream; charset=utf-8"
        await direct.wait_cursor()
        await via.wait_cursor()
        gaps = []
        for i in range(20):
            await sync_to_async(publish)("through", i)
            [a] = await direct.events(1)
            t_direct = time.monotonic()
            [b] = await via.events(1, timeout=1)  # far less than a heartbeat: not buffered
            gaps.append(time.monotonic() - t_direct)
            assert a.json() == b.json() == i
    assert statistics.median(gaps) < 0.025  # measured here: ~1 ms


async def test_heartbeats_keep_an_idle_stream_open_past_the_read_timeout(proxied):
    _, nginx_url = proxied
    async with open_stream(nginx_url + "/sse/stream/?topics=idle") as stream:
        await stream.wait_cursor()
        await asyncio.sleep(READ_TIMEOUT * 2)
        await sync_to_async(publish)("idle", "still here")
        [event] = await stream.events(1, timeout=3)
        assert event.data == "still here"
        assert stream.raw.count(b"\n:\n\n") >= 4
