"""Announcements in real Chromium: on and off pages at their times, and
closed for good once dismissed (per user, or per browser when anonymous)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from django_sse import publish
from django_sse.contrib.notifications.announcements import SITE_TOPIC
from django_sse.contrib.notifications.models import Announcement
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

BANNERS = "[...document.querySelectorAll('.sse-announcement')].map((b) => b.textContent.trim())"


async def test_a_banner_comes_at_its_start_and_goes_at_its_end(browser, server):
    alice = await sync_to_async(User.objects.create_user)("alice")
    context = await signed_in(browser, server.url, alice)
    tab = await open_tab(context, f"{server.url}/announcements-page/")
    await tab.live()
    now = timezone.now()
    await sync_to_async(Announcement.objects.create)(
        title="Deploy <soon>",
        level="warning",
        starts_at=now + timedelta(seconds=2),
        ends_at=now + timedelta(seconds=5),
    )
    assert await tab.page.evaluate(BANNERS) == []
    await tab.until(f"{BANNERS}.length === 1", timeout=6)  # the server's hub task publishes it
    assert await tab.page.text_content(".sse-announcement strong") == "Deploy <soon>"
    assert (await tab.page.text_content(".sse-announcement")).strip().startswith("Warning:")
    await tab.until(f"{BANNERS}.length === 0", timeout=6)
    assert tab.errors == []


async def test_a_dismissed_banner_stays_closed(browser, server):
    alice = await sync_to_async(User.objects.create_user)("alice")
    terms = await sync_to_async(Announcement.objects.create)(title="Read the new terms")
    context = await signed_in(browser, server.url, alice)
    tabs = [await open_tab(context, f"{server.url}/announcements-page/") for _ in range(2)]
    for tab in tabs:
        await tab.live()
        assert len(await tab.page.evaluate(BANNERS)) == 1
    await tabs[0].page.click("[data-action=dismiss]")
    await tabs[1].until(f"{BANNERS}.length === 0")  # the other tab follows
    await tabs[0].page.reload()
    await tabs[0].live()
    assert await tabs[0].page.evaluate(BANNERS) == []
    # Its start event may come after the close (published within a second of
    # the start, replayed on reconnect): the banner stays closed.
    later = await sync_to_async(Announcement.objects.create)(title="Maintenance tonight")
    for item in (terms, later):
        await sync_to_async(publish)(SITE_TOPIC, item.as_event(), event="announcement")
    for tab in tabs:
        await tab.until(f"{BANNERS}.length === 1")
        assert await tab.page.evaluate(BANNERS) == ["Info: Maintenance tonight×"]
    await sync_to_async(later.delete)()
    # Anonymous: the browser remembers it.
    anonymous = await browser.new_context()
    tab = await open_tab(anonymous, f"{server.url}/announcements-page/")
    await tab.live()
    assert len(await tab.page.evaluate(BANNERS)) == 1
    await tab.page.click("[data-action=dismiss]")
    await tab.page.reload()
    await tab.live()
    assert await tab.page.evaluate(BANNERS) == []
    assert tab.errors == []
