"""One stream per browser: every tab of a user shares the leader tab's
stream (Web Locks + BroadcastChannel), in real Chromium."""

import asyncio
import json
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from django_sse import publish
from django_sse.eventlog import publish_batch
from django_sse.logs import user_hash
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "[...document.querySelectorAll('#extra li')].map(li => li.textContent)"
LEADER = "window.DjangoSSE.leader"
COUNT = 200  # events in the burst: some are published while no tab leads


@pytest.fixture
async def streams(server, staff_cookies):
    """The server's open stream count, once the previous test's are gone."""
    async with httpx.AsyncClient(cookies=staff_cookies, base_url=server.url) as http:

        async def count() -> int:
            return (await http.get("/sse/stats/")).json()["streams"]

        async with asyncio.timeout(10):
            while await count():
                await asyncio.sleep(0.05)
        yield count


async def settled(count, expected: int) -> int:
    """The stream count once it has stayed the same for half a second."""
    async with asyncio.timeout(10):
        while True:
            first = await count()
            await asyncio.sleep(0.5)
            if first == await count() == expected:
                return first


async def taken_over(tabs, since: float) -> float:
    """Seconds until one of ``tabs`` holds the lock and has reopened the stream."""
    async with asyncio.timeout(5):
        while not any(
            [
                await tab.page.evaluate(f"{LEADER} && window.DjangoSSE.source !== null")
                for tab in tabs
            ]
        ):
            await asyncio.sleep(0.02)
    return time.monotonic() - since


async def items(tab) -> list[str]:
    return await tab.page.evaluate(ITEMS)


async def test_ten_tabs_hold_one_stream_and_all_get_every_event(browser, server, streams):
    user = await User.objects.acreate(username="tabs")
    context = await signed_in(browser, server.url, user)
    tabs = await asyncio.gather(
        *(open_tab(context, f"{server.url}/page/?extra=news") for _ in range(10))
    )
    for tab in tabs:
        await tab.live()
    assert await settled(streams, 1) == 1
    leaders = [await tab.page.evaluate(LEADER) for tab in tabs]
    assert leaders.count(True) == 1
    assert sum(len(tab.stream_requests) for tab in tabs) >= 1
    assert all(not tab.stream_requests for tab, lead in zip(tabs, leaders, strict=True) if not lead)
    for i in range(5):
        await sync_to_async(publish)("news", i, event="item")
    for tab in tabs:
        await tab.until(f"{ITEMS}.length >= 5")
    await asyncio.sleep(0.3)  # room for a doubled event to show up
    for tab in tabs:
        assert await items(tab) == ["0", "1", "2", "3", "4"]
        assert tab.errors == []
    await context.close()


async def test_closing_the_leader_during_a_burst_loses_and_doubles_nothing(
    browser, server, streams
):
    user = await User.objects.acreate(username="burst")
    context = await signed_in(browser, server.url, user)
    tabs = [await open_tab(context, f"{server.url}/page/?extra=burst") for _ in range(4)]
    for tab in tabs:
        await tab.live()
    [leader] = [tab for tab in tabs if await tab.page.evaluate(LEADER)]
    followers = [tab for tab in tabs if tab is not leader]

    def burst():
        try:
            for i in range(COUNT):
                publish("burst", i, event="item")
                time.sleep(0.005)
        finally:
            connection.close()  # this thread's own, not the test's

    publishing = asyncio.create_task(sync_to_async(burst, thread_sensitive=False)())
    await followers[0].until(f"{ITEMS}.length >= 10")
    await leader.page.close()
    takeover = await taken_over(followers, since=time.monotonic())
    await publishing
    for tab in followers:
        await tab.until(f"{ITEMS}.length >= {COUNT}")
    await asyncio.sleep(0.3)
    for tab in followers:
        assert await items(tab) == [str(i) for i in range(COUNT)]
        assert tab.errors == []
    assert takeover < 1.0, takeover
    assert await settled(streams, 1) == 1
    await context.close()


async def test_two_users_never_share(browser, server, streams):
    alice = await User.objects.acreate(username="alice-tabs")
    bob = await User.objects.acreate(username="bob-tabs")
    contexts, tabs = {}, {}
    for user in (alice, bob):
        contexts[user] = await signed_in(browser, server.url, user)
        url = f"{server.url}/page/?extra=user:{user.pk}"
        tabs[user] = [await open_tab(contexts[user], url) for _ in range(2)]
        for tab in tabs[user]:
            await tab.live()
    assert await settled(streams, 2) == 2  # one per user, not per tab nor one in all
    scope = "document.querySelector('script[data-sse-scope]').dataset.sseScope"
    scopes = {user: await tabs[user][0].page.evaluate(scope) for user in (alice, bob)}
    # The keyed hash of each user's id, never the id itself (a hash may
    # hold the id's digits by chance: "u031e0279d48e" for user 27).
    assert scopes == {user: f"u{user_hash(user.pk)}" for user in (alice, bob)}
    assert scopes[alice] != scopes[bob] and scopes[alice] != f"u{alice.pk}"
    await sync_to_async(publish)(f"user:{alice.pk}", "for alice", event="item")
    for tab in tabs[alice]:
        await tab.until(f"{ITEMS}.length === 1")
    await asyncio.sleep(0.3)
    for tab in tabs[bob]:
        assert await items(tab) == []
    for context in contexts.values():
        await context.close()


async def test_without_web_locks_each_tab_has_its_own_stream(browser, server, streams):
    user = await User.objects.acreate(username="old-browser")
    context = await signed_in(browser, server.url, user)
    await context.add_init_script("Object.defineProperty(navigator, 'locks', {value: undefined})")
    tabs = [await open_tab(context, f"{server.url}/page/?extra=solo") for _ in range(2)]
    for tab in tabs:
        await tab.live()
    assert await settled(streams, 2) == 2
    await sync_to_async(publish)("solo", json.dumps("x"), event="item")
    for tab in tabs:
        await tab.until(f"{ITEMS}.length === 1")
    await context.close()


async def test_topics_follow_the_tabs_and_a_frozen_leader_hands_over(browser, server, streams):
    user = await User.objects.acreate(username="freeze")
    context = await signed_in(browser, server.url, user)
    tabs = [await open_tab(context, f"{server.url}/page/?extra=base") for _ in range(3)]
    for tab in tabs:
        await tab.live()
    [leader] = [tab for tab in tabs if await tab.page.evaluate(LEADER)]
    follower, other = [tab for tab in tabs if tab is not leader]

    # A follower's new topic reaches the leader's stream; only that tab gets it.
    # A function, which evaluate() calls (an expression whose value is a
    # function, such as subscribe()'s unsubscribe, would be called too).
    subscribe = """() => {
        window.lateOff = window.DjangoSSE.subscribe("late", "item", (data) => {
            const li = document.createElement("li");
            li.textContent = data;
            document.getElementById("extra").append(li);
        });
    }"""
    await follower.page.evaluate(subscribe)
    await leader.until("window.DjangoSSE.source?.url.includes('late')")
    await sync_to_async(publish)("late", "for the follower", event="item")
    await follower.until(f"{ITEMS}.includes('for the follower')")
    await asyncio.sleep(0.3)
    assert "for the follower" not in await items(other)
    assert "for the follower" not in await items(leader)
    # ...and leaves it when the tab drops the topic.
    await follower.page.evaluate("() => { window.lateOff(); }")
    await leader.until("!window.DjangoSSE.source?.url.includes('late')")

    # The browser freezes the leading tab (as it does to background tabs):
    # another tab leads within a second and nothing is lost. Chromium fires
    # the Page Lifecycle `freeze` event before it freezes a page; headless
    # Chromium's CDP freeze does not, so the test fires it, then freezes.
    cdp = await context.new_cdp_session(leader.page)
    await leader.page.evaluate("() => { document.dispatchEvent(new Event('freeze')); }")
    await cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
    assert await taken_over([follower, other], since=time.monotonic()) < 1.0
    await sync_to_async(publish)("base", "after the freeze", event="item")
    for tab in (follower, other):
        await tab.until(f"{ITEMS}.includes('after the freeze')")
    assert await settled(streams, 1) == 1
    await cdp.send("Page.setWebLifecycleState", {"state": "active"})
    await context.close()


async def test_a_tab_rendered_earlier_gets_what_was_published_since(browser, server, streams):
    """A page rendered at event N (resumeFrom) that joins after N+1 was
    published: the leader replays from N for it; the others do not see
    N+1 twice."""
    from django_sse.logqueries import max_id

    user = await User.objects.acreate(username="rendered-earlier")
    context = await signed_in(browser, server.url, user)
    first = await open_tab(context, f"{server.url}/page/?extra=news")
    await first.live()
    rendered_at = await sync_to_async(max_id)()
    await sync_to_async(publish)("news", "meanwhile", event="item")
    await first.until(f"{ITEMS}.length === 1")
    late = await open_tab(context, f"{server.url}/page/?extra=news&resume={rendered_at}")
    await late.until(f"{ITEMS}.includes('meanwhile')")
    await sync_to_async(publish)("news", "after", event="item")
    for tab in (first, late):
        await tab.until(f"{ITEMS}.includes('after')")
    await asyncio.sleep(0.3)
    assert await items(first) == await items(late) == ["meanwhile", "after"]
    await context.close()


async def test_unlogged_events_and_token_batches_reach_every_tab_once(browser, server, streams):
    """Unlogged events (retention "none") repeat their id and every tab
    still shows each; a batch row's events have positions of their own."""
    user = await User.objects.acreate(username="tokens")
    context = await signed_in(browser, server.url, user)
    chat = [await open_tab(context, f"{server.url}/page/?extra=chat:5") for _ in range(2)]
    for tab in chat:
        await tab.live()
    await sync_to_async(publish)("news", "moves the log's frontier past 0")
    await asyncio.sleep(0.5)  # the server reads it before the unlogged events come
    for word in ("same", "same", "other"):
        await sync_to_async(publish)("chat:5", word, event="item")
    answer = [await open_tab(context, f"{server.url}/page/?extra=answer:5") for _ in range(2)]
    for tab in answer:
        await tab.live()
    await sync_to_async(publish_batch)("answer:5", [f"t{i}" for i in range(5)], event="item")
    for tab in chat:
        await tab.until(f"{ITEMS}.length >= 3")
    for tab in answer:
        await tab.until(f"{ITEMS}.length >= 5")
    await asyncio.sleep(0.3)  # room for a doubled event to show up
    for tab in chat:
        assert await items(tab) == ["same", "same", "other"]
    for tab in answer:
        assert await items(tab) == [f"t{i}" for i in range(5)]
    module = "import('/static/django_sse/django-sse.js')"
    positions = await answer[0].page.evaluate(
        f"{module}.then((m) => [m.numeric('57'), m.numeric('57:3'), m.cursorOf(56.003),"
        " m.cursorOf(57), m.numeric('57:1') < m.numeric('57:2'), m.numeric('57:999') < 57])"
    )
    assert positions == [57, 56.003, "57:3", "57", True, True]
    for tab in chat + answer:
        assert tab.errors == []
    await context.close()


async def test_a_stale_tab_never_relays_the_next_users_events(browser, server, streams):
    """Alice's tabs stay open while Bob signs in in the same browser
    profile (the session cookie becomes his, Alice's streams are revoked
    as her sign-out does). Her tabs' leader reconnects with Bob's cookie:
    it is refused her topics, so nothing of Bob's reaches her tabs."""
    from django_sse import revoke

    alice = await User.objects.acreate(username="alice-stale")
    bob = await User.objects.acreate(username="bob-next")
    context = await signed_in(browser, server.url, alice)
    stale = [await open_tab(context, f"{server.url}/page/?extra=user:{alice.pk}") for _ in range(2)]
    for tab in stale:
        await tab.live()
    await sync_to_async(publish)(f"user:{alice.pk}", "for alice", event="item")
    for tab in stale:
        await tab.until(f"{ITEMS}.length === 1")

    bobs = await signed_in(browser, server.url, bob)
    [cookie] = [c for c in await bobs.cookies() if c["name"] == "sessionid"]
    await bobs.close()
    await context.add_cookies([{"name": "sessionid", "value": cookie["value"], "url": server.url}])
    await sync_to_async(revoke)(alice)
    for tab in stale:
        await tab.until("document.documentElement.dataset.sseStatus === 'unauthorized'")
    fresh = await open_tab(context, f"{server.url}/page/?extra=user:{bob.pk}")
    await fresh.live()
    assert await settled(streams, 1) == 1  # Bob's tab's own; the stale tabs hold none
    await sync_to_async(publish)(f"user:{bob.pk}", "for bob", event="item")
    await fresh.until(f"{ITEMS}.length === 1")
    await asyncio.sleep(0.5)
    for tab in stale:
        assert await items(tab) == ["for alice"]
        # The refused reconnect is the browser's only complaint.
        assert {e for e in tab.errors if "403 (Forbidden)" not in e} == set()
    await context.close()
