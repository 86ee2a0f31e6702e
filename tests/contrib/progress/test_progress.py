"""Task progress: coalescing, outcomes, cancellation, authorization, tag,
Tasks framework, and a job in another process driving a real stream."""

import asyncio
import json
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings

from django_sse.contrib.progress import Progress, ProgressCancelled, enqueue
from django_sse.contrib.progress.models import TaskProgress
from django_sse.models import Event
from tests.servers import open_stream
from tests.users import User, grant

XSS = "<script>window.pwned=1</script>"


@pytest.fixture
def owner(db):
    return User.objects.create_user("owner")


@pytest.fixture
def other(db):
    return User.objects.create_user("other")


def published(job) -> list[tuple[str, dict]]:
    rows = Event.objects.filter(topic=f"progress:{job.id}").order_by("id")
    return [(e.event, json.loads(e.data)) for e in rows]


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_SSE_PROGRESS_INTERVAL=0.1)
def test_updates_are_coalesced_and_the_last_one_always_arrives(owner):
    job = Progress.start(owner=owner, label="Export")
    started = time.monotonic()
    for i in range(5000):
        job.update(percent=i / 50, message=f"{i}")
    elapsed = time.monotonic() - started
    time.sleep(0.3)  # the flusher sends what the loop left pending
    events = published(job)
    updates = [data for name, data in events if name == "progress"]
    assert len(updates) <= 2 + elapsed / 0.1 + 2  # created, started, ~10/s, last
    assert updates[-1]["message"] == "4999" and updates[-1]["percent"] == pytest.approx(99.98)
    job.record.refresh_from_db()
    assert job.record.message == "4999"


@pytest.mark.django_db
def test_outcomes_success_failure_and_exception(owner):
    with Progress.start(owner=owner, label="ok") as ok:
        ok.update(percent=50, stage="half")
    assert (ok.record.status, ok.record.percent) == ("succeeded", 100.0)
    assert published(ok)[-1][0] == "complete"

    with pytest.raises(RuntimeError), Progress.start(owner=owner) as bad:
        raise RuntimeError("disk full")
    bad.record.refresh_from_db()
    assert (bad.record.status, bad.record.error) == ("failed", "disk full")
    assert published(bad)[-1] == (
        "failed",
        bad.record.as_event() | {"elapsed": published(bad)[-1][1]["elapsed"]},
    )

    with pytest.raises(ValueError):
        ok.update(percent=101)


@pytest.mark.django_db
def test_cancellation_through_the_api(owner):
    job = Progress.start(owner=owner, label="long")
    client = Client()
    client.force_login(owner)
    assert client.get(f"/sse/progress/{job.id}/cancel/").status_code == 405
    response = client.post(f"/sse/progress/{job.id}/cancel/")
    assert response.status_code == 200 and response.json()["cancel_requested"] is True
    job._cancel_checked = 0
    assert job.cancelled
    with job:
        job.check_cancelled()
    job.record.refresh_from_db()
    assert job.record.status == "cancelled"
    assert published(job)[-1][0] == "cancelled"
    assert client.post(f"/sse/progress/{job.id}/cancel/").status_code == 409


@pytest.mark.django_db
def test_cancelled_exception_inside_block_is_swallowed(owner):
    with Progress.start(owner=owner) as job:
        raise ProgressCancelled
    assert job.record.status == "cancelled"


@pytest.mark.django_db
def test_only_the_owner_and_permitted_users_see_or_cancel(owner, other):
    job = Progress.start(owner=owner)
    staff = User.objects.create_user("staff", is_staff=True)  # no permission: nothing
    viewer = grant(User.objects.create_user("viewer"), TaskProgress.VIEW_PERMISSION)
    for user, status in ((other, 404), (staff, 404), (owner, 200), (viewer, 200)):
        client = Client()
        client.force_login(user)
        assert client.get(f"/sse/progress/{job.id}/state/").status_code == status
    client = Client()
    client.force_login(viewer)
    assert client.post(f"/sse/progress/{job.id}/cancel/").status_code == 403  # may not cancel
    job.record.refresh_from_db()
    assert not job.record.cancel_requested
    intruder = Client()
    intruder.force_login(other)
    assert intruder.post(f"/sse/progress/{job.id}/cancel/").status_code == 404
    assert Client().get(f"/sse/progress/{job.id}/state/").status_code == 404
    assert intruder.get("/sse/progress/00000000-0000-0000-0000-000000000000/").status_code == 404
    job.record.refresh_from_db()
    assert not job.record.cancel_requested


@pytest.mark.django_db(transaction=True)
async def test_shared_stream_topic_is_private(async_client, hub_cleanup):
    owner = await User.objects.acreate(username="o")
    other = await User.objects.acreate(username="x")
    job = await sync_to_async(Progress.start)(owner=owner)
    url = f"/sse/stream/?topics=progress:{job.id}"
    assert (await async_client.get(url)).status_code == 401
    await async_client.aforce_login(other)
    assert (await async_client.get(url)).status_code == 403
    assert (await async_client.get("/sse/stream/?topics=progress:not-a-uuid")).status_code == 403
    await async_client.aforce_login(owner)
    assert (await async_client.get(url)).status_code == 200


@pytest.mark.django_db
def test_template_tag_renders_current_state_escaped_and_only_for_the_owner(owner, other):
    job = Progress.start(owner=owner, label=XSS)
    job.update(percent=42, stage=XSS, message="4,200 / 10,000")
    job.flush()
    template = Template("{% load sse_progress %}{% sse_progress job_id %}")
    request = RequestFactory().get("/")
    request.user = owner
    html = template.render(Context({"job_id": job.id, "request": request}))
    assert 'value="42.0"' in html and "42%" in html and "4,200 / 10,000" in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert 'data-sse-topic="progress:' in html and "progress.js" in html
    request.user = other
    assert template.render(Context({"job_id": job.id, "request": request})) == ""
    assert template.render(Context({"job_id": "nope", "request": request})) == ""


@pytest.mark.django_db(transaction=True)
def test_tasks_framework_enqueue_runs_with_a_progress_handle(owner):
    from tests.jobs import report_task

    record = enqueue(report_task, 5, owner=owner, label="Report")
    record.refresh_from_db()
    assert (record.status, record.label, record.result) == (
        "succeeded",
        "Report",
        {"url": "/reports/1/", "rows": 5},
    )


@sync_to_async
def job_with_session(owner) -> tuple[Progress, dict[str, str]]:
    """A pending job of ``owner`` and a session cookie of theirs."""
    job = Progress.create(owner=owner, label="Report")
    client = Client()
    client.force_login(owner)
    return job, {"sessionid": client.cookies["sessionid"].value}


@pytest.mark.django_db(transaction=True)
async def test_job_in_another_process_drives_the_stream_to_the_end(
    uvicorn_server, owner, start_worker
):
    job, cookies = await job_with_session(owner)
    url = f"{uvicorn_server.url}/sse/progress/{job.id}/"
    async with open_stream(url, cookies=cookies) as stream:
        [first] = await stream.events(1)
        assert (first.type, first.json()["status"]) == ("progress", "pending")
        worker = await start_worker(uvicorn_server.db_url, job.id, 10, 0.15)
        events = []
        while not events or events[-1].type == "progress":
            events += await stream.events(1, timeout=20)
        await stream.ended()
    assert worker.wait(10) == 0
    assert events[-1].type == "complete" and events[-1].json()["result"]["url"] == "/reports/1/"
    percents = [e.json()["percent"] for e in events if e.json()["percent"] is not None]
    assert percents == sorted(percents) and len(percents) >= 3
    # The browser's automatic reconnect gets 204 and stops.
    async with httpx.AsyncClient(cookies=cookies) as http:
        assert (await http.get(url)).status_code == 204


@pytest.mark.django_db(transaction=True)
async def test_reconnect_mid_job_starts_at_the_current_state(uvicorn_server, owner, start_worker):
    job, cookies = await job_with_session(owner)
    worker = await start_worker(uvicorn_server.db_url, job.id, 40, 0.1)

    @sync_to_async
    def percent_now() -> float:
        return TaskProgress.objects.get(pk=job.id).percent or 0.0

    async with asyncio.timeout(20):  # wait for the job to be well under way
        while (reached := await percent_now()) < 25:
            await asyncio.sleep(0.05)
    url = f"{uvicorn_server.url}/sse/stream/?topics={job.record.topic}"
    async with open_stream(url, cookies=cookies) as stream:
        [first] = await stream.events(1)
    # The first event is the job's current state, not 0%.
    assert first.json()["percent"] >= reached
    assert worker.wait(20) == 0
