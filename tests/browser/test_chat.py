"""A user adds a Slack webhook in the settings page (real Chromium), and
their next notification is posted there; removing it stops that."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import ChatWebhook
from tests.browser.conftest import open_tab, signed_in
from tests.servers import Server
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

HOOKS = (
    "[...document.querySelectorAll('.sse-preferences__webhooks li')].map((li) => li.textContent)"
)
STATUS = "document.querySelector('.sse-preferences__status').textContent"


async def test_a_webhook_added_in_the_settings_page_gets_the_next_notification(
    browser, test_db_url, chat_service
):
    ada = await sync_to_async(User.objects.create_user)("ada")
    server = Server("uvicorn", test_db_url, DJANGO_SSE_TEST_CHAT="1").start()
    try:
        tab = await open_tab(
            await signed_in(browser, server.url, ada), f"{server.url}/widgets-page/"
        )
        form = tab.page.locator(".sse-preferences__add-webhook")
        await form.locator("input[name=url]").fill("https://evil.example/hook")
        await form.locator("button").click()
        await tab.until(f"{STATUS}.includes('DJANGO_SSE_CHAT_SERVICES')")
        await form.locator("select").select_option("slack")
        await form.locator("input[name=url]").fill(chat_service.slack_hook())
        await form.locator("button").click()
        await tab.until(f"{HOOKS}.length === 1")
        assert (await tab.page.evaluate(HOOKS))[0].startswith("Slack (127.0.0.1)")
        await sync_to_async(notify)(ada, "Invoice <42> paid")
        async with asyncio.timeout(10):
            while not chat_service.received:
                await asyncio.sleep(0.05)
        [(_, body)] = chat_service.received
        assert body["text"] == "Invoice <42> paid"
        await tab.page.click("[data-action=remove-webhook]")
        await tab.until(f"{HOOKS}.length === 0")
        assert not await sync_to_async(ChatWebhook.objects.exists)()
        # The browser logs the refused address's 400; nothing else went wrong.
        assert [e for e in tab.errors if "status of 400" not in e] == []
    finally:
        server.stop()
