"""Slack and Teams: webhooks a user adds (JSON API) or a team's (admin),
messages queued in notify()'s transaction and posted from the outbox with
retries, in the payloads the services document (tests/chat_service.py)."""

import json
import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from django_sse.contrib.notifications import notify, outbox, preferences
from django_sse.contrib.notifications.chat import sending
from django_sse.contrib.notifications.models import ChatMessage, ChatWebhook, Notification
from django_sse.contrib.notifications.types import _types, register_type
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def by_hand(request, monkeypatch):
    """The tests send with send_all(); the sender thread only where a test says."""
    if "thread" not in request.node.name:
        monkeypatch.setattr(sending.sender, "wake", lambda: None)


@pytest.fixture
def kinds():
    saved = dict(_types)
    register_type("deploy", "Deploys", title="Deployed {version}", channels=("inapp", "chat"))
    register_type("tip", "Tips", title="A tip", channels=("inapp",))
    yield
    _types.clear()
    _types.update(saved)


def client_of(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/widgets-page/")  # sets the CSRF cookie
    return client


def post(client: Client, url: str, body=None):
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        url, json.dumps(body or {}), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )


def test_a_user_adds_and_removes_their_own_webhooks(chat_service):
    ada, bo = User.objects.create_user("ada"), User.objects.create_user("bo")
    client = client_of(ada)
    url = "/sse/notifications/chat/webhooks/"
    refused = post(client, url, {"service": "slack", "url": "https://evil.example/hook"})
    assert refused.status_code == 400 and "DJANGO_SSE_CHAT_SERVICES" in refused.json()["error"]
    assert (
        post(client, url, {"service": "irc", "url": chat_service.slack_hook()}).status_code == 400
    )
    assert post(client, url, {"service": "slack", "url": 7}).status_code == 400
    added = post(client, url, {"service": "slack", "url": chat_service.slack_hook()})
    assert added.status_code == 201 and added.json()["host"] == "127.0.0.1"
    assert "url" not in added.json()  # the address is a secret: never shown back
    listed = client.get(url).json()["webhooks"]
    assert listed == [{"id": added.json()["id"], "service": "slack", "host": "127.0.0.1"}]
    delete = f"/sse/notifications/chat/webhooks/{added.json()['id']}/delete/"
    assert post(client_of(bo), delete).status_code == 404  # not hers to remove
    assert client.post(url, {"service": "slack"}).status_code == 403  # no CSRF token
    assert post(client, delete).status_code == 200 and not ChatWebhook.objects.exists()
    assert Client().get(url).status_code == 401


def test_notifications_reach_slack_and_teams_as_each_documents(chat_service, kinds, settings):
    settings.DJANGO_SSE_SITE_URL = "https://shop.example"
    ada, bo = User.objects.create_user("ada"), User.objects.create_user("bo")
    sending.add_webhook(ada, "slack", chat_service.slack_hook())
    sending.add_webhook(bo, "teams", chat_service.teams_hook())
    notify([ada, bo], "deploy", context={"version": "<v2> & co"}, url="/deploys/2/", body="Done")
    notify([ada, bo], "tip")  # not on the chat channel by default
    assert ChatMessage.objects.count() == 2  # queued with the notifications
    assert sending.send_all() == 2
    assert chat_service.refused == []
    posts = dict(chat_service.received)
    slack = posts["/services/T1/B1/secret"]
    assert slack["text"] == "Deployed <v2> & co"
    assert slack["blocks"][0]["text"]["text"] == (
        "*Deployed &lt;v2&gt; &amp; co*\nDone\n<https://shop.example/deploys/2/|Open>"
    )
    card = posts["/workflows/a1b2"]["attachments"][0]["content"]
    assert [block["text"] for block in card["body"]] == ["Deployed <v2> & co", "Done"]
    assert card["actions"][0]["url"] == "https://shop.example/deploys/2/"
    assert not ChatMessage.objects.exists()
    assert ChatWebhook.objects.filter(last_sent_at__isnull=False).count() == 2


def test_preferences_mutes_and_teams_decide_who_gets_a_message(chat_service, kinds):
    ada, bo = User.objects.create_user("ada"), User.objects.create_user("bo")
    team = Group.objects.create(name="ops")
    team.user_set.add(ada, bo)
    for user in (ada, bo):
        sending.add_webhook(user, "slack", chat_service.slack_hook(f"T/{user.username}/x"))
    ChatWebhook.objects.create(group=team, service="teams", url=chat_service.teams_hook("ops"))
    preferences.choose(bo, "deploy", "chat", False)
    preferences.choose(ada, "tip", "chat", True)
    notify(team, "deploy", context={"version": "3"})
    notify(team, "tip")  # the team's webhook takes only types on the chat channel
    sending.send_all()
    paths = sorted(path for path, _ in chat_service.received)
    assert paths == ["/services/T/ada/x", "/services/T/ada/x", "/workflows/ops"]
    # Free text (no type): everyone with a webhook, and the team's.
    chat_service.received.clear()
    notify(team, "Maintenance at 6")
    sending.send_all()
    assert len(chat_service.received) == 3


def test_failures_are_retried_with_backoff_then_dropped_and_gone_hooks_removed(chat_service):
    ada = User.objects.create_user("ada")
    flaky = sending.add_webhook(ada, "slack", chat_service.slack_hook("T/flaky/x"))
    moved = sending.add_webhook(ada, "slack", chat_service.slack_hook("T/moved/x"))
    gone = sending.add_webhook(ada, "teams", chat_service.teams_hook("gone"))
    chat_service.answers = {
        "/services/T/flaky/x": [500] * outbox.MAX_ATTEMPTS,
        "/services/T/moved/x": [302],
        "/workflows/gone": [404],
    }
    notify(ada, "Build failed")
    assert sending.send_all() == 3
    [waiting] = ChatMessage.objects.all()
    assert (waiting.webhook, waiting.attempts) == (flaky, 1) and "500" in waiting.last_error
    assert not ChatWebhook.objects.filter(pk=gone.pk).exists()  # deleted in Teams
    assert ChatWebhook.objects.filter(pk=moved.pk).exists()  # a redirect: dropped, not followed
    assert "/elsewhere" not in [path for path, _ in chat_service.received]
    for _ in range(outbox.MAX_ATTEMPTS):
        ChatMessage.objects.update(next_attempt_at=waiting.created_at)
        sending.send_all()
    assert not ChatMessage.objects.exists()  # given up after its last attempt
    assert chat_service.received == []


def test_the_sender_thread_posts_after_commit_outside_the_caller(chat_service):
    ada = User.objects.create_user("ada")
    sending.add_webhook(ada, "slack", chat_service.slack_hook())
    [item] = notify(ada, "Your export is ready")
    deadline = time.monotonic() + 10
    while not chat_service.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [(_, body)] = chat_service.received
    assert body["text"] == item.title == Notification.objects.get().title


def test_staff_give_a_team_a_webhook_in_the_admin(admin_client, chat_service):
    team = Group.objects.create(name="ops")
    add = "/admin/sse_notifications/chatwebhook/add/"
    assert admin_client.get(add).status_code == 200
    both = {"group": team.pk, "user": User.objects.create_user("x").pk, "service": "slack"}
    refused = admin_client.post(add, {**both, "url": chat_service.slack_hook()})
    assert "Choose a group" in refused.content.decode()
    elsewhere = {"group": team.pk, "service": "slack", "url": "https://evil.example/x"}
    assert "DJANGO_SSE_CHAT_SERVICES" in admin_client.post(add, elsewhere).content.decode()
    made = admin_client.post(add, {**elsewhere, "url": chat_service.teams_hook("ops")})
    assert made.status_code == 302
    assert ChatWebhook.objects.get().group == team
