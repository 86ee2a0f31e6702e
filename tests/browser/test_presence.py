"""Presence in real Chromium, with viewers on two server processes: who
is there, live; a reload is not a leave; a closed page leaves."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse import viewers
from tests.browser.conftest import open_tab, signed_in
from tests.servers import uvicorn_and_daphne
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = "document.querySelector('.sse-presence__count').textContent"
NAMES = "[...document.querySelectorAll('.sse-presence__users li')].map((li) => li.textContent)"
LEFT = "window.changes.flatMap((change) => change.left.map((user) => user.name))"


async def test_viewers_on_two_processes_see_each_other_come_and_go(browser, test_db_url):
    make = sync_to_async(User.objects.create_user)
    ada = await make("ada", first_name="Ada", last_name="Lovelace")
    bo = await make("bo")
    with uvicorn_and_daphne(test_db_url) as (one, two):
        path = "/presence-page/?topic=doc:9"
        ada_tab = await open_tab(await signed_in(browser, one.url, ada), one.url + path)
        bo_tab = await open_tab(await signed_in(browser, two.url, bo), two.url + path)
        for tab in (ada_tab, bo_tab):
            await tab.until(f"{COUNT} === '2 people are viewing this'", timeout=15)
            assert sorted(await tab.page.evaluate(NAMES)) == ["Ada Lovelace", "bo"]
        # A reload: bo's stream closes and comes back, and nobody sees him go.
        await bo_tab.page.reload()
        await bo_tab.live()
        await asyncio.sleep(viewers.LEAVE_AFTER + viewers.TICK)
        assert await ada_tab.page.evaluate(LEFT) == []
        assert await ada_tab.page.evaluate(COUNT) == "2 people are viewing this"
        # An anonymous visitor counts, unnamed.
        visitor = await open_tab(await browser.new_context(), two.url + path)
        await ada_tab.until(f"{COUNT} === '3 people are viewing this'", timeout=10)
        await visitor.until(f"{COUNT} === '3 people are viewing this'", timeout=10)
        assert sorted(await visitor.page.evaluate(NAMES)) == ["Ada Lovelace", "bo"]
        # Closed: he leaves, once the debounce is over.
        await bo_tab.page.close()
        await visitor.page.close()
        await ada_tab.until(f"{COUNT} === '1 person is viewing this'", timeout=15)
        assert await ada_tab.page.evaluate(NAMES) == ["Ada Lovelace"]
        assert await ada_tab.page.evaluate(LEFT) == ["bo"]
        # A plain subscriber of the topic gets the same events on it.
        on_topic = "window.onTopic.flatMap((change) => change.left.map((user) => user.name))"
        assert await ada_tab.page.evaluate(on_topic) == ["bo"]
        assert ada_tab.errors == []
