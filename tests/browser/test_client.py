"""The shared client's own API in real Chromium."""

import asyncio
import contextlib
import socket
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.browser.conftest import open_tab, signed_in
from tests.servers import ROOT, free_port, server_env
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "[...document.querySelectorAll('#extra li')].map(li => li.textContent)"


async def test_unsubscribe_drops_the_topic_from_the_stream(browser, server):
    user = await User.objects.acreate(username="leaver")
    context = await signed_in(browser, server.url, user)
    tab = await open_tab(context, f"{server.url}/page/?extra=leaving")
    await tab.live()
    await sync_to_async(publish)("leaving", "kept", event="item")
    await tab.until(f"{ITEMS}.length === 1")
    opened = len(tab.stream_requests)
    assert "leaving" in tab.stream_requests[-1]

    await tab.page.evaluate("window.sseOff()")
    await tab.page.wait_for_timeout(300)
    assert len(tab.stream_requests) == opened + 1
    last = tab.stream_requests[-1]
    assert "leaving" not in last and f"user%3A{user.pk}" in last
    await tab.live()
    await sync_to_async(publish)("leaving", "dropped", event="item")
    await tab.page.wait_for_timeout(500)
    assert await tab.page.evaluate(ITEMS) == ["kept"]
    assert tab.errors == []
    await context.close()


async def test_under_wsgi_the_console_explains_once(browser, test_db_url):
    """runserver without daphne serves WSGI: the page says why, once."""
    port = free_port()
    env = server_env(test_db_url, DJANGO_DEBUG="1")
    runserver = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            await asyncio.sleep(0.1)
        context = await browser.new_context()
        tab = await open_tab(context, f"http://127.0.0.1:{port}/page/?extra=wsgi")
        await tab.until("document.documentElement.dataset.sseStatus === 'reconnecting'")
        await tab.page.wait_for_timeout(3000)  # a retry or two
        explained = [e for e in tab.errors if e.startswith("django-sse: ")]
        assert len(explained) == 1 and "need an ASGI server" in explained[0]
        await context.close()
    finally:
        runserver.terminate()
        runserver.wait(10)


LINKS = [
    "/a/",
    "/\\evil.example/",
    "/\t/evil.example/",
    "\\/evil.example/",
    " /\n/evil.example/",
    "\x01/a/",
    "//evil.example/",
    "https://x.example/",
    "https:\\\\x.example\\a",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
]


async def test_safe_links_agree_with_the_browsers_own_url_parser(browser, server):
    """Server and client filters keep the same links, and a kept link that
    looks local is local to Chromium's URL parser too."""
    from django_sse.widgets import safe_link

    tab = await open_tab(await browser.new_context(), f"{server.url}/page/?extra=links")
    await tab.live()
    judged = await tab.page.evaluate(
        """async (links) => {
          const { safeLink } = await import("/static/django_sse/django-sse.js");
          return links.map((link) => {
            const kept = safeLink(link);
            const url = kept && new URL(kept, location.href);
            return [kept, Boolean(url) && url.origin === location.origin];
          });
        }""",
        LINKS,
    )
    for link, (kept, same_origin) in zip(LINKS, judged, strict=True):
        assert kept == safe_link(link), link
        assert same_origin == kept.startswith("/"), (link, kept)
        assert not kept.lower().startswith("javascript"), link
    assert [kept for kept, _ in judged][:3] == ["/a/", "", ""]
    assert tab.errors == []
