"""Security: stream tokens, CORS, limits, revocation, an access matrix, and
hostile input. Real PostgreSQL; streams through Django's AsyncClient."""

import asyncio
import json
from datetime import timedelta
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from django_sse import publish, revoke
from django_sse.catchup import MAX_CURSOR, Cursor
from django_sse.contrib.progress import Progress
from django_sse.models import Event, LogState
from django_sse.tokens import make_token
from django_sse.topics import InvalidTopic, parse_topics
from tests.users import User, grant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]
STREAM = "/sse/stream/"


def csrf_client(user=None) -> tuple[Client, dict]:
    from django.middleware.csrf import _get_new_csrf_string

    client = Client(enforce_csrf_checks=True)
    if user:
        client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, {"HTTP_X_CSRFTOKEN": token}


# Stream tokens -------------------------------------------------------------------


def test_token_endpoint_needs_login_post_csrf_and_valid_input():
    alice = User.objects.create_user("alice")
    anonymous, headers = csrf_client()
    assert anonymous.post("/sse/token/", **headers).status_code == 401
    client, headers = csrf_client(alice)
    assert client.get("/sse/token/").status_code == 405
    assert client.post("/sse/token/", {"topics": "news"}).status_code == 403  # no CSRF token

    def post(body, content_type="application/json"):
        return client.post("/sse/token/", body, content_type=content_type, **headers)

    for bad in ("{", json.dumps({"topics": "news"}), json.dumps({"topics": [1]}), "[]"):
        response = post(bad)
        assert response.status_code == 400 and "error" in response.json()
    assert post(json.dumps({"topics": ["x" * 5000, "y" * 5001]})).status_code == 400  # > 10 KB
    assert post(json.dumps({"topics": ["bad topic"]})).status_code == 400
    bob = User.objects.create_user("bob")
    assert post(json.dumps({"topics": [f"user:{bob.pk}"]})).status_code == 403
    response = post(json.dumps({"topics": [f"user:{alice.pk}", "news"]}))
    assert response.status_code == 200 and response.json()["expires_in"] == 60.0
    form = client.post("/sse/token/", {"topics": ["news"]}, **headers)
    assert form.status_code == 200


async def test_token_opens_only_its_topics_and_expires(async_client, caplog):
    alice = await User.objects.acreate(username="alice")
    token = make_token(alice, [f"user:{alice.pk}", "news"], 0)
    ok = await async_client.get(f"{STREAM}?topics=user:{alice.pk}&token={token}")
    assert ok.status_code == 200
    wider = await async_client.get(f"{STREAM}?topics=user:{alice.pk},other&token={token}")
    assert wider.status_code == 403
    tampered = await async_client.get(f"{STREAM}?topics=news&token={token[:-2]}xx")
    assert tampered.status_code == 401 and "not valid" in json.loads(tampered.content)["error"]
    with override_settings(DJANGO_SSE_TOKEN_MAX_AGE=-1):
        expired = await async_client.get(f"{STREAM}?topics=news&token={token}")
    assert expired.status_code == 401 and "expired" in json.loads(expired.content)["error"]
    await User.objects.filter(pk=alice.pk).aupdate(is_active=False)
    assert (await async_client.get(f"{STREAM}?topics=news&token={token}")).status_code == 401
    assert token not in caplog.text


@pytest.mark.parametrize("change", ["sign-out", "password", "password-by-update"])
async def test_a_token_made_before_a_sign_out_or_a_password_change_is_refused(async_client, change):
    from django.contrib.auth import logout
    from django.test import Client, RequestFactory

    from django_sse.logqueries import max_id

    alice = await sync_to_async(User.objects.create_user)("alice", password="one-password")
    topics = f"user:{alice.pk},news"
    token = make_token(alice, topics.split(","), await sync_to_async(max_id)())
    opened = await async_client.get(f"{STREAM}?topics={topics}&token={token}")
    assert opened.status_code == 200

    def change_it() -> None:
        if change == "sign-out":  # in another browser: every session of hers ends
            request = RequestFactory().get("/")
            request.user, request.session = alice, Client().session
            logout(request)
        elif change == "password":
            alice.set_password("another-password")
            alice.save()
        else:  # no signal: the token's digest of her session auth hash catches it
            alice.set_password("another-password")
            User.objects.filter(pk=alice.pk).update(password=alice.password)

    await sync_to_async(change_it)()
    refused = await async_client.get(f"{STREAM}?topics={topics}&token={token}")
    assert refused.status_code == 401 and "sign in again" in json.loads(refused.content)["error"]
    again = await User.objects.aget(pk=alice.pk)
    fresh = make_token(again, topics.split(","), await sync_to_async(max_id)())
    renewed = await async_client.get(f"{STREAM}?topics={topics}&token={fresh}")
    assert renewed.status_code == 200


# CORS -------------------------------------------------------------------------


@override_settings(DJANGO_SSE_CORS_ORIGINS=["https://app.example"])
async def test_cors_echoes_allowed_origins_only_never_a_wildcard(async_client):
    allowed = await async_client.get(
        f"{STREAM}?topics=news", headers={"Origin": "https://app.example"}
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example"
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in allowed["Vary"]
    other = await async_client.get(
        f"{STREAM}?topics=news", headers={"Origin": "https://evil.example"}
    )
    assert not other.has_header("Access-Control-Allow-Origin")
    preflight = await async_client.options(
        f"{STREAM}?topics=news",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert "Last-Event-ID" in preflight["Access-Control-Allow-Headers"]
    errors = await async_client.get(f"{STREAM}?topics=", headers={"Origin": "https://app.example"})
    assert (
        errors.status_code == 400 and errors["Access-Control-Allow-Origin"] == "https://app.example"
    )


# Limits -------------------------------------------------------------------------


@override_settings(DJANGO_SSE_MAX_STREAMS_PER_USER=2)
async def test_streams_per_user_are_limited_with_429(async_client):
    alice = await User.objects.acreate(username="alice")
    await async_client.aforce_login(alice)
    open_streams = []
    for _ in range(2):
        response = await async_client.get(f"{STREAM}?topics=news")
        await anext(aiter(response.streaming_content))  # subscribed
        open_streams.append(response)
    third = await async_client.get(f"{STREAM}?topics=news")
    assert third.status_code == 429 and third["Retry-After"] == "10"


@override_settings(DJANGO_SSE_MAX_STREAMS_PER_USER=5)
async def test_concurrent_connects_cannot_all_pass_the_limit(async_client):
    """The check and the count are one step: 12 connects at once, before
    any stream has started, give 5 streams and 7 answers of 429."""
    alice = await User.objects.acreate(username="alice")
    await async_client.aforce_login(alice)
    responses = await asyncio.gather(
        *(async_client.get(f"{STREAM}?topics=news") for _ in range(12))
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [429] * 7


async def test_a_stream_that_never_starts_gives_its_place_back():
    """A client gone before its response was sent: nothing runs the
    stream's finally; its subscription must not stay counted."""
    import gc

    from django_sse.hubs import get_hub
    from django_sse.streams import event_stream

    hub = await get_hub()
    sub, upto = hub.subscribe_at_frontier(["news"], "7")
    stream = event_stream(hub, ["news"], Cursor(None), subscriber=(sub, upto))
    hub.release_when_dropped(stream, sub)
    assert hub.streams_of("7") == 1
    del stream
    gc.collect()
    await asyncio.sleep(0.05)
    assert hub.streams_of("7") == 0 and hub.subscriber_count == 0


async def test_a_started_stream_keeps_no_finalizer_and_gives_its_place_back_at_the_end():
    """Once the stream runs, its own ``finally`` unsubscribes it: the
    finalizer is detached (not kept for the stream's life), and closing
    the stream still gives the place back."""
    import weakref

    from django_sse.hubs import get_hub
    from django_sse.streams import event_stream

    hub = await get_hub()
    sub, upto = hub.subscribe_at_frontier(["news"], "8")
    stream = event_stream(hub, ["news"], Cursor(None), subscriber=(sub, upto))
    hub.release_when_dropped(stream, sub)
    finalizers = [f for f in weakref.finalize._registry if f.peek()[0] is stream]  # type: ignore[attr-defined]
    assert len(finalizers) == 1 and finalizers[0].alive
    await anext(stream)  # the opening frames
    assert not finalizers[0].alive and sub not in hub.registry._unstarted
    assert hub.streams_of("8") == 1
    await stream.aclose()
    assert hub.streams_of("8") == 0 and hub.subscriber_count == 0


@override_settings(DJANGO_SSE_MAX_STREAMS=1)
async def test_streams_per_process_are_limited_with_503(async_client):
    first = await async_client.get(f"{STREAM}?topics=news")
    await anext(aiter(first.streaming_content))
    second = await async_client.get(f"{STREAM}?topics=news")
    assert second.status_code == 503 and second.has_header("Retry-After")


# Revocation ---------------------------------------------------------------------


def test_revoke_publishes_a_control_event_and_rejects_bad_topics():
    revoke(7, "group:team")
    revoke(User(pk=8))
    first, second = Event.objects.filter(topic="_sse.control").order_by("id")
    assert (first.event, json.loads(first.data)) == ("revoke", {"user": "7", "topic": "group:team"})
    assert json.loads(second.data) == {"user": "8", "topic": None}
    with pytest.raises(ValueError):
        revoke(7, "bad topic")


async def test_revoked_access_ends_the_stream_at_once_and_reconnect_is_refused(async_client):
    team = await Group.objects.acreate(name="team")
    alice = await User.objects.acreate(username="alice")
    await alice.groups.aadd(team)
    await async_client.aforce_login(alice)
    response = await async_client.get(f"{STREAM}?topics=group:team,news")
    chunks = aiter(response.streaming_content)
    body = b""
    async with asyncio.timeout(5):
        while b"sse-cursor" not in body:
            body += await anext(chunks)
    await alice.groups.aremove(team)  # the m2m signal revokes group:team for her
    async with asyncio.timeout(5):
        async for chunk in chunks:
            body += chunk
    assert b":stream ended: revoked" in body
    again = await async_client.get(f"{STREAM}?topics=group:team")
    assert again.status_code == 403


async def _open(async_client, topics: str):
    response = await async_client.get(STREAM, {"topics": topics})
    assert response.status_code == 200, response.content
    chunks = aiter(response.streaming_content)
    body = b""
    async with asyncio.timeout(5):
        while b"sse-cursor" not in body:
            body += await anext(chunks)
    return chunks


async def _ends(chunks, reason: bytes = b"revoked") -> None:
    body = b""
    async with asyncio.timeout(5):
        async for chunk in chunks:
            body += chunk
    assert b":stream ended: " + reason in body, body


def _remove_user_side(user, group):
    user.groups.remove(group)


def _remove_group_side(user, group):
    group.user_set.remove(user)


def _clear_user_side(user, group):
    user.groups.clear()


def _clear_group_side(user, group):
    group.user_set.clear()


def _delete_group(user, group):
    group.delete()


@pytest.mark.parametrize(
    "withdraw",
    [_remove_user_side, _remove_group_side, _clear_user_side, _clear_group_side, _delete_group],
)
@pytest.mark.parametrize("name", ["team", "Night shift (EU)"])
async def test_every_way_out_of_a_group_ends_its_streams(async_client, withdraw, name):
    from django_sse.topics import group_topic

    group = await Group.objects.acreate(name=name)
    alice = await User.objects.acreate(username="alice")
    await alice.groups.aadd(group)
    await async_client.aforce_login(alice)
    topic = group_topic(group)
    assert topic == ("group:team" if name == "team" else f"group:+{group.pk}")
    chunks = await _open(async_client, topic)
    await sync_to_async(withdraw)(alice, group)
    await _ends(chunks)
    assert (await async_client.get(STREAM, {"topics": topic})).status_code == 403


async def test_renaming_a_group_ends_the_streams_of_its_old_name(async_client):
    """A later group that takes the old name is not the old members'."""
    group = await Group.objects.acreate(name="team")
    alice = await User.objects.acreate(username="alice")
    await alice.groups.aadd(group)
    await async_client.aforce_login(alice)
    chunks = await _open(async_client, "group:team")
    group.name = "team-b"
    await group.asave()
    await _ends(chunks)
    await Group.objects.acreate(name="team")  # someone else's now
    assert (await async_client.get(STREAM, {"topics": "group:team"})).status_code == 403
    assert (await async_client.get(STREAM, {"topics": "group:team-b"})).status_code == 200


def _deactivate(user, client):
    user.is_active = False
    user.save()


def _change_password(user, client):
    user.set_password("new secret")
    user.save()


def _log_out(user, client):
    client.logout()


@pytest.mark.parametrize("withdraw", [_deactivate, _change_password, _log_out])
async def test_deactivation_password_change_and_logout_end_every_stream(async_client, withdraw):
    alice = await User.objects.acreate(username="alice")
    await async_client.aforce_login(alice)
    chunks = await _open(async_client, f"user:{alice.pk},news")
    await sync_to_async(withdraw)(alice, async_client)
    await _ends(chunks)
    assert (await async_client.get(f"{STREAM}?topics=user:{alice.pk}")).status_code == 401


async def test_saves_that_withdraw_nothing_revoke_nothing(async_client):
    alice = await User.objects.acreate(username="alice")
    before = await Event.objects.filter(topic="_sse.control").acount()
    alice.first_name = "Alice"
    await alice.asave()
    await sync_to_async(alice.save)(update_fields=["last_login"])
    assert await Event.objects.filter(topic="_sse.control").acount() == before


def test_a_failing_revocation_never_breaks_the_group_change(monkeypatch, caplog):
    """The caller's change goes through; the failure is logged."""
    import django_sse.revocation

    def broken(*args, **kwargs):
        raise RuntimeError("event log down")

    monkeypatch.setattr(django_sse.revocation, "revoke", broken)
    alice = User.objects.create_user("alice")
    group = Group.objects.create(name="team")
    alice.groups.add(group)
    alice.groups.remove(group)
    assert not alice.groups.exists()
    assert "Could not revoke streams" in caplog.text


@override_settings(DJANGO_SSE_REAUTHORIZE=0.3)
async def test_signed_in_streams_reconnect_to_be_authorized_again(async_client):
    anonymous = await _open(async_client, "news")
    alice = await User.objects.acreate(username="alice")
    await async_client.aforce_login(alice)
    signed_in = await _open(async_client, f"user:{alice.pk}")
    async with asyncio.timeout(5):  # the stream ends; the client reconnects
        async for _ in signed_in:
            pass
    # The anonymous stream is not cut by the interval.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1):
            async for chunk in anonymous:
                assert not chunk.startswith(b"retry:"), chunk


# Nobody reads, replays, counts or changes what is not theirs -------------------


def test_access_matrix_users_topics_endpoints():
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    staff = User.objects.create_user("staff", is_staff=True)
    viewer = grant(User.objects.create_user("viewer"), "sse_progress.view_taskprogress")
    Group.objects.create(name="team").user_set.add(alice)
    job = Progress.start(owner=alice)
    topics = {
        "mine": lambda u: f"user:{u.pk}",
        "alice's": lambda u: f"user:{alice.pk}",
        "team": lambda u: "group:team",
        "alice's job": lambda u: f"progress:{job.id}",
        "staff dashboard": lambda u: "dashboard:staff.streams",
        "public": lambda u: "news",
    }
    allowed = {
        alice: {"mine", "alice's", "team", "alice's job", "public"},
        bob: {"mine", "public"},
        # is_staff alone opens staff dashboards, not other people's jobs.
        staff: {"mine", "staff dashboard", "public"},
        viewer: {"mine", "alice's job", "public"},
    }
    for user, permitted in allowed.items():
        client, headers = csrf_client(user)
        for name, topic_of in topics.items():
            topic = topic_of(user)
            response = client.post("/sse/token/", {"topics": [topic]}, **headers)
            expected = 200 if name in permitted else 403
            assert response.status_code == expected, (user.username, name, response.content)
    # Progress and notification endpoints: another user's ids are 404.
    bob_client, headers = csrf_client(bob)
    assert bob_client.get(f"/sse/progress/{job.id}/state/").status_code == 404
    assert bob_client.post(f"/sse/progress/{job.id}/cancel/", **headers).status_code == 404


async def test_replay_never_crosses_into_other_topics(async_client):
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")
    await sync_to_async(publish)(f"user:{bob.pk}", "bob's secret")
    await sync_to_async(publish)("news", "public")
    await async_client.aforce_login(alice)
    response = await async_client.get(f"{STREAM}?topics=news,user:{alice.pk}&last_event_id=0")
    body = b""
    chunks = aiter(response.streaming_content)
    async with asyncio.timeout(5):
        while b"public" not in body:  # replayed in id order: bob's event came first
            body += await anext(chunks)
    assert b"secret" not in body


# Hostile input --------------------------------------------------------------------


@given(st.text(max_size=40) | st.from_regex(r"-?[0-9]{1,40}", fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_any_cursor_parses_to_a_value_or_a_problem(raw):
    cursor = Cursor.parse(raw)
    if cursor.value is None:
        assert cursor.problem in (None, "malformed")
    else:
        assert 0 <= cursor.value <= MAX_CURSOR and cursor.problem is None


@given(st.lists(st.text(max_size=30), max_size=5))
@settings(max_examples=200, deadline=None)
def test_any_topics_parse_or_raise_invalid_topic(values):
    try:
        topics = parse_topics(values, 50)
    except InvalidTopic:
        return
    assert topics and all(
        " " not in t and "\n" not in t and not t.startswith("_sse.") for t in topics
    )


@pytest.mark.parametrize(
    "query",
    [
        "?topics=_sse.control",
        "?topics=" + ",".join(f"t{i}" for i in range(5000)),
        "?topics=a&topics=a&topics=a",
        "?topics=%00",
        "?topics=a%0D%0Aevent:%20x",
        "?topics=" + "%F0%9F%92%A9" * 10,
    ],
)
def test_hostile_topic_queries_get_json_errors_not_500(client, query):
    response = client.get(STREAM + query)
    assert response.status_code in (400, 501)
    if response.status_code == 400:
        assert response.json()["status"] == 400


# Pruning ------------------------------------------------------------------------


def test_prune_removes_old_events_in_batches_and_keeps_the_latest_per_topic():
    ids = [publish("news", i) for i in range(5)] + [publish("state:x", i) for i in range(3)]
    Event.objects.filter(id__in=ids).update(created_at=timezone.now() - timedelta(days=10))
    fresh = publish("news", "fresh")
    out = StringIO()
    call_command("sse_prune", "--older-than", "7d", "--batch-size", "2", stdout=out)
    assert "Deleted 7" in out.getvalue()
    left = set(Event.objects.values_list("id", flat=True))
    assert left == {ids[7], fresh}  # the latest state:x value survives, news has a newer one
    assert LogState.objects.get().pruned_through == ids[6]


@pytest.mark.parametrize(
    "topic",
    ["USER:1", "User:1", "GROUP:admins", "Progress:x", "DASHBOARD:staff.ops", "_SSE.control"],
)
def test_case_variants_of_private_prefixes_are_refused(client, topic):
    # On a case-insensitive collation they would match the private rows.
    response = client.get(f"/sse/stream/?topics={topic}")
    assert response.status_code == 400 and response.json()["status"] == 400
    with pytest.raises(ValueError):
        publish(topic, "x")


def test_private_prefixes_come_from_the_core_and_the_installed_apps():
    from django_sse.hooks import private_prefixes

    assert {"user", "group", "progress", "dashboard"} <= private_prefixes()
    assert "orders" not in private_prefixes()
