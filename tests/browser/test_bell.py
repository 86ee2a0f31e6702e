"""The bell and the shared client in real Chromium (the live path on uvicorn and daphne both)."""

import asyncio
import json

import httpx
import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import Notification
from tests.browser.conftest import open_tab, signed_in
from tests.servers import manage
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

XSS = '<img src=x onerror="window.pwned=1">'


@pytest.fixture
def alice(transactional_db):
    return User.objects.create_user("alice")


async def badge(tab) -> str:
    return await tab.page.eval_on_selector(
        ".sse-bell__count", "el => el.hidden ? '' : el.textContent"
    )


async def test_notification_from_another_process_updates_bell_without_reload(
    browser, each_server, alice
):
    context = await signed_in(browser, each_server.url, alice)
    tab = await open_tab(context, f"{each_server.url}/page/")
    await tab.live()
    assert await badge(tab) == ""
    await asyncio.to_thread(
        manage, each_server.db_url, "sse_notify", "alice", XSS, "--body", XSS, "--url", "/next/"
    )
    await tab.until("document.querySelector('.sse-bell__count').textContent === '1'")
    item = tab.page.locator(".sse-bell__item").first
    # The level is there in words for screen readers (visually hidden).
    assert await item.locator(".sse-bell__title").text_content() == "Info: " + XSS
    assert await item.locator(".sse-bell__body").text_content() == XSS
    assert await item.locator("a").get_attribute("href") == "/next/"
    assert await tab.page.locator(".sse-toast").first.text_content() == "Info: " + XSS
    assert await tab.page.locator("img").count() == 0
    assert await tab.page.evaluate("window.pwned") is None
    await tab.page.click(".sse-bell__button")
    assert await tab.page.get_attribute(".sse-bell__button", "aria-expanded") == "true"
    assert tab.errors == []


async def test_server_rendered_count_and_mark_read_syncs_every_tab(browser, server, alice):
    await sync_to_async(Notification.objects.bulk_create)(
        [Notification(recipient=alice, title=f"old {i}") for i in range(2)]
    )
    context = await signed_in(browser, server.url, alice)
    one = await open_tab(context, f"{server.url}/page/")
    two = await open_tab(context, f"{server.url}/page/")
    assert await badge(one) == "2"  # first paint, before any event
    await one.live()
    await two.live()
    await one.page.click(".sse-bell__button")
    await one.page.locator(".sse-bell__item [data-action=toggle-read]").first.click()
    await two.until("document.querySelector('.sse-bell__count').textContent === '1'")
    await one.page.click("[data-action=read-all]")
    await two.until("document.querySelector('.sse-bell__count').hidden")
    await one.page.locator(".sse-bell__item [data-action=dismiss]").first.click()
    await two.until("document.querySelectorAll('.sse-bell__item').length === 1")
    assert one.errors == two.errors == []


async def test_two_widgets_share_one_stream(browser, server, alice, staff_cookies):
    async with httpx.AsyncClient(cookies=staff_cookies) as http:

        async def streams() -> int:
            return (await http.get(f"{server.url}/sse/stats/")).json()["streams"]

        async with asyncio.timeout(10):
            while await streams():
                await asyncio.sleep(0.05)
        context = await signed_in(browser, server.url, alice)
        tab = await open_tab(context, f"{server.url}/page/?extra=orders")
        await tab.live()
        await asyncio.sleep(0.5)
        assert await streams() == 1
        stats = (await http.get(f"{server.url}/sse/stats/")).json()
    assert stats["topics"] == {"user:*": 1, "orders": 1}  # no one's presence by name
    assert len(tab.stream_requests) == 1
    await sync_to_async(publish)("orders", {"n": 1}, event="item")
    await tab.page.wait_for_selector("#extra li")
    assert await tab.page.text_content("#extra li") == '{"n":1}'


async def test_forbidden_stream_shows_signed_out_without_a_reconnect_loop(browser, server, alice):
    context = await signed_in(browser, server.url, alice)
    tab = await open_tab(context, f"{server.url}/page/?extra=user:999999")
    await tab.until("document.documentElement.dataset.sseStatus === 'unauthorized'")
    assert await tab.page.get_attribute(".sse-bell", "data-status") == "unauthorized"
    await asyncio.sleep(10)
    # the EventSource, then one probe to learn why; the next try is a minute away
    assert len(tab.stream_requests) <= 3, tab.stream_requests


async def test_strict_csp_with_nonce_has_no_console_errors(browser, server, alice):
    context = await signed_in(browser, server.url, alice)
    tab = await open_tab(context, f"{server.url}/page/?extra=news")
    csp = (await tab.page.request.get(f"{server.url}/page/")).headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "nonce-" in csp
    await tab.live()
    await sync_to_async(publish)("news", "hello", event="item")
    await tab.page.wait_for_selector("#extra li")
    assert tab.errors == []


async def test_javascript_link_is_never_a_link(browser, server, alice):
    @sync_to_async
    def sneak_in():
        # Bypasses notify()'s validation, as raw SQL or a bug could.
        notification = Notification.objects.create(
            recipient=alice, title="t", url="javascript:window.pwned=1"
        )
        from django_sse.contrib.notifications.models import publish_changes

        publish_changes([(alice.pk, "notification", notification.as_event())])

    context = await signed_in(browser, server.url, alice)
    await sync_to_async(Notification.objects.create)(
        recipient=alice, title="rendered", url="javascript:window.pwned=1"
    )
    tab = await open_tab(context, f"{server.url}/page/")
    await tab.live()
    await sneak_in()
    await tab.until("document.querySelectorAll('.sse-bell__item').length === 2")
    assert await tab.page.locator(".sse-bell__item a").count() == 0


async def test_injection_in_event_data_reaches_the_browser_as_exactly_one_event(browser, server):
    evil_text = "a\n\ndata: injected\nevent: item\nid: 999 x\r\nbc\rd\n\n"
    with pytest.raises(ValueError, match="NUL"):
        await sync_to_async(publish)("evil", "a\x00b")
    evil_json = {
        "text": "x\r\n\r\nevent: evil\ndata: y\x00",
        "html": "<img src=x onerror=alert(1)>",
    }
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/page/?extra=evil")
    await tab.live()
    await sync_to_async(publish)("evil", evil_text, event="item")
    await sync_to_async(publish)("evil", evil_json, event="item")
    await tab.until("document.querySelectorAll('#extra li').length >= 2")
    await tab.page.wait_for_timeout(300)
    texts = await tab.page.evaluate(
        "[...document.querySelectorAll('#extra li')].map(li => li.textContent)"
    )
    # SSE carries line breaks as separate data lines: CR and CRLF arrive as LF.
    assert texts[0] == evil_text.replace("\r\n", "\n").replace("\r", "\n")
    assert json.loads(texts[1]) == evil_json
    assert len(texts) == 2


async def test_collapsed_notifications_update_one_row_in_every_tab(browser, server, alice):
    authors = [
        await sync_to_async(User.objects.create_user)(name) for name in ("bob", "carol", "dan")
    ]
    context = await signed_in(browser, server.url, alice)
    tabs = [await open_tab(context, f"{server.url}/page/") for _ in range(2)]
    for tab in tabs:
        await tab.live()
    for author in authors:
        await sync_to_async(notify)(
            alice, "{actors} commented on your post", actor=author, collapse=("comment", alice)
        )
    for tab in tabs:
        await tab.until(
            "[...document.querySelectorAll('.sse-bell__item')].length === 1 &&"
            " document.querySelector('.sse-bell__item').textContent.includes('dan and 2 others')"
        )
        assert await badge(tab) == "1"
        assert tab.errors == []
