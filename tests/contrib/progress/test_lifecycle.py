"""A job's life outside its own code: heartbeats, lost jobs, cancelling a
job no worker has started, groups, and a handle that outlives its job."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from django_sse.contrib.progress import Progress
from django_sse.contrib.progress.lost import mark_lost
from django_sse.contrib.progress.models import TaskProgress
from django_sse.contrib.progress.tasks import run_job
from django_sse.models import Event
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(transactional_db):
    return User.objects.create_user("owner")


def events_of(record) -> list[tuple[str, dict]]:
    rows = Event.objects.filter(topic=f"progress:{record.pk}").order_by("id")
    return [(e.event, json.loads(e.data)) for e in rows]


def age_heartbeat(record, seconds: float) -> None:
    TaskProgress.objects.filter(pk=record.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


@override_settings(DJANGO_SSE_PROGRESS_LOST_AFTER=0.4)
def test_a_quiet_job_keeps_beating_and_is_never_lost(owner):
    with Progress.start(owner=owner, label="Quiet") as job:
        first = TaskProgress.objects.get(pk=job.id).heartbeat_at
        time.sleep(0.6)  # no update: the background thread beats (every 0.1 s)
        assert TaskProgress.objects.get(pk=job.id).heartbeat_at > first
        assert mark_lost() == []
    assert TaskProgress.objects.get(pk=job.id).status == "succeeded"


def test_a_silent_running_job_is_lost_once_and_its_handle_cannot_revive_it(owner):
    job = Progress.start(owner=owner, label="Doomed")
    pending = Progress.create(owner=owner, label="Waiting")  # no worker yet: not lost
    age_heartbeat(job.record, 4)
    [lost] = mark_lost()
    assert lost.pk == job.id and mark_lost() == []  # once, by one sweep
    record = TaskProgress.objects.get(pk=job.id)
    assert record.status == "lost" and "no heartbeat for over 3 s" in record.error
    assert TaskProgress.objects.get(pk=pending.id).status == "pending"
    name, state = events_of(record)[-1]
    assert (name, state["status"]) == ("lost", "lost")
    # The worker was only slow: what it does next changes nothing.
    job.update(percent=90)
    job.flush()
    job.succeed(result={"url": "/late/"})
    assert TaskProgress.objects.get(pk=job.id).status == "lost"
    assert events_of(record)[-1][0] == "lost"


def test_a_job_that_beat_again_meanwhile_is_not_lost(owner, monkeypatch):
    job = Progress.start(owner=owner)
    age_heartbeat(job.record, 4)
    manager = TaskProgress.objects
    original = manager.filter

    def beat_in_between(*args, **kwargs):
        if "heartbeat_at" in kwargs:  # the sweep's conditional write: beat first
            original(pk=job.id).update(heartbeat_at=timezone.now())
        return original(*args, **kwargs)

    monkeypatch.setattr(manager, "filter", beat_in_between)
    assert mark_lost() == []
    monkeypatch.undo()
    assert TaskProgress.objects.get(pk=job.id).status == "running"
    job.succeed()


def test_cancelling_a_pending_job_ends_it_and_its_worker_does_not_run_it(owner):
    job = Progress.create(owner=owner, label="Queued")
    client = Client()
    client.force_login(owner)
    answer = client.post(f"/sse/progress/{job.id}/cancel/")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    ran = []
    assert run_job(job.id, lambda progress: ran.append(progress)) is None
    assert ran == []
    assert client.post(f"/sse/progress/{job.id}/cancel/").json() == {
        "status": 409,
        "error": "The job has already ended: Cancelled.",
    }


def test_a_job_without_a_row_says_how_to_send_it(owner):
    with pytest.raises(LookupError, match="decorated with @with_progress"):
        run_job("00000000-0000-0000-0000-000000000000", lambda progress: None)


def test_a_group_shows_the_aggregate_of_its_members(owner):
    group, members = Progress.create_group(owner=owner, label="Three", size=3, backend="celery")
    assert group.backend == "group" and [m.record.group_id for m in members] == [group.pk] * 3
    members[0].begin()
    members[0].update(percent=60)
    members[0].flush()
    state = TaskProgress.objects.get(pk=group.pk)
    assert (state.status, state.percent, state.stage) == ("running", 20.0, "0 of 3 done")
    members[0].succeed()
    members[1].begin()
    members[1].fail("boom")
    assert TaskProgress.objects.get(pk=group.pk).message == "1 failed or lost"
    members[2].begin()
    age_heartbeat(members[2].record, 4)
    mark_lost()
    state = TaskProgress.objects.get(pk=group.pk)
    assert (state.status, state.stage, state.percent) == ("failed", "3 of 3 done", 100.0)
    assert state.error == "2 of 3 failed or were lost."
    assert events_of(state)[-1][0] == "failed"
    # A group has no worker of its own: the sweep never marks it lost.
    assert mark_lost() == []


def test_cancelling_a_group_cancels_every_member(owner):
    group, members = Progress.create_group(owner=owner, label="Two", size=2, backend="rq")
    members[0].begin()
    client = Client()
    client.force_login(owner)
    assert client.post(f"/sse/progress/{group.pk}/cancel/").status_code == 200
    assert TaskProgress.objects.get(pk=members[1].id).status == "cancelled"  # was pending
    assert members[0].cancelled
    members[0].mark_cancelled()
    assert TaskProgress.objects.get(pk=group.pk).status == "cancelled"


def test_a_group_needs_members(owner):
    with pytest.raises(ValueError, match="at least one member"):
        Progress.create_group(owner=owner, label="None", size=0, backend="celery")


def test_a_new_job_is_announced_to_its_owner_only(owner):
    job = Progress.create(owner=owner, label="Mine")
    Progress.create(label="Nobody's")
    [row] = Event.objects.filter(topic__startswith="jobs:")
    assert (row.topic, row.event, json.loads(row.data)["id"]) == (
        f"jobs:{owner.pk}",
        "job",
        str(job.id),
    )


def test_an_update_whose_write_failed_is_written_again(owner, monkeypatch, caplog):
    from django_sse.contrib.progress import models as module  # where job states are published

    job = Progress.start(owner=owner, label="Flaky")
    real = module.publish
    failures = []

    def publish_once_failing(*args, **kwargs):
        if not failures:
            failures.append(args[0])
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "publish", publish_once_failing)
    job.update(percent=40, stage="Halfway")
    deadline = time.monotonic() + 5
    while TaskProgress.objects.get(pk=job.id).percent != 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    record = TaskProgress.objects.get(pk=job.id)
    assert (record.percent, record.stage) == (40, "Halfway") and failures
    assert events_of(record)[-1][1]["percent"] == 40  # rolled back, then sent in full
    assert "sse.progress.send_failed" in caplog.text
    job.succeed()


def test_a_failing_job_finished_receiver_is_logged_not_raised_into_the_job(owner, caplog):
    from django_sse.contrib.progress.signals import job_finished

    told = []

    def broken(sender, job, **kwargs):
        raise ValueError("receiver bug")

    def later(sender, job, **kwargs):
        told.append(job.label)

    job_finished.connect(broken)
    job_finished.connect(later)
    try:
        job = Progress.start(owner=owner, label="report")
        job.succeed()  # committed: the receiver's error is not the job's
    finally:
        job_finished.disconnect(broken)
        job_finished.disconnect(later)
    assert told == ["report"]
    assert TaskProgress.objects.get(pk=job.id).status == "succeeded"
    [record] = [
        r for r in caplog.records if getattr(r, "event", "") == "sse.progress.receiver_failed"
    ]
    assert "receiver bug" in record.getMessage() and record.exc_info[0] is ValueError


def test_job_finished_is_sent_once_per_job_after_commit(owner):
    from django.db import transaction

    from django_sse.contrib.progress.signals import job_finished

    ended = []

    def record(sender, job, **kwargs):
        ended.append((job.label, job.status))

    job_finished.connect(record)
    try:
        Progress.start(owner=owner, label="ok").succeed()
        with pytest.raises(RuntimeError), Progress.start(owner=owner, label="bad"):
            raise RuntimeError("no")
        Progress.start(owner=owner, label="stopped").mark_cancelled()
        queued = Progress.create(owner=owner, label="queued")
        client = Client()
        client.force_login(owner)
        client.post(f"/sse/progress/{queued.id}/cancel/")
        silent = Progress.start(owner=owner, label="silent")
        age_heartbeat(silent.record, 4)
        mark_lost()
        silent.succeed()  # too late: nothing changes, nothing is sent
        group, members = Progress.create_group(owner=owner, label="g", size=1, backend="rq")
        members[0].begin()
        members[0].succeed()
        with transaction.atomic():
            Progress.start(owner=owner, label="rolled back").succeed()
            transaction.set_rollback(True)
    finally:
        job_finished.disconnect(record)
    assert ended == [
        ("ok", "succeeded"),
        ("bad", "failed"),
        ("stopped", "cancelled"),
        ("queued", "cancelled"),
        ("silent", "lost"),
        ("g (1 of 1)", "succeeded"),
        ("g", "succeeded"),
    ]
