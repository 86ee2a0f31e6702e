"""The notification history in real Chromium: filter, then page by cursor."""

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.notifications import notify
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
TITLES = "[...document.querySelectorAll('.sse-history__item strong')].map((e) => e.textContent)"


async def test_filter_and_page_through_the_history(browser, server):
    ann = await sync_to_async(User.objects.create_user)("ann")
    for i in range(45):
        await sync_to_async(notify)(ann, f"n{i}", level="error" if i % 3 == 0 else "info")
    context = await signed_in(browser, server.url, ann)
    tab = await open_tab(context, f"{server.url}/widgets-page/")
    page = tab.page
    assert (await page.evaluate(TITLES))[:2] == ["n44", "n43"]
    await page.select_option(".sse-history__filters select", "error")
    await page.click(".sse-history__filters button")
    await page.wait_for_url("**level=error**")
    first = await page.evaluate(TITLES)
    assert first == [f"n{i}" for i in range(42, -1, -3)][:15]  # all 15 errors fit in 20
    assert await page.locator("text=Older").count() == 0
    await page.goto(f"{server.url}/widgets-page/")
    await page.click("text=Older")
    await page.wait_for_url("**before=**")  # the next page, not the one being left
    older = await page.evaluate(TITLES)
    assert older == [f"n{i}" for i in range(24, 4, -1)]  # the next 20, none twice
    await page.click("text=Newest")
    await page.wait_for_url(lambda url: "before=" not in url)
    assert (await page.evaluate(TITLES))[0] == "n44"
    assert tab.errors == []
