"""Dashboards, samplers, presence and token streaming (real PostgreSQL)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.template import Context, Template
from django.test import RequestFactory, override_settings

from django_sse import publish_html, stream_to
from django_sse.contrib import dashboards
from django_sse.contrib.dashboards import metrics
from django_sse.contrib.dashboards.sampling import sample, take_lease
from django_sse.hubs import get_hub
from django_sse.models import Event, HubPresence
from django_sse.presence import watched_topics, write_presence
from django_sse.protocol import parse
from tests.servers import open_stream


@pytest.fixture
def sampler():
    calls = []

    def ops():
        calls.append(1)
        return {"orders_today": len(calls), "p95_ms": 200.5}

    before = list(metrics.samplers)
    dashboards.dashboard_metric("ops", every=0.2)(ops)
    yield calls
    metrics.samplers[:] = before


@pytest.mark.django_db(transaction=True)
async def test_latest_snapshot_then_live(async_client, hub_cleanup):
    for n in (1, 2, 3):
        await sync_to_async(dashboards.publish)("ops", {"orders_today": n})
    response = await async_client.get("/sse/stream/?topics=dashboard:ops")
    chunks = aiter(response.streaming_content)
    events = []
    async with asyncio.timeout(5):
        while not [e for e in events if e.type == "dashboard"]:
            events += parse(b"".join([await anext(chunks)]))
    snapshots = [e.json()["values"] for e in events if e.type == "dashboard"]
    assert snapshots == [{"orders_today": 3}]
    await sync_to_async(dashboards.publish)("ops", {"orders_today": 4})
    async with asyncio.timeout(5):
        frame = await anext(chunks)
    assert parse(frame)[0].json()["values"] == {"orders_today": 4}


def test_publish_rejects_non_dict_and_bad_names():
    with pytest.raises(TypeError):
        dashboards.publish("ops", [1, 2])
    with pytest.raises(ValueError):
        dashboards.publish("bad name", {})
    with pytest.raises(ValueError):
        dashboards.dashboard_metric("ops", every=0)


@pytest.mark.django_db
def test_dashboard_tag_renders_history_for_first_paint():
    for n in range(3):
        dashboards.publish("ops", {"p95_ms": n, "note": "</script><script>alert(1)</script>"})
    html = Template(
        '{% load sse_dashboards %}{% sse_dashboard "ops" points=2 %}'
        '<b data-sse-field="p95_ms"></b><div data-sse-chart="p95_ms"></div>{% end_sse_dashboard %}'
    ).render(Context({"request": RequestFactory().get("/")}))
    assert 'data-sse-topic="dashboard:ops"' in html
    history = html.split('<script class="sse-dashboard-history" type="application/json">')[1]
    history = json.loads(history.split("</script>")[0])
    assert [h["values"]["p95_ms"] for h in history] == [1, 2]
    assert "</script><script>alert" not in html  # json_script escapes it
    assert "uPlot.iife.min.js" in html and "dashboard.js" in html


@pytest.mark.django_db
def test_dashboard_tag_applies_the_streams_topic_rule():
    """A staff dashboard's snapshots are in the page only for staff."""
    from tests.users import User

    dashboards.publish("staff.ops", {"secret": 42})
    template = Template(
        '{% load sse_dashboards %}{% sse_dashboard "staff.ops" %}{% end_sse_dashboard %}'
    )

    def history_for(user) -> list:
        request = RequestFactory().get("/")
        if user is not None:
            request.user = user
        html = template.render(Context({"request": request}))
        part = html.split('<script class="sse-dashboard-history" type="application/json">')[1]
        return json.loads(part.split("</script>")[0])

    assert history_for(None) == []
    assert history_for(User.objects.create_user("u")) == []
    staff = User.objects.create_user("s", is_staff=True)
    assert [h["values"] for h in history_for(staff)] == [{"secret": 42}]


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_SSE_PRESENCE_INTERVAL=0.2)
async def test_sampler_runs_only_while_watched(sampler, hub_cleanup):
    hub = await get_hub()
    await asyncio.sleep(0.6)
    assert sampler == []  # nobody watches: no sampling
    sub = hub.subscribe(["dashboard:ops"])
    async with asyncio.timeout(5):
        while len(sampler) < 3:
            await asyncio.sleep(0.05)
    hub.unsubscribe(sub)
    await asyncio.sleep(0.3)
    stopped_at = len(sampler)
    await asyncio.sleep(0.8)
    assert len(sampler) == stopped_at
    published = await Event.objects.filter(topic="dashboard:ops").acount()
    assert published == stopped_at


@pytest.mark.django_db
def test_lease_lets_one_process_sample_per_period(sampler):
    ops = metrics.samplers[-1]
    assert sample(ops) is True
    assert sample(ops) is False  # same period: another process already did
    assert take_lease("other", 10) is True


@pytest.mark.django_db
def test_presence_sums_fresh_rows_across_processes():
    from datetime import timedelta

    from django.utils import timezone

    write_presence(3, {"dashboard:ops": 2, "news": 1}, {})
    HubPresence.objects.create(
        process="other:1", topics={"dashboard:ops": 3}, updated_at=timezone.now()
    )
    HubPresence.objects.create(
        process="dead:2", topics={"news": 50}, updated_at=timezone.now() - timedelta(hours=1)
    )
    assert watched_topics() == {"dashboard:ops": 5, "news": 1}


@pytest.mark.django_db
def test_publish_html_renders_escaped_fragment():
    publish_html("rows", "row.html", {"name": "<b>x</b>", "total": 3}, event="row")
    event = Event.objects.get(topic="rows")
    assert event.event == "row" and "&lt;b&gt;x&lt;/b&gt;" in event.data


# Token streams ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_post_stream_response_delivers_every_chunk_in_order(async_client):
    response = await async_client.post("/tokens/?n=300")
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    body = b"".join([chunk async for chunk in response.streaming_content])
    events = parse(body)
    assert [e.data for e in events[:-1]] == [f"w{i} " for i in range(300)]
    assert events[-1].type == "done"
    again = await async_client.get("/tokens/", headers={"Last-Event-ID": "300"})
    assert again.status_code == 204  # a finished one-shot stream is not replayed


@pytest.mark.django_db(transaction=True)
async def test_failing_generator_ends_with_an_error_event_not_a_500(async_client):
    response = await async_client.post("/tokens/?n=10&fail_at=5")
    events = parse(b"".join([chunk async for chunk in response.streaming_content]))
    assert [e.type for e in events] == ["token"] * 5 + ["error"]
    assert "secret" not in events[-1].data


@pytest.mark.django_db(transaction=True)
async def test_stream_to_broadcasts_one_generator_to_50_watchers(uvicorn_server, hub_cleanup):
    from tests.views import words

    url = f"{uvicorn_server.url}/sse/stream/?topics=story"
    streams = [open_stream(url) for _ in range(50)]
    opened = [await s.__aenter__() for s in streams]
    try:
        for s in opened:
            await s.wait_cursor()
        count = await stream_to("story", words(40))
        assert count == 40
        texts = set()
        for s in opened:
            events = await s.events(41)
            assert events[-1].type == "done"
            texts.add("".join(e.data for e in events[:-1]))
        assert texts == {"".join(f"w{i} " for i in range(40))}
    finally:
        for s in streams:
            await s.__aexit__(None, None, None)


@pytest.mark.django_db(transaction=True)
async def test_staff_dashboards_are_for_staff_only(async_client, hub_cleanup):
    from tests.users import User

    url = "/sse/stream/?topics=dashboard:staff.ops"
    assert (await async_client.get(url)).status_code == 401
    await async_client.aforce_login(await User.objects.acreate(username="u"))
    assert (await async_client.get(url)).status_code == 403
    await async_client.aforce_login(await User.objects.acreate(username="s", is_staff=True))
    assert (await async_client.get(url)).status_code == 200
    assert (await async_client.get("/sse/stream/?topics=dashboard:ops")).status_code == 200


def test_sampler_command_says_when_there_is_nothing_to_sample(test_db_url):
    import subprocess
    import sys

    from tests.servers import ROOT, server_env

    result = subprocess.run(
        [sys.executable, "-m", "django", "sse_sampler"],
        env=server_env(test_db_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "No sampler registered" in result.stderr
