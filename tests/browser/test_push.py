"""Web push in real Chromium: the button, the service worker, and a push
that goes from notify() through the local push service to a system
notification shown by the service worker.

Playwright's usual contexts are incognito, where Chromium has no Push API,
so these tests use a persistent profile. The browser's own push service
(Google's) cannot be reached from here: the first test shows what the
button does then; the second gives the page a subscription at the local
push service (tests/push_service.py) in place of the unreachable one, and
hands what that service decrypted to the service worker through the
DevTools protocol (``ServiceWorker.deliverPushMessage``), as Chromium's
push service client would.
"""

import asyncio
import json
import shutil
import time

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from playwright.async_api import async_playwright

from django_sse.contrib.notifications import notify, vapid
from django_sse.contrib.notifications.models import PushMessage, PushSubscription
from django_sse.contrib.notifications.push import keys as push_keys
from django_sse.contrib.notifications.push import online as push_online
from tests.browser.conftest import FLAGS, open_tab
from tests.browser.test_a11y import axe_violations
from tests.push_service import PUSH_SETTINGS
from tests.servers import Server
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
SCOPE = "/sse/notifications/push/"
REGISTRATION = f"navigator.serviceWorker.getRegistration('{SCOPE}')"


@pytest.fixture(scope="module")
def push_server(test_db_url):
    srv = Server(
        "uvicorn", test_db_url, DJANGO_SSE_TEST_PUSH="1", DJANGO_SSE_PRESENCE_INTERVAL="0.3"
    ).start()
    yield srv
    srv.stop()


@pytest.fixture
async def profile(tmp_path):
    """A Chromium context with a profile on disk (not incognito)."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=shutil.which("chromium"), args=FLAGS
        )
        yield context
        await context.close()


async def sign_in(context, server, user) -> None:
    @sync_to_async
    def cookie() -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    await context.add_cookies([{"name": "sessionid", "value": await cookie(), "url": server.url}])


async def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := await sync_to_async(check)()) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return result


async def test_the_button_registers_the_worker_and_says_when_no_push_service_answers(
    profile, push_server
):
    ann = await sync_to_async(User.objects.create_user)("ann")
    await sign_in(profile, push_server, ann)
    tab = await open_tab(profile, f"{push_server.url}/widgets-page/")
    page = tab.page
    await tab.until("!document.querySelector('.sse-push__button').hidden")
    assert await page.inner_text(".sse-push__button") == "Turn on push notifications"
    assert await page.evaluate("Notification.permission") == "default"  # never asked on load
    assert await page.evaluate(f"{REGISTRATION}.then((r) => r === undefined)")
    serious = [v for v in await axe_violations(tab) if v["impact"] in ("serious", "critical")]
    assert serious == []  # the button's page, every widget on it
    await profile.grant_permissions(["notifications"], origin=push_server.url)
    await page.evaluate("document.querySelector('.sse-push').dataset.timeout = '1500'")
    await page.click(".sse-push__button")
    await tab.until("document.querySelector('.sse-push__status').textContent !== ''")
    assert await page.inner_text(".sse-push__status") == (
        "Push notifications could not be turned on: the browser's push service did not answer."
    )
    assert await page.evaluate(f"{REGISTRATION}.then((r) => [r.scope, r.active.state])") == [
        f"{push_server.url}{SCOPE}",
        "activated",
    ]
    assert await page.evaluate(f"{REGISTRATION}.then((r) => r.active.scriptURL)") == (
        f"{push_server.url}{SCOPE}worker.js"
    )
    assert await page.is_enabled(".sse-push__button")  # one can try again
    assert not await sync_to_async(PushSubscription.objects.exists)()
    assert tab.errors == []


# Stands in for the browser's unreachable push service: subscribe() returns
# a subscription at the local push service and records the key it got.
STAND_IN = """
(() => {
  const made = %s;
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    const bytes = new Uint8Array(options.applicationServerKey);
    window.sseSubscribedWith = btoa(String.fromCharCode(...bytes))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    current = {
      endpoint: made.endpoint,
      toJSON: () => made,
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


async def test_a_notification_reaches_the_worker_when_no_page_is_open(
    profile, push_server, push_service, settings
):
    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)
    settings.DJANGO_SSE_PUSH_POLICY = "offline"
    settings.DJANGO_SSE_PUSH_SENDER = "thread"
    settings.DJANGO_SSE_PRESENCE_INTERVAL = 0.3
    ann = await sync_to_async(User.objects.create_user)("ann")
    await sign_in(profile, push_server, ann)
    key = push_keys.application_server_key()
    subscription = push_service.subscribe(key)
    await profile.add_init_script(STAND_IN % json.dumps(subscription.as_json()))
    await profile.grant_permissions(["notifications"], origin=push_server.url)

    tab = await open_tab(profile, f"{push_server.url}/widgets-page/")
    page = tab.page
    await tab.until("!document.querySelector('.sse-push__button').hidden")
    await page.click(".sse-push__button")
    await tab.until("document.querySelector('.sse-push__button').ariaPressed === 'true'")
    assert await page.inner_text(".sse-push__status") == (
        "Push notifications are on in this browser."
    )
    assert await page.evaluate("window.sseSubscribedWith") == key
    stored = await sync_to_async(PushSubscription.objects.get)()
    assert (stored.user_id, stored.endpoint) == (ann.pk, subscription.endpoint)

    # The page is open (its stream is live): the "offline" policy pushes nothing.
    assert await eventually(lambda: str(ann.pk) in push_online.online_users())
    await sync_to_async(notify)(ann, "While you look")
    assert not await sync_to_async(PushMessage.objects.exists)()

    await page.close()
    assert await eventually(lambda: str(ann.pk) not in push_online.online_users())
    await sync_to_async(notify)(ann, "While you are away", body="<b>3</b> new", url="/history/")
    (message,) = await sync_to_async(push_service.wait)(1)
    assert (message["title"], message["body"], message["url"]) == (
        "While you are away",
        "<b>3</b> new",
        "/history/",
    )

    # Chromium's push client would hand the decrypted message to the worker.
    viewer = await profile.new_page()
    await viewer.goto(f"{push_server.url}/widgets-page/")
    cdp = await profile.new_cdp_session(viewer)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    async with asyncio.timeout(10):
        while not any(r["scopeURL"].endswith(SCOPE) for r in registrations):
            await asyncio.sleep(0.05)
    (registration,) = [r for r in registrations if r["scopeURL"].endswith(SCOPE)][:1]
    worker_errors: list[dict] = []
    cdp.on("ServiceWorker.workerErrorReported", lambda e: worker_errors.append(e))
    shown = (
        f"{REGISTRATION}.then((r) => r.getNotifications())"
        ".then((all) => all.map((n) => [n.title, n.body, n.tag, n.data.url]))"
    )
    notifications: list = []
    # A push service delivers again until the browser takes the message; a
    # worker being started under load may miss the first, as in a browser.
    for _ in range(4):
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": push_server.url,
                "registrationId": registration["registrationId"],
                "data": json.dumps(message),
            },
        )
        deadline = time.monotonic() + 5
        while not (notifications := await viewer.evaluate(shown)):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if notifications:
            break
    assert worker_errors == []
    assert notifications == [
        ["While you are away", "<b>3</b> new", message["tag"], f"{push_server.url}/history/"]
    ]
    assert tab.errors == []


async def test_turning_push_off_forgets_the_subscription(profile, push_server, push_service):
    ann = await sync_to_async(User.objects.create_user)("ann")
    await sign_in(profile, push_server, ann)
    subscription = push_service.subscribe(
        vapid.public_key(vapid.load(PUSH_SETTINGS["DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY"]))
    )
    await profile.add_init_script(STAND_IN % json.dumps(subscription.as_json()))
    await profile.grant_permissions(["notifications"], origin=push_server.url)
    tab = await open_tab(profile, f"{push_server.url}/widgets-page/")
    await tab.until("!document.querySelector('.sse-push__button').hidden")
    await tab.page.click(".sse-push__button")
    await tab.until("document.querySelector('.sse-push__button').ariaPressed === 'true'")
    assert await sync_to_async(PushSubscription.objects.count)() == 1
    await tab.page.click(".sse-push__button")
    await tab.until("document.querySelector('.sse-push__button').ariaPressed === 'false'")
    assert await tab.page.inner_text(".sse-push__status") == (
        "Push notifications are off in this browser."
    )
    assert not await sync_to_async(PushSubscription.objects.exists)()
    assert tab.errors == []
