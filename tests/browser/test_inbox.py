"""The bell's inbox states in real Chromium: opening the panel sees the
new ones (an "unseen" badge drops to 0 in every tab, the unread count
stays), and archive and snooze take an item out of every tab."""

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import Notification
from tests.browser.conftest import open_tab, signed_in
from tests.servers import Server
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

BADGE = "document.querySelector('.sse-bell__count')"
ITEMS = "[...document.querySelectorAll('.sse-bell__item')].map((li) => li.dataset.id)"


async def test_seen_archive_and_snooze_in_the_bell(browser, test_db_url):
    alice = await sync_to_async(User.objects.create_user)("alice")
    first, second = [(await sync_to_async(notify)(alice, t))[0] for t in ("First", "Second")]
    server = Server("uvicorn", test_db_url, DJANGO_SSE_NOTIFICATION_BADGE="unseen").start()
    try:
        context = await signed_in(browser, server.url, alice)
        tabs = [await open_tab(context, f"{server.url}/page/") for _ in range(2)]
        for tab in tabs:
            await tab.live()
            assert await tab.page.evaluate(f"{BADGE}.textContent") == "2"
        await tabs[0].page.click(".sse-bell__button")  # seen, still unread
        for tab in tabs:
            await tab.until(f"{BADGE}.hidden && {BADGE}.dataset.count === '0'")
        label = await tabs[1].page.get_attribute(".sse-bell__button", "aria-label")
        assert label == "Notifications, 2 unread"
        await tabs[0].page.click(f"[data-id='{first.pk}'] [data-action=archive]")
        await tabs[0].page.click(f"[data-id='{second.pk}'] [data-action=snooze]")
        for tab in tabs:
            await tab.until(f"{ITEMS}.length === 0")
        archived = sync_to_async(lambda: list(Notification.objects.archived()))
        assert await archived() == [first]
        assert (await sync_to_async(Notification.objects.get)(pk=second.pk)).snoozed_until
        assert tabs[0].errors == tabs[1].errors == []
    finally:
        server.stop()


async def test_watch_and_mute_from_the_bell(browser, server):
    from django.contrib.auth.models import Group

    from django_sse.contrib.notifications.models import Mute, Watch

    alice = await sync_to_async(User.objects.create_user)("alice")
    bob = await sync_to_async(User.objects.create_user)("bob")
    thread = await sync_to_async(Group.objects.create)(name="thread-1")
    send = sync_to_async(notify)
    [rendered] = await send(alice, "Bob replied", target=thread, actor=bob)
    context = await signed_in(browser, server.url, alice)
    tab = await open_tab(context, f"{server.url}/page/")
    await tab.live()
    [live] = await send(alice, "Bob replied again", target=thread, actor=bob)
    await tab.until(f"{ITEMS}.includes('{live.pk}')")
    await tab.page.click(".sse-bell__button")
    await tab.page.click(f"[data-id='{rendered.pk}'] [data-action=watch]")  # rendered by the server
    await tab.page.click(f"[data-id='{live.pk}'] [data-action=mute]")  # rendered by the script
    mute = f"document.querySelector(\"[data-id='{live.pk}'] [data-action=mute]\")"
    await tab.until(f"{mute}.disabled && {mute}.textContent === 'Muted for a day'")
    watched = sync_to_async(lambda: list(Watch.objects.values_list("user", "target_object_id")))
    assert await watched() == [(alice.pk, str(thread.pk))]
    muted = sync_to_async(lambda: list(Mute.objects.values_list("user", "target_object_id")))
    assert await muted() == [(alice.pk, str(bob.pk))]  # the actor, not the thread
    [plain] = await send(alice, "No thread")
    await tab.until(f"{ITEMS}.includes('{plain.pk}')")
    selector = f"[data-id='{plain.pk}'] button"
    buttons = f"[...document.querySelectorAll({selector!r})].map((b) => b.dataset.action)"
    assert "watch" not in await tab.page.evaluate(buttons)
    assert tab.errors == []
