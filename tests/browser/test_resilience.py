"""The shared client survives the server going away (real Chromium)."""

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.browser.conftest import open_tab
from tests.servers import Server

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "[...document.querySelectorAll('#extra li')].map(li => li.textContent)"


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
async def test_server_killed_and_restarted_page_shows_every_event_once(browser, test_db_url, kind):
    send = sync_to_async(publish)
    server = Server(kind, test_db_url).start()
    try:
        context = await browser.new_context()
        tab = await open_tab(context, f"{server.url}/page/?extra=restart")
        await tab.live()
        for i in range(5):
            await send("restart", i, event="item")
        await tab.until(f"{ITEMS}.length === 5")
        server.stop(kill=True)  # SIGKILL: no goodbye to the browser
        for i in range(5, 15):
            await send("restart", i, event="item")
        await tab.until("document.documentElement.dataset.sseStatus !== 'live'")
        server.start()  # same port
        for i in range(15, 20):
            await send("restart", i, event="item")
        await tab.until(f"{ITEMS}.length >= 20", timeout=30)
        await tab.page.wait_for_timeout(500)
        assert await tab.page.evaluate(ITEMS) == [str(i) for i in range(20)]
        assert await tab.page.evaluate("document.documentElement.dataset.sseStatus") == "live"
    finally:
        server.stop()
