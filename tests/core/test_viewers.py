"""Presence (``django_sse.viewers``): rows per process, join and leave
announced once across processes, debounced, stale rows swept, and who
may see whose presence."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from django_sse import recent, viewers
from django_sse.models import Viewer
from django_sse.topics import can_subscribe
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


def events(topic: str = "doc:1") -> list[dict]:
    return [json.loads(row.data) for row in recent(f"presence:{topic}", 50, event="presence")]


def names(people: list[dict]) -> list[str]:
    return [person["name"] for person in people]


def as_process(monkeypatch, name: str) -> None:
    monkeypatch.setattr(viewers, "PROCESS", name)


def test_joins_and_leaves_are_announced_once_across_processes(monkeypatch):
    ada = User.objects.create_user("ada", first_name="Ada", last_name="L")
    bo = User.objects.create_user("bo")
    a, b = str(ada.pk), str(bo.pk)
    as_process(monkeypatch, "host:1")
    viewers.write("doc:1", {a: 1, viewers.ANONYMOUS: 2})
    as_process(monkeypatch, "host:2")
    viewers.write("doc:1", {a: 1, b: 1})  # ada's second tab, on another process
    viewers.write("doc:1", {a: 1, b: 1})  # nothing changed: nothing published
    as_process(monkeypatch, "host:1")
    viewers.write("doc:1", {})  # ada's first tab closed: she is still there
    as_process(monkeypatch, "host:2")
    viewers.write("doc:1", {})
    first, second, third, fourth = events()
    assert (first["count"], names(first["users"])) == (3, ["Ada L"])
    assert names(first["joined"]) == ["Ada L"]
    assert (second["count"], names(second["joined"]), second["left"]) == (5, ["bo"], [])
    assert (third["count"], third["joined"], third["left"]) == (2, [], [])
    assert (fourth["count"], fourth["users"], names(fourth["left"])) == (0, [], ["Ada L", "bo"])
    assert fourth["topic"] == "doc:1" and viewers.viewers_of("doc:1")["count"] == 0
    # The same events on the topic itself, for its subscribers.
    on_topic = [json.loads(r.data) for r in recent("doc:1", 50, event="presence")]
    assert on_topic == [first, second, third, fourth]
    assert not Viewer.objects.exists()


def test_a_process_that_stopped_without_a_word_is_swept(monkeypatch):
    ada = User.objects.create_user("ada")
    as_process(monkeypatch, "gone:1")
    viewers.write("doc:2", {str(ada.pk): 1})
    assert names(viewers.viewers_of("doc:2")["users"]) == ["ada"]
    Viewer.objects.update(seen_at=timezone.now() - timedelta(seconds=viewers.STALE_AFTER + 1))
    assert viewers.viewers_of("doc:2")["count"] == 0  # stale rows are not counted
    as_process(monkeypatch, "alive:1")
    assert viewers.sweep({}) == 1
    assert names(events("doc:2")[-1]["left"]) == ["ada"] and not Viewer.objects.exists()


def test_a_reload_is_neither_a_leave_nor_a_join():
    tracker = viewers.Tracker()
    ada = ("doc:1", "7")
    assert tracker.changes({ada: 1}, now=0.0) == {"doc:1": {"7": 1}}
    tracker.written = {"doc:1": {"7": 1}}
    assert tracker.changes({}, now=1.0) == {}  # closed: kept a while
    assert tracker.changes({ada: 1}, now=2.0) == {}  # back (a reload)
    assert tracker.changes({}, now=3.0) == {}
    assert tracker.changes({}, now=3.0 + viewers.LEAVE_AFTER) == {"doc:1": {}}  # gone


async def test_presence_is_for_those_who_may_see_the_topic():
    ada = await User.objects.acreate(username="ada")
    anonymous = AnonymousUser()
    assert await can_subscribe(anonymous, "presence:doc:1")  # doc:* is public
    assert await can_subscribe(ada, f"presence:user:{ada.pk}") is False  # no presence there
    assert await can_subscribe(anonymous, "presence:orders") is False


def render(user, source: str) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load django_sse %}" + source).render(Context({"request": request}))


def test_the_tag_shows_who_views_escaped_and_refuses_topics_without_presence(monkeypatch):
    evil = User.objects.create_user("<b>eve</b>")
    as_process(monkeypatch, "host:1")
    viewers.write("doc:3", {str(evil.pk): 1, viewers.ANONYMOUS: 1})
    html = render(AnonymousUser(), '{% sse_presence "doc:3" %}')
    assert "2 people are viewing this" in html and "<li>&lt;b&gt;eve&lt;/b&gt;</li>" in html
    assert 'data-sse-topic="doc:3"' in html and "presence.js" in html
    with pytest.raises(ValueError, match="register_presence"):
        render(AnonymousUser(), '{% sse_presence "orders" %}')
