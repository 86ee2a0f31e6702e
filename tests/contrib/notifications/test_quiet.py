"""Quiet hours: in the user's time zone, spanning midnight or not; during
them the page gets the notification marked quiet, push and chat messages
wait until they end, emails too; critical types go through."""

import json
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from django_sse import recent
from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.chat import sending as chat_sending
from django_sse.contrib.notifications.models import (
    ChatMessage,
    Notification,
    PushMessage,
    PushSubscription,
    QuietHours,
)
from django_sse.contrib.notifications.types import _types, register_type
from django_sse.topics import user_topic
from tests.push_service import PUSH_SETTINGS
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = "Europe/Paris"


@pytest.fixture(autouse=True)
def kinds(monkeypatch):
    saved = dict(_types)
    channels = ("inapp", "push", "chat", "email")
    register_type("comment", "Comments", title="A comment", channels=channels)
    register_type("outage", "Outages", title="Site down", channels=channels, critical=True)
    monkeypatch.setattr(chat_sending.sender, "wake", lambda: None)  # kept in the outbox
    yield
    _types.clear()
    _types.update(saved)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("starts", "ends", "now", "until"),
    [
        ("22:00", "07:00", "2026-12-08T23:30+01:00", "2026-12-09T07:00+01:00"),  # overnight
        ("22:00", "07:00", "2026-12-09T06:59+01:00", "2026-12-09T07:00+01:00"),  # begun yesterday
        ("22:00", "07:00", "2026-12-09T07:00+01:00", None),
        ("22:00", "07:00", "2026-12-09T12:00+01:00", None),
        ("12:00", "13:30", "2026-12-09T12:15+01:00", "2026-12-09T13:30+01:00"),
        ("12:00", "13:30", "2026-12-09T11:15Z", "2026-12-09T13:30+01:00"),  # 12:15 in Paris
        ("22:00", "22:00", "2026-12-09T22:30+01:00", None),  # equal: off
        ("01:00", "04:00", "2026-03-29T03:30+02:00", "2026-03-29T04:00+02:00"),  # the DST night
    ],
)
def test_when_quiet_hours_end(starts, ends, now, until):
    hours = QuietHours(starts=time.fromisoformat(starts), ends=time.fromisoformat(ends))
    hours.time_zone = PARIS
    found = hours.quiet_until(at(now))
    assert found == (None if until is None else at(until))
    assert found is None or found.tzinfo == UTC


def quiet_now(user, minutes: int = 60) -> QuietHours:
    """Quiet hours around now (UTC), ending in ``minutes``."""
    now = timezone.now()
    return QuietHours.objects.create(
        user=user,
        starts=(now - timedelta(minutes=30)).time(),
        ends=(now + timedelta(minutes=minutes)).time(),
        time_zone="UTC",
    )


def test_quiet_hours_are_set_through_the_settings_api():
    ann = User.objects.create_user("ann")
    client = Client()
    client.force_login(ann)
    url = "/sse/notifications/preferences/"

    def send(quiet):
        return client.post(url, json.dumps({"quiet": quiet}), content_type="application/json")

    good = {"starts": "22:00", "ends": "07:00", "time_zone": PARIS}
    assert send(good).json()["quiet"] == good
    assert client.get(url).json()["quiet"] == good
    assert "starts must be a time" in send({**good, "starts": "late"}).json()["error"]
    assert "not a time zone" in send({**good, "time_zone": "Mars/Olympus"}).json()["error"]
    assert send("always").status_code == 400
    assert send(None).json()["quiet"] is None and not QuietHours.objects.exists()


def test_in_quiet_hours_pages_stay_silent_and_messages_wait(settings):
    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)
    settings.DJANGO_SSE_PUSH_SENDER = "command"  # the messages stay in the outbox here
    settings.DJANGO_SSE_CHAT_SERVICES = ["http://127.0.0.1:*"]
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    hours = quiet_now(ann)
    for user in (ann, bob):
        PushSubscription.objects.create(
            user=user, endpoint=f"http://127.0.0.1:9/push/{user.pk}", p256dh="k", auth="a"
        )
        chat_sending.add_webhook(user, "slack", f"http://127.0.0.1:9/services/{user.pk}")
    notify([ann, bob], "comment")
    events = {
        user.username: json.loads(recent(user_topic(user), 1, event="notification")[0].data)
        for user in (ann, bob)
    }
    assert events["ann"]["quiet"] is True and "quiet" not in events["bob"]
    end = hours.quiet_until(timezone.now())
    for outbox in (PushMessage, ChatMessage):
        waiting = {m.notification.recipient: m.next_attempt_at for m in outbox.objects.all()}
        assert waiting[ann] == end  # sent when her quiet hours end
        assert waiting[bob] < end - timedelta(minutes=30)  # due now (or claimed: a 5 min lease)
    # A critical type goes through at once, and sounds.
    outbox_before = {PushMessage.objects.count(), ChatMessage.objects.count()}
    notify(ann, "outage")
    event = json.loads(recent(user_topic(ann), 1, event="notification")[0].data)
    assert "quiet" not in event and outbox_before == {2}
    latest = Notification.objects.filter(recipient=ann).latest("id")
    for outbox in (PushMessage, ChatMessage):
        assert outbox.objects.get(notification=latest).next_attempt_at < end - timedelta(minutes=30)


def emails() -> str:
    out = StringIO()
    call_command("sse_send_emails", stdout=out)
    return out.getvalue().strip()


def test_emails_wait_for_the_end_of_quiet_hours_unless_critical():
    ann = User.objects.create_user("ann", email="ann@example.test")
    hours = quiet_now(ann)
    notify(ann, "comment")
    notify(ann, "outage")
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert emails() == "Sent 1 notification emails and 0 digests."
    assert [m.subject for m in mail.outbox] == ["Site down"]
    hours.delete()  # over
    assert emails() == "Sent 1 notification emails and 0 digests."
    assert [m.subject for m in mail.outbox] == ["Site down", "A comment"]
