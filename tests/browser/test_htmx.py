"""htmx 2's SSE extension and htmx 4's built-in SSE support (the real
packages from the npm registry, vendored), in Chromium: fragments published
from another process are swapped in, and after the stream drops the page
resumes from its cursor, so what was published meanwhile arrives once."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish_html
from tests.browser.conftest import open_tab
from tests.servers import Server

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = "[...document.querySelectorAll('tbody tr.row td:first-child')].map(td => td.textContent)"
# htmx 2's extension swaps named events; htmx 4 swaps unnamed ones.
PAGES = {"htmx2": ("/htmx-page/", "row"), "htmx4": ("/htmx4-page/", None)}


@pytest.fixture(scope="module")
def short_lived_server(test_db_url):
    """Streams end after 1.5 s, as behind a proxy's timeout: the client
    must reconnect and resume."""
    srv = Server("uvicorn", test_db_url, DJANGO_SSE_MAX_DURATION="1.5").start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("version", PAGES)
async def test_htmx_resumes_from_its_cursor_after_the_stream_drops(
    browser, short_lived_server, version
):
    path, event = PAGES[version]
    topic = f"rows-{version}"
    context = await browser.new_context()
    page_url = f"{short_lived_server.url}{path}?topic={topic}"
    reconnects: list[dict] = []
    blocked = asyncio.Event()
    unblocked = asyncio.Event()

    async def gate(route):
        reconnects.append({**await route.request.all_headers(), "url": route.request.url})
        if not unblocked.is_set():
            blocked.set()
            await route.abort()  # a network error: the client retries
        else:
            await route.continue_()

    tab = await open_tab(context, page_url)

    async def publish(name: str) -> None:
        await sync_to_async(publish_html)(
            topic, "row.html", {"name": name, "total": 1}, event=event
        )

    await asyncio.sleep(0.5)  # connected
    await publish("before")
    await tab.until(f"{ROWS}.length === 1")
    await context.route("**/sse/stream/**", gate)
    async with asyncio.timeout(10):
        await blocked.wait()  # the stream ended and its reconnect failed
    await publish("while away")
    unblocked.set()
    await tab.until(f"{ROWS}.length === 2", timeout=15)
    await publish("after")
    await tab.until(f"{ROWS}.length === 3", timeout=10)
    await asyncio.sleep(0.3)
    assert await tab.page.evaluate(ROWS) == ["before", "while away", "after"]
    # "while away" was published after the stream had ended (a reconnect had
    # been refused): only a reconnect from the cursor can have brought it.
    if version == "htmx4":  # its fetch() headers are visible to Playwright
        resumed = [r for r in reconnects if r.get("last-event-id")]
        assert resumed, [(r["url"], r.get("last-event-id")) for r in reconnects]
        assert all(r["last-event-id"].split(" ")[0].isdigit() for r in resumed)
    # The blocked reconnects show as failed loads (htmx 2's extension also
    # logs the EventSource's error event); nothing else may fail.
    expected = ("ERR_FAILED", "Failed to fetch")
    unexpected = [e for e in tab.errors if e != "Event" and not any(t in e for t in expected)]
    assert unexpected == []
    await context.close()
