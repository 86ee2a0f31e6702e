"""The client on hostile networks, in real Chromium: behind a proxy that
holds streams until they end (a real nginx, buffering and gzip, deaf to
X-Accel-Buffering), behind a proxy answering 502 while the server is
down, and back from the back/forward cache or a long hidden spell."""

import asyncio
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.browser.conftest import open_tab
from tests.servers import Nginx, Server

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "[...document.querySelectorAll('#extra li')].map(li => li.textContent)"
STATUS = "document.documentElement.dataset.sseStatus"
SITE = """
server {
    listen 127.0.0.1:{port};
    location / {
        proxy_pass http://127.0.0.1:UPSTREAM;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_read_timeout 60s;
        HOSTILE
    }
}
"""
# What an antivirus or a corporate proxy does to a stream: keep it until
# it ends, compressed.
HOSTILE = """
        proxy_buffering on;
        proxy_ignore_headers X-Accel-Buffering;
        gzip on;
        gzip_types text/event-stream application/javascript text/css application/json;
        gzip_min_length 0;
"""


def nginx_before(server: Server, tmp_path, hostile: str = "") -> Nginx:
    site = SITE.replace("UPSTREAM", str(server.port)).replace("HOSTILE", hostile)
    return Nginx(site, tmp_path).start()


def warnings_of(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: m.type == "warning" and found.append(m.text))
    return found


async def test_a_proxy_that_holds_streams_gets_every_event_once_by_polling(
    browser, server, tmp_path
):
    nginx = nginx_before(server, tmp_path, HOSTILE)
    try:
        # The proxy really holds a stream back: not a byte of its opening
        # (nor its headers) comes through.
        async with httpx.AsyncClient(timeout=2) as client:
            url = f"{nginx.url}/sse/stream/?topics=hostile"
            with pytest.raises(httpx.ReadTimeout):
                async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as held:
                    async for _ in held.aiter_raw():
                        break
        context = await browser.new_context()
        tab = await open_tab(context, f"{nginx.url}/page/?extra=hostile")
        warned = warnings_of(tab.page)  # the fallback comes seconds later
        await tab.until("window.DjangoSSE.transport === 'poll'", timeout=15)
        await tab.live()
        sent = []
        for burst in range(3):
            for i in range(4):
                sent.append(f"b{burst}-{i}")
                await sync_to_async(publish)("hostile", sent[-1], event="item")
            await asyncio.sleep(0.3)
        await tab.until(f"{ITEMS}.length >= {len(sent)}", timeout=20)
        await tab.page.wait_for_timeout(500)
        assert await tab.page.evaluate(ITEMS) == sent  # each once, in order
        polls = [url for url in tab.stream_requests if "poll=1" in url]
        assert len(polls) >= 2
        cursors = [parse_qs(urlparse(url).query).get("last_event_id", [""])[0] for url in polls]
        assert all(cursors[1:]) and cursors[1:] == sorted(cursors[1:], key=int)
        assert any("long-polling instead" in text for text in warned)
        assert tab.errors == []
    finally:
        nginx.stop()


async def test_error_answers_are_retried_for_good_and_said_once(browser, test_db_url, tmp_path):
    server = Server("uvicorn", test_db_url).start()
    nginx = nginx_before(server, tmp_path)
    send = sync_to_async(publish)
    try:
        context = await browser.new_context()
        tab = await open_tab(context, f"{nginx.url}/page/?extra=down")
        warned = warnings_of(tab.page)
        await tab.live()
        await send("down", "0", event="item")
        await tab.until(f"{ITEMS}.length === 1")
        server.stop(kill=True)  # nginx answers 502 now
        await send("down", "1", event="item")
        await tab.until(f"{STATUS} === 'reconnecting'")
        await asyncio.sleep(2.5)  # answers of 502, each retried later
        server.start()  # same port
        await send("down", "2", event="item")
        await tab.until(f"{ITEMS}.length >= 3", timeout=40)
        await tab.page.wait_for_timeout(300)
        assert await tab.page.evaluate(ITEMS) == ["0", "1", "2"]
        assert await tab.page.evaluate(STATUS) == "live"
        said = [text for text in warned if "answered 502" in text]
        assert len(said) == 1, warned
    finally:
        nginx.stop()
        server.stop()


async def test_back_from_the_cache_or_a_long_hidden_spell_it_resumes_from_its_cursor(
    browser, server
):
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/page/?extra=back")
    await tab.live()
    send = sync_to_async(publish)
    await send("back", "0", event="item")
    await tab.until(f"{ITEMS}.length === 1")

    async def reopened_after(action: str) -> str:
        opened = len(tab.stream_requests)
        cursor = await tab.page.evaluate("window.DjangoSSE.lastEventId")
        await tab.page.evaluate(action)
        await tab.until(f"window.DjangoSSE.source && {STATUS} === 'live'")
        deadline = time.monotonic() + 10
        while len(tab.stream_requests) == opened and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        [url] = tab.stream_requests[opened:]
        assert parse_qs(urlparse(url).query)["last_event_id"] == [cursor]
        return url

    # Restored from the back/forward cache (Chromium keeps no page that
    # holds a Web Lock there, so the event is the one it would fire).
    await reopened_after(
        "window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))"
    )
    await send("back", "1", event="item")
    await tab.until(f"{ITEMS}.length === 2")
    # Hidden longer than hiddenReconnectMs, then shown: a stream that looks
    # live is reopened anyway (iOS drops it without an error).
    await tab.page.evaluate(
        """() => {
          window.DjangoSSE.hiddenReconnectMs = 200;
          window.visibility = "hidden";
          Object.defineProperty(document, "visibilityState", {
            configurable: true, get: () => window.visibility,
          });
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    await send("back", "2", event="item")
    await asyncio.sleep(0.4)
    await reopened_after(
        "window.visibility = 'visible'; document.dispatchEvent(new Event('visibilitychange'))"
    )
    await send("back", "3", event="item")
    await tab.until(f"{ITEMS}.length >= 4")
    await tab.page.wait_for_timeout(300)
    assert await tab.page.evaluate(ITEMS) == ["0", "1", "2", "3"]
    # A short spell hidden leaves a live stream alone.
    opened = len(tab.stream_requests)
    await tab.page.evaluate(
        """() => {
          window.DjangoSSE.hiddenReconnectMs = 60000;
          window.visibility = "hidden";
          document.dispatchEvent(new Event("visibilitychange"));
          window.visibility = "visible";
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    await tab.page.wait_for_timeout(500)
    assert len(tab.stream_requests) == opened
    assert tab.errors == []
