"""The shared client's own API in real Chromium."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from django_sse import publish
from tests.browser.conftest import open_tab, signed_in

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
