"""Behind a real nginx with the configuration of deploy/nginx.conf: events
arrive unbuffered, and heartbeats keep idle streams past proxy_read_timeout."""

import asyncio
import re
import statistics
import time

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.servers import ROOT, Nginx, Server, open_stream

pytestmark = pytest.mark.django_db(transaction=True)
READ_TIMEOUT = 2  # seconds; the deploy file says 1h, the test shortens it


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, test_db_url):
    """uvicorn (heartbeat 0.5 s) behind nginx started from deploy/nginx.conf."""
    server = Server("uvicorn", test_db_url, DJANGO_SSE_HEARTBEAT="0.5").start()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    site = site.replace("listen 80;", "listen 127.0.0.1:{port};")
    site = re.sub(r"proxy_read_timeout \S+;", f"proxy_read_timeout {READ_TIMEOUT}s;", site)
    nginx = Nginx(site, tmp_path_factory.mktemp("nginx")).start()
    yield server, nginx.url
    nginx.stop()
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
