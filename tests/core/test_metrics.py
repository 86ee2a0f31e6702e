"""Prometheus metrics and health probes, with real parts: two server
processes in prometheus_client's multiprocess mode, a publisher in a third,
a scrape parsed with prometheus_client's own parser; readiness against a
broker whose Redis cannot be reached."""

import asyncio
import contextlib
import subprocess
import sys

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from django_sse.hubs import get_hub, stop_hub
from django_sse.presence import deployment_streams
from tests.servers import ROOT, open_stream, server_env, uvicorn_and_daphne

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "scrape-me-please"
METRICS = {
    "django_sse_streams",
    "django_sse_subscriptions",
    "django_sse_connects",
    "django_sse_events_read",
    "django_sse_deliveries",
    "django_sse_replayed_events",
    "django_sse_resets",
    "django_sse_bytes_written",
    "django_sse_delivery_lag_seconds",
    "django_sse_streams_cut",
    "django_sse_listener_connects",
    "django_sse_listener_outage_seconds",
    "django_sse_listener_connected",
    "django_sse_notify_queue_usage",
    "django_sse_log_last_id",
    "django_sse_log_pruned_through",
    "django_sse_reader_errors",
    "django_sse_reader_restarts",
    "django_sse_skipped_rows",
}


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels without pid): summed value}."""
    samples: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "pid"))
            key = (sample.name, labels)
            samples[key] = samples.get(key, 0.0) + sample.value
    return samples


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


async def test_a_scrape_of_two_processes_during_a_burst(test_db_url, tmp_path):
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SSE_METRICS_TOKEN": TOKEN,
        "DJANGO_SSE_METRICS_INTERVAL": "0.2",
        "DJANGO_SSE_PRESENCE_INTERVAL": "0.2",
    }
    with uvicorn_and_daphne(test_db_url, **env) as servers:
        async with contextlib.AsyncExitStack() as stack:
            await _burst(servers, stack, test_db_url)


async def _burst(servers, stack, test_db_url):
    """Two streams on each server, two refused connects, 50 events, a scrape."""
    streams = [
        open_stream(f"{srv.url}/sse/stream/?topics=burst") for srv in servers for _ in (1, 2)
    ]
    opened = [await stack.enter_async_context(s) for s in streams]
    for stream in opened:
        await stream.wait_cursor()
    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.get(f"{servers[0].url}/sse/stream/?topics=user:1")
        assert refused.status_code == 401
        bad = await http.get(f"{servers[1].url}/sse/stream/?topics=a%20b")
        assert bad.status_code == 400
        script = "from django_sse import publish\nfor i in range(50): publish('burst', i)"
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", f"import django; django.setup()\n{script}"],
            env=server_env(test_db_url),
            cwd=ROOT,
            check=True,
        )
        for stream in opened:
            assert [e.json() for e in await stream.events(50)] == list(range(50))
        scrape = f"{servers[1].url}/sse/metrics/"
        for _ in range(100):  # the processes copy their counts every 0.2 s
            answer = await http.get(scrape, headers={"Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 200, answer.text
            values = parse(answer.text)
            if values.get(("django_sse_deliveries_total", ())) == 4 * 50:
                break
            await asyncio.sleep(0.1)
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    assert families(answer.text) >= METRICS, METRICS - families(answer.text)
    assert values[("django_sse_deliveries_total", ())] == 4 * 50  # streams x events
    assert values[("django_sse_streams", ())] == 4
    assert values[("django_sse_subscriptions", (("family", "public"),))] == 4
    assert values[("django_sse_connects_total", (("outcome", "accepted"),))] == 4
    assert values[("django_sse_connects_total", (("outcome", "unauthorized"),))] == 1
    assert values[("django_sse_connects_total", (("outcome", "bad_request"),))] == 1
    assert values[("django_sse_events_read_total", ())] >= 2 * 50  # each process reads all
    assert values[("django_sse_bytes_written_total", ())] > 4 * 50 * len(b"data: 0\n\n")
    assert values[("django_sse_delivery_lag_seconds_count", ())] >= 2 * 50
    assert values[("django_sse_listener_connects_total", ())] == 2
    assert values[("django_sse_listener_connected", ())] == 2  # both processes
    assert 0 <= values[("django_sse_notify_queue_usage", ())] < 0.01
    assert values[("django_sse_log_last_id", ())] >= 50
    await _admin_shows_the_same_numbers(servers, values)


async def _admin_shows_the_same_numbers(servers, values):
    """The admin's open-streams page: each process's counts (its presence
    row) and their total, equal to the scrape's."""
    from django.test import AsyncClient

    from tests.users import User

    admin = await User.objects.acreate(username="ops", is_staff=True, is_superuser=True)
    client = AsyncClient()
    await client.aforce_login(admin)
    wanted = {
        "deliveries": values[("django_sse_deliveries_total", ())],
        "accepted": values[("django_sse_connects_total", (("outcome", "accepted"),))],
        "refused": 2,
        "bytes_written": values[("django_sse_bytes_written_total", ())],
        "listener_connects": 2,
    }
    pids = {str(srv.process.pid) for srv in servers}
    for _ in range(50):  # presence rows are rewritten every 0.2 s
        current = await sync_to_async(deployment_streams)()
        ours = {
            p: n for p, n in current["numbers"]["processes"].items() if p.split(":")[-1] in pids
        }
        totals = {key: sum(n.get(key, 0) for n in ours.values()) for key in wanted}
        if len(ours) == 2 and totals == wanted:
            break
        await asyncio.sleep(0.1)
    assert totals == wanted
    assert {n["deliveries"] for n in ours.values()} == {2 * 50}  # two streams each
    page = (await client.get("/admin/django_sse/event/streams/")).content.decode()
    for process in ours:
        assert f'<th scope="col">{process}</th>' in page
    assert '<tr data-key="deliveries"><th scope="row">Deliveries (streams x events)</th>' in page
    assert "<td>100</td>" in page and "<code>django_sse_deliveries_total</code>" in page


async def test_the_metrics_need_the_token_or_a_staff_permission(async_client):
    from django_sse.presence import PERMISSION
    from tests.users import User, grant

    with override_settings(DJANGO_SSE_METRICS_TOKEN=TOKEN):
        anonymous = await async_client.get("/sse/metrics/")
        wrong = await async_client.get("/sse/metrics/", headers={"Authorization": "Bearer nope"})
        right = await async_client.get(
            "/sse/metrics/", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    unset = await async_client.get("/sse/metrics/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (anonymous.status_code, anonymous.json()["status"]) == (401, 401)
    assert wrong.status_code == 401 and "token" in wrong.json()["error"]
    assert right.status_code == 200 and "django_sse_connects_total" in right.text
    assert unset.status_code == 401  # no token configured: none works
    plain = await User.objects.acreate(username="plain", is_staff=True)
    await async_client.aforce_login(plain)
    without_permission = await async_client.get("/sse/metrics/")
    assert without_permission.status_code == 403
    ops = await User.objects.acreate(username="ops", is_staff=True)
    await async_client.aforce_login(await sync_to_async(grant)(ops, PERMISSION))
    staff = await async_client.get("/sse/metrics/")
    assert staff.status_code == 200 and "# TYPE django_sse_streams gauge" in staff.text
    posted = await async_client.post("/sse/metrics/")
    assert posted.status_code == 405 and posted.json()["status"] == 405


async def test_liveness_answers_without_the_database(async_client):
    answer = await async_client.get("/sse/health/live/")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


async def test_readiness_when_the_hub_reads_and_listens(async_client, hub_cleanup):
    hub = await get_hub()
    # The hub is ready once the log reads; its listener connects just after.
    async with asyncio.timeout(10):
        while not hub.broker.connected:
            await asyncio.sleep(0.02)
    answer = await async_client.get("/sse/health/ready/")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"status": "ready"}  # anonymous: the status alone
    with override_settings(DJANGO_SSE_METRICS_TOKEN="t" * 32):
        answer = await async_client.get(
            "/sse/health/ready/", headers={"Authorization": "Bearer " + "t" * 32}
        )
    body = answer.json()
    assert body["status"] == "ready" and body["broker_connected"] is True
    assert body["broker"] == hub.broker.name and "streams" in body


@override_settings(DJANGO_SSE_BROKER="redis", DJANGO_SSE_CHANNEL_LAYER="unreachable")
async def test_readiness_fails_while_the_listener_is_away(async_client):
    try:
        # Away for less than the threshold (however long the start took)...
        with override_settings(DJANGO_SSE_READY_MAX_OUTAGE=60):
            first = await async_client.get("/sse/health/ready/")  # starts the hub
        await asyncio.sleep(0.6)
        # ...then for longer than it.
        with override_settings(DJANGO_SSE_READY_MAX_OUTAGE=0.3):
            later = await async_client.get("/sse/health/ready/")
    finally:
        await stop_hub()
    assert first.status_code == 200  # away for less than the threshold
    assert later.status_code == 503
    assert "listener" in later.json()["error"] and later["Retry-After"]


@override_settings(DJANGO_SSE_READY_MAX_QUEUE_USAGE=1e-7)
async def test_readiness_fails_when_the_notify_queue_fills(async_client, hub_cleanup, test_db_url):
    import psycopg

    # A listener inside a transaction reads nothing: the notifications sent
    # meanwhile stay in PostgreSQL's queue (a few pages of it).
    params = {"host": "127.0.0.1", "user": "postgres", "dbname": "postgres"}
    holder = await psycopg.AsyncConnection.connect(**params)
    sender = await psycopg.AsyncConnection.connect(**params, autocommit=True)
    try:
        await holder.execute("LISTEN ready_probe_test")
        await holder.commit()
        await holder.execute("SELECT 1")  # stays in its transaction
        for _ in range(3):
            await sender.execute("SELECT pg_notify('ready_probe_test', %s)", ("x" * 7000,))
        answer = await async_client.get("/sse/health/ready/")
    finally:
        await holder.close()
        await sender.close()
    assert answer.status_code == 503 and "NOTIFY queue" in answer.json()["error"]
