"""Notifications: model, notify(), JSON API, admin, commands (PostgreSQL)."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from django_sse.contrib.notifications import notification_created, notification_read, notify
from django_sse.contrib.notifications.models import Notification
from django_sse.models import Event
from tests.users import User

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def alice():
    return User.objects.create_user("alice", password="pw")


@pytest.fixture
def bob():
    return User.objects.create_user("bob", password="pw")


def events_for(user, event=None):
    qs = Event.objects.filter(topic=f"user:{user.pk}").order_by("id")
    if event:
        qs = qs.filter(event=event)
    return [(e.event, json.loads(e.data)) for e in qs]


def test_notify_one_user_stores_and_publishes(alice, bob):
    received = []
    notification_created.connect(lambda **kw: received.extend(kw["notifications"]), weak=False)
    [n] = notify(alice, "New comment", body="Nice", level="success", url="/posts/4/", actor=bob)
    assert (n.recipient, n.title, n.level, n.actor, n.is_read) == (
        alice,
        "New comment",
        "success",
        bob,
        False,
    )
    assert received == [n]
    (kind, data), (count_kind, count) = events_for(alice)
    assert kind == "notification" and data["id"] == n.pk and data["title"] == "New comment"
    assert (count_kind, count) == ("unread-count", {"unread_count": 1})
    assert events_for(bob) == []


def test_notify_group_queryset_iterable(alice, bob):
    group = Group.objects.create(name="team")
    group.user_set.add(alice, bob)
    assert len(notify(group, "g")) == 2
    assert len(notify(User.objects.filter(username="bob"), "q")) == 1
    assert len(notify([alice], "i")) == 1
    assert Notification.objects.filter(recipient=alice).count() == 2
    with pytest.raises(TypeError):
        notify("alice", "x")
    with pytest.raises(TypeError):
        notify(Group.objects.all(), "x")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/", "data:text/html,x"])
def test_notify_rejects_links_that_could_run_code(alice, url):
    with pytest.raises(ValidationError):
        notify(alice, "x", url=url)


def test_notify_bad_level_is_rejected(alice):
    with pytest.raises(ValidationError):
        notify(alice, "x", level="shouting")


def test_notify_ten_thousand_recipients_in_few_queries(django_assert_max_num_queries):
    User.objects.bulk_create([User(username=f"u{i}") for i in range(10_000)])
    with django_assert_max_num_queries(40):
        created = notify(User.objects.all(), "Maintenance tonight")
    assert len(created) == 10_000
    assert Event.objects.filter(event="notification").count() == 10_000
    assert Event.objects.filter(event="unread-count").count() == 10_000


def test_queryset_states_and_signals(alice):
    notify(alice, "a")
    notify(alice, "b")
    read = []
    notification_read.connect(lambda **kw: read.extend(kw["ids"]), weak=False)
    mine = Notification.objects.filter(recipient=alice)
    assert mine.unread().count() == 2
    assert mine.mark_all_read() == 2
    assert mine.unread().count() == 0 and mine.read().count() == 2
    assert sorted(read) == sorted(mine.values_list("id", flat=True))
    updated = events_for(alice, "notification-updated")[-1][1]
    assert updated["state"] == "read" and sorted(updated["ids"]) == sorted(read)
    assert events_for(alice, "unread-count")[-1][1] == {"unread_count": 0}
    assert mine.mark_all_read() == 0


# JSON API -------------------------------------------------------------------

API = "/sse/notifications/api/"


def login(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf(client):
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return {"HTTP_X_CSRFTOKEN": token}


def test_api_requires_login_with_json_401_not_redirect(client):
    for url in (API, API + "count/"):
        response = client.get(url)
        assert response.status_code == 401 and "error" in response.json()
    response = client.post(API + "read-all/")
    assert response.status_code in (401, 403)


def test_api_list_count_and_pagination(alice):
    for i in range(25):
        notify(alice, f"n{i}")
    client = login(alice)
    page1 = client.get(API).json()
    assert len(page1["items"]) == 20 and page1["has_next"] and page1["unread_count"] == 25
    assert page1["items"][0]["title"] == "n24" and page1["next"] == page1["items"][-1]["id"]
    notify(alice, "newer")  # arrives meanwhile: the cursor keeps its place
    page2 = client.get(API + f"?before={page1['next']}").json()
    assert [i["title"] for i in page2["items"]] == [f"n{i}" for i in range(4, -1, -1)]
    assert not page2["has_next"] and page2["next"] is None
    assert client.get(API + "count/").json() == {"unread_count": 26}
    assert client.get(API + "count/")["Cache-Control"].startswith("max-age=0")
    for bad in (
        "?page=2",
        "?before=0",
        "?before=x",
        "?page_size=1000",
        "?level=loud",
        "?unread=yes",
    ):
        response = client.get(API + bad)
        assert response.status_code == 400 and "error" in response.json(), bad
    assert "cursor" in client.get(API + "?page=2").json()["error"]


def test_api_history_filters_by_level_and_unread(alice, bob):
    for i in range(6):
        notify(alice, f"e{i}", level="error" if i % 2 else "info")
    notify(bob, "not alice's", level="error")
    Notification.objects.filter(recipient=alice, title="e1").mark_all_read()
    client = login(alice)
    errors = client.get(API + "?level=error&page_size=2").json()
    assert [i["title"] for i in errors["items"]] == ["e5", "e3"]
    rest = client.get(API + f"?level=error&page_size=2&before={errors['next']}").json()
    assert [i["title"] for i in rest["items"]] == ["e1"] and rest["next"] is None
    unread_errors = client.get(API + "?level=error&unread=1").json()
    assert [i["title"] for i in unread_errors["items"]] == ["e5", "e3"]


def test_api_state_changes_need_post_with_csrf(alice):
    [n] = notify(alice, "x")
    client = login(alice)
    assert client.get(API + f"{n.pk}/read/").status_code == 405  # GET never changes state
    assert client.post(API + f"{n.pk}/read/").status_code == 403  # no CSRF token
    n.refresh_from_db()
    assert not n.is_read
    response = client.post(API + f"{n.pk}/read/", **csrf(client))
    assert response.json() == {"ok": True, "unread_count": 0}
    n.refresh_from_db()
    assert n.is_read
    client.post(API + f"{n.pk}/unread/", **csrf(client))
    n.refresh_from_db()
    assert not n.is_read
    client.post(API + f"{n.pk}/dismiss/", **csrf(client))
    n.refresh_from_db()
    assert n.deleted
    assert client.get(API).json()["items"] == []
    assert client.post(API + f"{n.pk}/explode/", **csrf(client)).status_code == 404


def test_user_cannot_touch_another_users_notifications(alice, bob):
    [n] = notify(alice, "private")
    client = login(bob)
    for action in ("read", "unread", "dismiss"):
        response = client.post(API + f"{n.pk}/{action}/", **csrf(client))
        assert response.status_code == 404
    client.post(API + "read-all/", **csrf(client))
    n.refresh_from_db()
    assert not n.is_read and not n.deleted
    assert client.get(API).json()["items"] == []
    assert client.get(API + "count/").json() == {"unread_count": 0}
    assert events_for(bob) == []


def test_read_all(alice):
    notify(alice, "a")
    notify(alice, "b")
    client = login(alice)
    assert client.post(API + "read-all/", **csrf(client)).json()["changed"] == 2


def test_notification_stream_is_401_for_anonymous(client):
    # The stream view is async; under the sync test client it would be 501,
    # so check anonymity first: 401, never a redirect.
    response = client.get("/sse/notifications/")
    assert response.status_code == 401


# Admin ------------------------------------------------------------------------


def test_admin_changelist_escapes_titles_filters_and_search(admin_client, alice):
    notify(alice, XSS, body=XSS)
    notify(alice, "plain", level="error")
    page = admin_client.get("/admin/sse_notifications/notification/").content.decode()
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    errors = admin_client.get("/admin/sse_notifications/notification/?level__exact=error")
    assert "plain" in errors.content.decode() and "&lt;img" not in errors.content.decode()
    found = admin_client.get("/admin/sse_notifications/notification/?q=alice").content.decode()
    assert "plain" in found
    unread = admin_client.get("/admin/sse_notifications/notification/?read=no").content.decode()
    assert "plain" in unread


def test_admin_actions_mark_read_and_resend(admin_client, alice):
    [n] = notify(alice, "x")
    url = "/admin/sse_notifications/notification/"
    admin_client.post(url, {"action": "mark_read", "_selected_action": [n.pk]})
    n.refresh_from_db()
    assert n.is_read
    admin_client.post(url, {"action": "mark_unread", "_selected_action": [n.pk]})
    n.refresh_from_db()
    assert not n.is_read
    before = len(events_for(alice, "notification"))
    admin_client.post(url, {"action": "resend", "_selected_action": [n.pk]})
    assert len(events_for(alice, "notification")) == before + 1


def test_admin_send_form_to_group_and_everyone(admin_client, alice, bob):
    group = Group.objects.create(name="team")
    group.user_set.add(alice)
    url = "/admin/sse_notifications/notification/send/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"title": "Hi team", "level": "info", "groups": [group.pk]})
    assert response.status_code == 302
    assert list(
        Notification.objects.filter(title="Hi team").values_list("recipient__username", flat=True)
    ) == ["alice"]
    admin_client.post(url, {"title": "Hi all", "level": "warning", "everyone": "on"})
    assert Notification.objects.filter(title="Hi all").count() == User.objects.count()
    response = admin_client.post(url, {"title": "nobody", "level": "info"})
    assert "Choose users, groups, or everyone." in response.content.decode()
    response = admin_client.post(
        url, {"title": "x", "level": "info", "everyone": "on", "url": "javascript:x"}
    )
    assert response.status_code == 200 and not Notification.objects.filter(title="x").exists()


def test_admin_created_and_edited_notifications_are_published(admin_client, alice):
    response = admin_client.post(
        "/admin/sse_notifications/notification/add/",
        {
            "recipient": alice.pk,
            "title": "From admin",
            "level": "info",
            "data": "{}",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content
    n = Notification.objects.get(title="From admin")
    assert events_for(alice, "notification")[-1][1]["id"] == n.pk
    admin_client.post(
        f"/admin/sse_notifications/notification/{n.pk}/change/",
        {
            "recipient": alice.pk,
            "title": "Edited",
            "level": "info",
            "data": "{}",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    updated = events_for(alice, "notification-updated")[-1][1]
    assert updated["state"] == "changed" and updated["items"][0]["title"] == "Edited"


# Commands ---------------------------------------------------------------------


def test_sse_notify_command(alice):
    out = StringIO()
    call_command("sse_notify", "alice", "From the shell", "--level", "warning", stdout=out)
    n = Notification.objects.get()
    assert (n.recipient, n.level) == (alice, "warning")
    assert out.getvalue().strip() == f"Sent notification {n.pk} to 'alice'."
    with pytest.raises(CommandError, match="No user"):
        call_command("sse_notify", "nobody", "x")
    with pytest.raises(CommandError):
        call_command("sse_notify", "alice", "x", "--url", "javascript:alert(1)")


def test_prune_notifications(alice):
    from datetime import timedelta

    from django.utils import timezone

    [old], [recent] = notify(alice, "old"), notify(alice, "recent")
    notify(alice, "unread")
    Notification.objects.filter(pk=old.pk).update(read_at=timezone.now() - timedelta(days=40))
    Notification.objects.filter(pk=recent.pk).update(read_at=timezone.now())
    out = StringIO()
    call_command("sse_prune_notifications", "--read-older-than", "30d", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert set(Notification.objects.values_list("title", flat=True)) == {"recent", "unread"}
    with pytest.raises(CommandError):
        call_command("sse_prune_notifications", "--read-older-than", "soon")


def test_unread_counts_stop_at_the_cap(alice):
    from django_sse.contrib.notifications.models import UNREAD_CAP

    Notification.objects.bulk_create(
        [Notification(recipient=alice, title=f"n{i}") for i in range(UNREAD_CAP + 5)]
    )
    client = login(alice)
    assert client.get(API + "count/").json() == {"unread_count": UNREAD_CAP}
    assert client.get(API + "?page_size=1").json()["unread_count"] == UNREAD_CAP
    notify(alice, "one more")  # what pages receive is capped too
    count = Event.objects.filter(topic=f"user:{alice.pk}", event="unread-count").last()
    assert json.loads(count.data) == {"unread_count": UNREAD_CAP}
