"""Dashboards, token text and htmx's SSE extension in real Chromium."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse import stream_to
from django_sse.contrib import dashboards
from tests.browser.conftest import open_tab
from tests.servers import manage
from tests.views import words

pytestmark = pytest.mark.django_db(transaction=True)

publish_dashboard = sync_to_async(dashboards.publish)


async def test_dashboard_values_and_chart_update_without_reload(browser, server):
    await publish_dashboard("ops", {"orders_today": 1200, "p95_ms": 180.0})
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/dashboard-page/")
    # First paint already has the latest value (rendered history)
    assert await tab.page.text_content("#orders") in ("1,200", "1200", "1 200")
    await tab.live()
    assert await tab.page.text_content(".sse-dashboard [data-sse-status]") == "live"
    for i in range(1, 4):
        await asyncio.sleep(0.05)
        await publish_dashboard("ops", {"orders_today": 1200 + i, "p95_ms": 180.0 + i / 3})
    await tab.until("document.querySelector('#orders').textContent.endsWith('203')")
    assert await tab.page.text_content("#p95") == "181.0"
    await tab.until("document.querySelector('#chart').dataset.ssePointsShown === '4'")
    assert await tab.page.locator("#chart canvas").count() == 1
    assert tab.errors == []


async def test_text_appends_tokens_of_a_broadcast(browser, server, hub_cleanup):
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/dashboard-page/")
    await tab.live()
    await stream_to("story", words(30))
    await tab.until("document.querySelector('.sse-text').dataset.state === 'done'")
    assert await tab.page.text_content(".sse-text") == "".join(f"w{i} " for i in range(30))


async def test_htmx_sse_extension_swaps_fragments_published_from_another_process(browser, server):
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/htmx-page/")
    source = "document.querySelector('[sse-connect]')['htmx-internal-data']?.sseEventSource"
    await tab.until(f"{source}?.readyState === 1")
    script = (
        "from django_sse import publish_html; "
        "publish_html('rows', 'row.html', {'name': '<b>Ada</b>', 'total': 42}, event='row')"
    )
    await asyncio.to_thread(manage, server.db_url, "shell", "-c", script)
    await tab.until("document.querySelectorAll('tbody tr.row').length === 1")
    assert await tab.page.text_content("tbody tr.row td") == "<b>Ada</b>"
    assert await tab.page.locator("tbody b").count() == 0


async def test_fetch_events_reads_a_post_stream_in_the_browser(browser, server):
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/dashboard-page/")
    await tab.live()
    tokens = await tab.page.evaluate(
        """async () => {
            const got = [];
            const push = (e) => got.push(e);
            await window.DjangoSSE.fetchEvents("/tokens/?n=120", { method: "POST" }, push);
            return got;
        }"""
    )
    assert [t["data"] for t in tokens[:-1]] == [f"w{i} " for i in range(120)]
    assert tokens[-1]["type"] == "done"


async def test_chart_with_one_point_spans_a_minute_and_gaps_stay_gaps(browser, server):
    from datetime import timedelta

    from django.utils import timezone

    from django_sse import publish

    start = timezone.now()

    async def snapshot(seconds: float, value: float) -> None:
        at = start + timedelta(seconds=seconds)
        data = {"values": {"p95_ms": value}, "at": at}
        await sync_to_async(publish)("dashboard:ops", data, event=dashboards.EVENT)

    await snapshot(0, 100.0)
    context = await browser.new_context()
    tab = await open_tab(context, f"{server.url}/dashboard-page/")
    await tab.live()
    chart = "document.querySelector('.sse-dashboard').sseWidget.charts[0]"
    span = await tab.page.evaluate(f"{chart}.plot.scales.x.max - {chart}.plot.scales.x.min")
    assert 30 <= span <= 120  # not uPlot's default span of years
    for seconds, value in ((1, 101.0), (2, 102.0)):
        await snapshot(seconds, value)
    await tab.until("document.querySelector('#chart').dataset.ssePointsShown === '3'")
    # Three points two seconds apart: still a minute of axis, not seconds
    # labelled in milliseconds.
    span = await tab.page.evaluate(f"{chart}.plot.scales.x.max - {chart}.plot.scales.x.min")
    assert span >= 60
    await snapshot(60, 160.0)
    await tab.until("document.querySelector('#chart').dataset.ssePointsShown === '4'")
    assert await tab.page.evaluate(f"{chart}.ys") == [100.0, 101.0, 102.0, None, 160.0]
    assert tab.errors == []
