"""The docs' browser snippets, as written, in real Chromium: the README's
and the tutorial's ``DjangoSSE.subscribe`` line in a plain script after
``{% sse_script %}``, and the streaming guide's POST form (CSRF)."""

import subprocess

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.browser.conftest import open_tab
from tests.servers import ROOT, npm_client_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("name", "topic", "event", "data", "printed"),
    [
        ("readme", "orders", "order-created", {"id": 7}, "7"),
        ("tutorial", "news", "headline", {"title": "Hello"}, "Hello"),
        ("client", "orders", "order-created", {"id": 9}, "dom 9"),
    ],
)
async def test_a_plain_script_subscribes_before_the_client_has_loaded(
    browser, server, name, topic, event, data, printed
):
    context = await browser.new_context()
    page = await context.new_page()
    logged: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: logged.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.url}/snippet-page/{name}/")
    status = "document.documentElement.dataset.sseStatus === 'live'"
    await page.wait_for_function(status, timeout=10_000)
    await sync_to_async(publish)(topic, data, event=event)
    for _ in range(100):
        if printed in logged:
            break
        await page.wait_for_timeout(50)
    assert errors == [] and printed in logged, (errors, logged)
    await context.close()


async def test_the_guides_post_form_streams_the_answer_with_djangos_csrf_check(browser, server):
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/snippet-page/ask/")
    await tab.page.fill("input[name=q]", "why <b>blue</b>?")
    await tab.page.click("button")
    await tab.until("document.getElementById('answer').textContent.endsWith('</b>? ')")
    answer = await tab.page.text_content("#answer")
    assert answer == "You asked: why <b>blue</b>? "
    assert await tab.page.locator("#answer b").count() == 0
    assert tab.errors == []
    await context.close()


async def test_the_spa_guides_same_origin_snippet_runs_with_the_npm_client(browser, server):
    subprocess.run(
        ["node", "build.js"], cwd=ROOT / "clients" / "js", env=npm_client_env(), check=True
    )
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/snippet-page/spa/")
    logged: list[str] = []
    tab.page.on("console", lambda m: logged.append(m.text))
    for _ in range(200):
        if "live" in logged:
            break
        await tab.page.wait_for_timeout(50)
    event_id = await sync_to_async(publish)("orders", {"id": 11}, event="order-created")
    expected = f"11 orders {event_id}"
    for _ in range(100):
        if expected in logged:
            break
        await tab.page.wait_for_timeout(50)
    assert "live" in logged and expected in logged, logged
    assert tab.errors == []
    await context.close()
