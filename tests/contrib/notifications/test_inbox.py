"""Inbox states beside read: seen (the panel was opened), archived, and
snoozed until a time; the badge counts unread or unseen."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from django_sse import recent
from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.delivery import wake_snoozed
from django_sse.contrib.notifications.models import Notification
from django_sse.topics import user_topic
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


def last(user, event: str) -> dict:
    return json.loads(recent(user_topic(user), 1, event=event)[0].data)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_seen_archived_and_snoozed_leave_the_inbox_as_they_should():
    ann = User.objects.create_user("ann")
    a, b, c = (notify(ann, title)[0] for title in ("a", "b", "c"))
    mine = Notification.objects.filter(recipient=ann)
    assert mine.unseen().count() == 3
    assert mine.mark_seen() == 3 and mine.unseen().count() == 0
    assert mine.unread_count() == 3  # seen is not read
    change = last(ann, "notification-updated")
    assert (sorted(change["ids"]), change["state"]) == ([a.pk, b.pk, c.pk], "seen")
    mine.filter(pk=a.pk).archive()
    mine.filter(pk=b.pk).snooze(timezone.now() + timedelta(hours=1))
    assert list(mine.active()) == [c] and list(mine.archived()) == [a]
    assert mine.unread_count() == 1 and last(ann, "unread-count") == {"unread_count": 1}
    assert wake_snoozed() == 0  # not yet
    mine.filter(pk=b.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    assert wake_snoozed() == 1
    back = last(ann, "notification")
    assert back["id"] == b.pk and back["seen"] is False  # back as new
    assert mine.unread_count() == 2 and mine.filter(pk=a.pk).unarchive() == 1
    assert mine.active().count() == 3


def test_the_api_archives_snoozes_and_marks_seen_only_the_users_own():
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    [item] = notify(ann, "Report ready")
    client, other = signed_in(ann), signed_in(bob)
    api = "/sse/notifications/api/"
    assert other.post(f"{api}{item.pk}/archive/").status_code == 404
    assert client.post(f"{api}{item.pk}/archive/").json()["unread_count"] == 0
    assert [n["id"] for n in client.get(f"{api}?archived=1").json()["items"]] == [item.pk]
    assert client.get(f"{api}?archived=2").status_code == 400
    assert client.post(f"{api}{item.pk}/snooze/").status_code == 404  # archived: not in the inbox
    assert client.post(f"{api}{item.pk}/unarchive/").status_code == 200
    refused = client.post(f"{api}{item.pk}/snooze/", {"hours": 0}, content_type="application/json")
    assert refused.status_code == 400 and "hours" in refused.json()["error"]
    snoozed = client.post(f"{api}{item.pk}/snooze/", {"hours": 2}, content_type="application/json")
    assert snoozed.status_code == 200
    until = Notification.objects.get().snoozed_until
    assert timedelta(hours=1.9) < until - timezone.now() <= timedelta(hours=2)
    assert client.post(f"{api}{item.pk}/explode/").status_code == 404
    assert client.post(f"{api}seen/").json() == {"ok": True, "changed": 0}  # snoozed: not unseen


def test_the_badge_counts_unseen_when_the_setting_says(settings):
    settings.DJANGO_SSE_NOTIFICATION_BADGE = "unseen"
    ann = User.objects.create_user("ann")
    notify(ann, "one")
    notify(ann, "two")
    assert last(ann, "unread-count") == {"unread_count": 2, "badge": 2}
    client = signed_in(ann)
    assert client.post("/sse/notifications/api/seen/").json()["changed"] == 2
    assert last(ann, "unread-count") == {"unread_count": 2, "badge": 0}
    assert client.get("/sse/notifications/api/count/").json() == {"unread_count": 2, "badge": 0}
    notify(ann, "three")
    assert last(ann, "unread-count") == {"unread_count": 3, "badge": 1}


def test_a_user_watches_a_thread_and_mutes_a_person():
    from django.contrib.auth.models import Group

    from django_sse.contrib.notifications.preferences import watchers

    ann, bob, eve = (User.objects.create_user(n) for n in ("ann", "bob", "eve"))
    thread = Group.objects.create(name="thread-7")  # any model: a thread, a post...
    [first] = notify(ann, "Welcome to the thread", target=thread, actor=bob)
    client = signed_in(ann)
    api = "/sse/notifications/api/"
    assert client.post(f"{api}{first.pk}/watch/").json() == {"ok": True, "watching": True}
    assert list(watchers(thread)) == [ann]
    # The project notifies the thread's watchers; ann mutes eve (the actor), not the thread.
    [from_eve] = notify(watchers(thread), "eve replied", target=thread, actor=eve)
    muted = client.post(f"{api}{from_eve.pk}/mute/", {"what": "actor"}, "application/json")
    assert muted.status_code == 200
    assert notify(watchers(thread), "eve again", target=thread, actor=eve) == []
    assert len(notify(watchers(thread), "bob replied", target=thread, actor=bob)) == 1
    refused = client.post(f"{api}{from_eve.pk}/mute/", {"what": "mood"}, "application/json")
    assert refused.status_code == 400
    [bare] = notify(ann, "No thread")
    assert client.post(f"{api}{bare.pk}/watch/").status_code == 400  # about nothing
    assert signed_in(bob).post(f"{api}{first.pk}/watch/").status_code == 404  # not his
    stop = client.post(f"{api}{first.pk}/watch/", {"watch": False}, "application/json")
    assert stop.json()["watching"] is False and list(watchers(thread)) == []
