"""The stream endpoint in process (Django's AsyncClient, real PostgreSQL)."""

import asyncio
import json
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.test import override_settings

from django_sse import publish
from django_sse.models import LogState
from django_sse.presence import PERMISSION
from django_sse.protocol import Event, Parser
from tests.users import User, grant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]

URL = "/sse/stream/"


class Reader:
    def __init__(self, response):
        self.response = response
        self.chunks = aiter(response.streaming_content)
        self.parser = Parser()
        self.pending: list[Event] = []
        self.raw = b""

    def feed(self, chunk: bytes) -> list[Event]:
        return [e for e in self.parser.feed(chunk) if e.type != "sse-cursor"]

    async def events(self, count: int, timeout: float = 5.0) -> list[Event]:
        async with asyncio.timeout(timeout):
            while len(self.pending) < count:
                chunk = await anext(self.chunks)
                self.raw += chunk
                self.pending += self.feed(chunk)
        got, self.pending = self.pending[:count], self.pending[count:]
        return got

    async def until_cursor(self, timeout: float = 5.0) -> str:
        async with asyncio.timeout(timeout):
            while not self.parser.last_event_id:
                chunk = await anext(self.chunks)
                self.raw += chunk
                self.pending += self.feed(chunk)
        return self.parser.last_event_id


async def open_stream(async_client, query: str, **headers) -> Reader:
    response = await async_client.get(URL + query, headers=headers)
    assert response.status_code == 200, response.content
    return Reader(response)


apublish = sync_to_async(publish)


async def test_headers_retry_first_and_never_gzipped(async_client):
    response = await async_client.get(URL + "?topics=news", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Cache-Control"] == "no-cache, no-transform"
    assert response["X-Accel-Buffering"] == "no"
    assert not response.has_header("Content-Encoding")
    first = await anext(aiter(response.streaming_content))
    assert first.startswith(b"retry: 2000\nid: ")  # the first frame opens with it


async def test_a_compressor_reading_request_headers_leaves_streams_alone(async_client):
    from django.conf import settings

    middleware = ["tests.middleware.HeadersCompressor", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        response = await async_client.get(URL + "?topics=news", headers={"Accept-Encoding": "gzip"})
        first = await anext(aiter(response.streaming_content))
    assert not response.has_header("Content-Encoding")
    assert first.startswith(b"retry: 2000\nid: ")  # the first frame opens with it


async def test_live_event_after_connect(async_client):
    reader = await open_stream(async_client, "?topics=orders,news")
    cursor = int(await reader.until_cursor())
    event_id = await apublish("orders", {"id": 7}, event="order-created")
    [event] = await reader.events(1)
    assert event_id > cursor
    assert (event.type, event.json(), event.last_event_id) == (
        "order-created",
        {"id": 7},
        f"{event_id} orders",
    )


@pytest.mark.parametrize(
    "query,message",
    [
        ("", "No topic given"),
        ("?topics=", "No topic given"),
        ("?topics=a%0Aevent:x", "Invalid topic"),
        ("?topics=" + "x" * 201, "Invalid topic"),
        ("?topics=a,b,c", "Too many topics"),
        ("?topics=a&topics=b&topics=c", "Too many topics"),
    ],
)
@override_settings(DJANGO_SSE_MAX_TOPICS=2)
async def test_bad_topics_are_400_with_json_error(async_client, query, message):
    response = await async_client.get(URL + query)
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_post_is_405(async_client):
    assert (await async_client.post(URL + "?topics=a")).status_code == 405


def test_wsgi_request_gets_501_explaining_asgi(client):
    response = client.get(URL + "?topics=a")
    assert response.status_code == 501
    assert "ASGI" in response.json()["error"]


async def test_user_topics_are_private(async_client):
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")
    anonymous = await async_client.get(URL + f"?topics=user:{alice.pk}")
    assert anonymous.status_code == 401
    await async_client.aforce_login(bob)
    response = await async_client.get(URL + f"?topics=user:{alice.pk}")
    assert response.status_code == 403
    assert "user:" in response.json()["error"]
    response = await async_client.get(URL + f"?topics=user:{bob.pk},news")
    assert response.status_code == 200


async def test_group_topics_need_membership(async_client):
    staff = await Group.objects.acreate(name="staff")
    member = await User.objects.acreate(username="member")
    await member.groups.aadd(staff)
    outsider = await User.objects.acreate(username="outsider")
    await async_client.aforce_login(outsider)
    assert (await async_client.get(URL + "?topics=group:staff")).status_code == 403
    await async_client.aforce_login(member)
    assert (await async_client.get(URL + "?topics=group:staff")).status_code == 200


def deny_secret(user, topic):
    return not topic.startswith("secret")


async def async_deny_secret(user, topic):
    return not topic.startswith("secret")


def broken_hook(user, topic):
    raise RuntimeError("boom")


@pytest.mark.parametrize("hook", ["deny_secret", "async_deny_secret"])
async def test_authorize_hook_sync_and_async(async_client, hook):
    with override_settings(DJANGO_SSE_AUTHORIZE=f"tests.core.test_views.{hook}"):
        assert (await async_client.get(URL + "?topics=news,secret")).status_code == 403
        assert (await async_client.get(URL + "?topics=news")).status_code == 200


@override_settings(DJANGO_SSE_AUTHORIZE="tests.core.test_views.broken_hook")
async def test_authorize_hook_that_raises_denies_with_403(async_client, caplog):
    response = await async_client.get(URL + "?topics=news")
    assert response.status_code == 403
    assert "DJANGO_SSE_AUTHORIZE raised" in caplog.text


async def test_replay_after_last_event_id_header_or_query(async_client):
    ids = [await apublish("news", i) for i in range(3)]
    await apublish("other", "not mine")
    reader = await open_stream(async_client, "?topics=news", **{"Last-Event-ID": f"{ids[0]} news"})
    assert [e.json() for e in await reader.events(2)] == [1, 2]
    reader = await open_stream(async_client, f"?topics=news&last_event_id={ids[1]}")
    [event] = await reader.events(1)
    assert (event.json(), event.last_event_id) == (2, f"{ids[2]} news")


async def test_latest_topics_send_only_the_current_value_then_live(async_client):
    for value in (1, 2, 3):
        await apublish("state:ops", {"v": value})
    reader = await open_stream(async_client, "?topics=state:ops")
    [event] = await reader.events(1)
    assert event.json() == {"v": 3}
    await apublish("state:ops", {"v": 4})
    assert [e.json() for e in await reader.events(1)] == [{"v": 4}]


@override_settings(DJANGO_SSE_BROKER="polling", DJANGO_SSE_POLL_INTERVAL=0.05)
async def test_none_topics_are_not_replayed(async_client):
    """With the polling broker they are in the log (other brokers carry
    them whole: test_unlogged.py), but never replayed."""
    first = await apublish("chat:1", "a")
    await apublish("chat:1", "b")
    reader = await open_stream(async_client, "?topics=chat:1", **{"Last-Event-ID": str(first)})
    await reader.until_cursor()
    live = await apublish("chat:1", "c")
    [event] = await reader.events(1)
    assert (event.data, event.last_event_id) == ("c", f"{live} chat:1")


BAD_CURSORS = ["abc", "-1", "1.5", "１２", "9" * 40, "x" * 10_000, "1\x002", " 1", "١"]


@pytest.mark.parametrize(
    "cursor,via",
    [(c, "query") for c in BAD_CURSORS] + [(c, "header") for c in BAD_CURSORS if c.isascii()],
)
async def test_malformed_cursor_resets_never_500(async_client, cursor, via):
    await apublish("news", "old")
    if via == "query":
        query = urlencode({"topics": "news", "last_event_id": cursor})
        reader = await open_stream(async_client, "?" + query)
    else:  # HTTP headers are latin-1: unicode cursors go through the query
        reader = await open_stream(async_client, "?topics=news", **{"Last-Event-ID": cursor})
    [reset] = await reader.events(1)
    assert reset.type == "reset" and reset.json() == {"reason": "malformed"}
    assert reset.last_event_id == ""  # reset carries no id...
    assert int(await reader.until_cursor()) >= 1  # ...the cursor frame follows


async def test_cursor_from_the_future_resets(async_client):
    await apublish("news", "old")
    reader = await open_stream(async_client, "?topics=news", **{"Last-Event-ID": "99999999"})
    [reset] = await reader.events(1)
    assert reset.json() == {"reason": "unknown-cursor"}


async def test_cursor_older_than_retention_resets(async_client):
    first = await apublish("news", "pruned")
    await apublish("news", "kept")
    await LogState.objects.aupdate_or_create(id=1, defaults={"pruned_through": first + 1})
    reader = await open_stream(async_client, "?topics=news", **{"Last-Event-ID": str(first - 1)})
    [reset] = await reader.events(1)
    assert reset.json() == {"reason": "expired-cursor"}
    cursor = await reader.until_cursor()
    live = await apublish("news", "live")
    [event] = await reader.events(1)
    assert int(cursor) < live and event.data == "live"


@override_settings(DJANGO_SSE_HEARTBEAT=0.2)
async def test_heartbeat_comments_when_idle(async_client):
    reader = await open_stream(async_client, "?topics=quiet")
    await reader.until_cursor()
    await asyncio.sleep(0.5)
    with pytest.raises(TimeoutError):
        await reader.events(1, timeout=0.5)
    assert b"\n:\n\n" in reader.raw


@override_settings(DJANGO_SSE_MAX_DURATION=0.5)
async def test_max_duration_ends_the_stream_cleanly(async_client):
    reader = await open_stream(async_client, "?topics=news")
    await reader.until_cursor()
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(3):
            while True:
                await anext(reader.chunks)


async def test_stats_is_staff_only(async_client):
    assert (await async_client.get("/sse/stats/")).status_code == 401
    user = await User.objects.acreate(username="u")
    await async_client.aforce_login(user)
    assert (await async_client.get("/sse/stats/")).status_code == 403
    staff = await User.objects.acreate(username="s", is_staff=True)
    await async_client.aforce_login(staff)
    assert (await async_client.get("/sse/stats/")).status_code == 403  # no permission
    await sync_to_async(grant)(staff, PERMISSION)
    reader = await open_stream(async_client, "?topics=news")  # keep it referenced: open
    await reader.until_cursor()
    stats = json.loads((await async_client.get("/sse/stats/")).content)
    assert stats["streams"] == 1 and stats["topics"] == {"news": 1}


@override_settings(DJANGO_SSE_IDLE_TIMEOUT=1.5, DJANGO_SSE_HEARTBEAT=0.2)
async def test_idle_timeout_ends_a_quiet_stream_but_not_a_busy_one(async_client):
    reader = await open_stream(async_client, "?topics=news")
    await reader.until_cursor()
    loop = asyncio.get_running_loop()
    started = loop.time()
    for i in range(6):  # events keep it alive past the idle timeout
        await asyncio.sleep(0.4)
        await apublish("news", i)
        await reader.events(1)
    assert loop.time() - started > 2.0
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(6):
            while True:
                await anext(reader.chunks)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,data",
    [
        (["--data", '"just a string"'], '"just a string"'),
        (["--data", '{"a": [1, 2], "é": 1}'], '{"a":[1,2],"é":1}'),
        ([], "null"),
        (["--text", "--data", "plain words"], "plain words"),
        (["--text"], ""),
    ],
)
def test_sse_publish_sends_json_as_json_and_text_as_text(args, data):
    from io import StringIO

    from django.core.management import call_command

    from django_sse.models import Event

    out = StringIO()
    call_command("sse_publish", "cmd", *args, stdout=out)
    event = Event.objects.get(topic="cmd")
    assert event.data == data
    assert out.getvalue().strip() == f"Published event {event.id} to 'cmd' (message)."


async def test_a_user_model_without_permissions_is_not_staff():
    """A custom user model without PermissionsMixin has neither ``is_staff``
    nor ``ahas_perm``: the staff endpoints refuse it (403), not a 500."""
    from django.test import RequestFactory

    from django_sse.views import staff_only

    class Member:  # what such a model's instance offers
        is_authenticated = True

    async def auser():
        return Member()

    request = RequestFactory().get("/sse/stats/")
    request.auser = auser
    refused = await staff_only(request)
    assert refused is not None and refused.status_code == 403
