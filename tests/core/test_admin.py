"""The admin: the event log and the deployment's open streams."""

import json
from contextlib import aclosing

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from django_sse.models import HubPresence
from django_sse.presence import PERMISSION
from django_sse.protocol import parse
from tests.users import User, grant


@pytest.mark.django_db
def test_admin_streams_page_is_staff_only_and_hides_who_is_online(admin_client, client):
    from django.utils import timezone

    HubPresence.objects.create(
        process="p:1",
        topics={"user:7": 1, "user:9": 2, "progress:abc": 1, "news": 4},
        streams=8,
        updated_at=timezone.now(),
    )
    page = admin_client.get("/admin/django_sse/event/streams/").content.decode()
    assert "<td>user:*</td><td>3</td>" in page and "<td>news</td><td>4</td>" in page
    assert "user:7" not in page and "progress:abc" not in page
    assert 'data-url="/sse/deployment/"' in page
    assert client.get("/admin/django_sse/event/streams/").status_code == 302  # to login


@pytest.mark.django_db(transaction=True)
async def test_deployment_stream_is_staff_only_and_live(async_client):
    await HubPresence.objects.acreate(
        process="p:2", topics={"user:7": 2, "news": 1}, streams=3, updated_at=timezone.now()
    )
    url = "/sse/deployment/"
    assert (await async_client.get(url)).status_code == 401
    await async_client.aforce_login(await User.objects.acreate(username="u"))
    refused = await async_client.get(url)
    assert refused.status_code == 403 and refused.json()["status"] == 403
    staff = await User.objects.acreate(username="s", is_staff=True)
    await async_client.aforce_login(staff)
    assert (await async_client.get(url)).status_code == 403  # staff without the permission
    await sync_to_async(grant)(staff, PERMISSION)
    response = await async_client.get(url)
    assert response["Content-Type"].startswith("text/event-stream")
    async with aclosing(response.streaming_content) as chunks:
        [event] = parse(await anext(chunks))
    assert event.type == "streams"
    # The test servers of this worker share the database and add their own
    # presence rows: this process's row is part of the totals, never by user.
    current = json.loads(event.data)
    assert current["processes"] >= 1 and current["streams"] >= 3
    assert current["topics"]["news"] >= 1 and current["topics"]["user:*"] >= 2
    assert not any(topic.startswith("user:") and topic != "user:*" for topic in current["topics"])


@pytest.mark.django_db
def test_event_log_is_read_only(admin_client):
    assert admin_client.get("/admin/django_sse/event/add/").status_code == 403


@pytest.mark.django_db
def test_presence_rows_stay_small_whatever_clients_name():
    """400 anonymous streams naming 50 unique 200-character topics each once
    made a 4.1 MB row, rewritten every few seconds."""
    from django_sse.models import HubPresence
    from django_sse.presence import MAX_TOPICS, OTHER, PROCESS, summarise, write_presence

    counts = {f"spam{i:05d}".ljust(200, "x"): 1 for i in range(20_000)}
    counts |= {"news": 40, "dashboard:ops": 3, "user:7": 2, "user:8": 1, "progress:ab": 1}
    write_presence(sum(counts.values()), counts, {"restarts": 0, "last_error": None})
    row = HubPresence.objects.get(process=PROCESS)
    assert len(json.dumps(row.topics)) < 50_000
    assert row.streams == sum(counts.values())
    summary = summarise(counts)
    assert summary["news"] == 40 and summary["dashboard:ops"] == 3  # kept by name
    assert summary["user:*"] == 3 and summary["progress:*"] == 1  # personal: per family
    assert not any(t.startswith("user:") and t != "user:*" for t in summary)
    assert summary[OTHER] == 20_000 - (MAX_TOPICS - 2)
    assert sum(summary.values()) == sum(counts.values())


@pytest.mark.django_db
def test_health_names_the_processes_whose_reader_restarted(capsys):
    from django.core.management import call_command

    from django_sse.presence import PROCESS, deployment_streams, write_presence

    write_presence(0, {}, {"restarts": 0, "last_error": None})
    assert deployment_streams()["readers_restarted"] == {}
    write_presence(0, {}, {"restarts": 2, "last_error": "RuntimeError: boom"})
    health = {"restarts": 2, "last_error": "RuntimeError: boom"}
    assert deployment_streams()["readers_restarted"] == {PROCESS: health}
    call_command("sse_health")
    assert json.loads(capsys.readouterr().out)["readers_restarted"] == {PROCESS: health}
