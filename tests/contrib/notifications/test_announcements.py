"""Announcements: who sees them, on time, dismissed, admin."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from django_sse.contrib.notifications.announcements import any_due, publish_due, visible_to
from django_sse.contrib.notifications.models import Announcement
from django_sse.models import Event
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
XSS = "<script>window.pwned=1</script>"


@pytest.fixture
def world(transactional_db):
    staff_group = Group.objects.create(name="staffers")
    member = User.objects.create_user("member")
    member.groups.add(staff_group)
    outsider = User.objects.create_user("outsider")
    now = timezone.now()
    items = {
        "site": Announcement.objects.create(title="Maintenance tonight"),
        "group": Announcement.objects.create(title="Staff meeting", group=staff_group),
        "later": Announcement.objects.create(title="Later", starts_at=now + timedelta(hours=1)),
        "over": Announcement.objects.create(
            title="Over", starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
        ),
    }
    return member, outsider, staff_group, items


def titles(queryset) -> list[str]:
    return sorted(queryset.values_list("title", flat=True))


def test_who_sees_what(world):
    member, outsider, _, _ = world
    assert titles(visible_to(AnonymousUser())) == ["Maintenance tonight"]
    assert titles(visible_to(outsider)) == ["Maintenance tonight"]
    assert titles(visible_to(member)) == ["Maintenance tonight", "Staff meeting"]


def test_the_question_asked_every_second_agrees_with_what_is_published(world):
    _, _, _, items = world
    assert any_due()  # two starts are due ("later" is not yet, "over" ended unseen)
    publish_due()
    assert not any_due()
    Announcement.objects.filter(pk=items["site"].pk).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert any_due()  # a published start has ended
    assert publish_due() == [("end", items["site"].pk)]
    assert not any_due()
    Announcement.objects.filter(pk=items["later"].pk).update(
        starts_at=timezone.now() - timedelta(seconds=1)
    )
    assert any_due() and publish_due() == [("start", items["later"].pk)]


def test_starts_and_ends_are_published_once_each(world, django_assert_num_queries):
    _, _, group, items = world
    assert sorted(publish_due()) == sorted(
        [("start", items["group"].pk), ("start", items["site"].pk)]
    )
    # A second process finds nothing left to do, in the one query that
    # every server process runs every second.
    with django_assert_num_queries(1):
        assert publish_due() == []
    site = Event.objects.filter(topic="announcements", event="announcement")
    assert [json.loads(e.data)["title"] for e in site] == ["Maintenance tonight"]
    assert Event.objects.filter(topic=f"group:{group.name}", event="announcement").count() == 1
    Announcement.objects.filter(pk=items["site"].pk).update(ends_at=timezone.now())
    assert publish_due() == [("end", items["site"].pk)]
    ended = Event.objects.get(topic="announcements", event="announcement-ended")
    assert json.loads(ended.data) == {"id": items["site"].pk}
    # The one that was over before anyone saw it only ends (once).
    assert publish_due() == []
    assert Announcement.objects.get(pk=items["over"].pk).end_published is False


def test_dismissing_is_remembered_per_user_and_tells_their_tabs(world):
    member, outsider, _, items = world
    site = items["site"]
    url = f"/sse/notifications/announcements/{site.pk}/dismiss/"
    assert Client().post(url).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(url).status_code == 403
    client = Client()
    client.force_login(outsider)
    group_url = f"/sse/notifications/announcements/{items['group'].pk}/dismiss/"
    assert client.post(group_url).json() == {"error": "No such announcement.", "status": 404}
    assert client.post(url).json() == {"ok": True}
    assert client.post(url).status_code == 404  # already closed for them
    assert titles(visible_to(outsider)) == []
    assert titles(visible_to(member)) == ["Maintenance tonight", "Staff meeting"]
    told = Event.objects.get(topic=f"user:{outsider.pk}", event="announcement-dismissed")
    assert json.loads(told.data) == {"id": site.pk}
    assert client.get(url).status_code == 405


def test_the_tag_renders_what_the_visitor_sees_escaped(world):
    member, _, group, _ = world
    Announcement.objects.create(title=XSS, url="javascript:alert(1)")
    request = RequestFactory().get("/")
    request.user = member
    html = Template("{% load sse_notifications %}{% sse_announcements %}").render(
        Context({"request": request})
    )
    assert "Staff meeting" in html and "Later" not in html and "Over" not in html
    assert XSS not in html and "&lt;script&gt;" in html and "javascript:" not in html
    assert f'data-sse-topics="announcements user:{member.pk} group:{group.name}"' in html
    request.user = AnonymousUser()
    anonymous = Template("{% load sse_notifications %}{% sse_announcements %}").render(
        Context({"request": request})
    )
    assert "Staff meeting" not in anonymous and 'data-sse-topics="announcements"' in anonymous


def test_an_end_before_the_start_is_refused(world):
    item = Announcement(title="x", ends_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="after the start"):
        item.full_clean()


def test_staff_post_and_edit_in_the_admin(world):
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    client = Client()
    client.force_login(boss)
    now = timezone.localtime() - timedelta(minutes=1)  # the admin's fields are local time
    answer = client.post(
        "/admin/sse_notifications/announcement/add/",
        {
            "title": "Deploy at noon",
            "level": "warning",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert answer.status_code == 302, answer.content
    item = Announcement.objects.get(title="Deploy at noon")
    assert item.created_by == boss
    publish_due()
    change = f"/admin/sse_notifications/announcement/{item.pk}/change/"
    data = {
        "title": "Deploy at one",
        "level": "warning",
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": now.strftime("%H:%M:%S"),
    }
    assert client.post(change, data).status_code == 302
    edits = Event.objects.filter(topic="announcements", event="announcement").order_by("id")
    shown = [json.loads(e.data)["title"] for e in edits]
    assert shown[-1] == "Deploy at one", shown  # open pages follow
