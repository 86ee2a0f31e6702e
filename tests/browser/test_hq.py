"""django-notifications' (hq's) live badge, list and callbacks, fed by
the stream in real Chromium."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.notifications.hq import notify
from django_sse.contrib.notifications.models import Notification
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


async def test_hq_badge_list_and_callbacks_live_in_chromium(browser, server):
    alice = await sync_to_async(User.objects.create_user)("alice")
    bob = await sync_to_async(User.objects.create_user)("bob")
    context = await signed_in(browser, server.url, bob)
    tab = await open_tab(context, f"{server.url}/hq-page/")
    await tab.live()
    assert await tab.page.text_content(".live_notify_badge") == "0"
    for verb in ("liked <your> post", "followed you"):
        await sync_to_async(notify.send)(alice, recipient=bob, verb=verb)
    await tab.until("document.querySelector('.live_notify_badge').textContent === '2'")
    items = "[...document.querySelectorAll('.live_notify_list li')].map((li) => li.textContent)"
    await tab.until(f"{items}.length === 2")
    assert await tab.page.evaluate(items) == ["alice followed you", "alice liked <your> post"]
    last = await tab.page.evaluate("window.calls.at(-1)")
    assert last["unread_count"] == 2
    assert [n["verb"] for n in last["unread_list"]] == ["followed you", "liked <your> post"]
    # Read elsewhere: this page follows.
    await sync_to_async(Notification.objects.filter(recipient=bob).mark_all_read)()
    await tab.until("document.querySelector('.live_notify_badge').textContent === '0'")
    await tab.until(f"{items}.length === 0")
    assert tab.errors == []


async def test_hq_mark_as_read_reads_what_arrives(browser, server):
    alice = await sync_to_async(User.objects.create_user)("alice")
    bob = await sync_to_async(User.objects.create_user)("bob")
    context = await signed_in(browser, server.url, bob)
    tab = await open_tab(context, f"{server.url}/hq-page/?consume=1")
    await tab.live()
    [made] = (await sync_to_async(notify.send)(alice, recipient=bob, verb="pinged you"))[0][1]
    unread = sync_to_async(lambda: Notification.objects.filter(pk=made.pk).unread().exists())
    async with asyncio.timeout(10):
        while await unread():
            await asyncio.sleep(0.05)
    await tab.until("document.querySelector('.live_notify_badge').textContent === '0'")
    assert tab.errors == []
