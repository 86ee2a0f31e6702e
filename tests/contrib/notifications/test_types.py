"""Notification types, preferences, mutes and languages."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import Mute, NotificationPreference
from django_sse.contrib.notifications.types import _types, register_type
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
PREFS = "/sse/notifications/preferences/"


@pytest.fixture(autouse=True)
def kinds():
    saved = dict(_types)
    register_type(
        "comment",
        _("Comments on your posts"),
        title=_("{actor} commented on {post}"),
        body=_("“{excerpt}”"),
        channels=("inapp", "email"),
    )
    register_type(
        "security", "Security alerts", title="New sign-in", level="warning", required=True
    )
    yield
    _types.clear()
    _types.update(saved)


@pytest.fixture
def users(transactional_db):
    return User.objects.create_user("ann"), User.objects.create_user("luc-fr")


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_typed_notification_is_rendered_in_each_recipients_language(users):
    ann, luc = users
    made = notify(
        [ann, luc], "comment", context={"actor": "Zoé", "post": "Hello", "excerpt": "Bravo"}
    )
    text = {n.recipient_id: (n.title, n.body, n.type) for n in made}
    assert text[ann.pk] == ("Zoé commented on Hello", "“Bravo”", "comment")
    assert text[luc.pk] == ("Zoé a commenté Hello", "« Bravo »", "comment")
    # Free-form titles keep working, and context= is only for types.
    [plain] = notify(ann, "Just text")
    assert (plain.title, plain.type) == ("Just text", "")
    with pytest.raises(ValueError, match="context= is for registered types"):
        notify(ann, "Just text", context={"a": 1})
    with pytest.raises(ValueError, match="needs 'post' in its context"):
        notify(ann, "comment", context={"actor": "x", "excerpt": ""})


def test_preferences_decide_who_gets_it_in_the_app(users):
    ann, luc = users
    client = Client()
    client.force_login(ann)
    answer = post_json(client, PREFS, {"type": "comment", "channel": "inapp", "enabled": False})
    assert answer.status_code == 200
    comment = next(t for t in answer.json()["types"] if t["key"] == "comment")
    assert comment["channels"] == {"inapp": False, "push": False, "email": True, "chat": False}
    context = {"actor": "x", "post": "p", "excerpt": "e"}
    made = notify([ann, luc], "comment", context=context)
    assert [n.recipient_id for n in made] == [luc.pk]
    # A required type cannot be switched off, and it reaches everyone.
    refused = post_json(client, PREFS, {"type": "security", "channel": "inapp", "enabled": False})
    assert refused.status_code == 400 and "cannot be switched off" in refused.json()["error"]
    assert len(notify([ann, luc], "security")) == 2
    for bad in (
        {"type": "nope", "channel": "inapp", "enabled": True},
        {"type": "comment", "channel": "fax", "enabled": True},
        {"type": "comment", "channel": "inapp", "enabled": "yes"},
    ):
        assert post_json(client, PREFS, bad).status_code == 400
    assert client.post(PREFS, "not json", content_type="application/json").status_code == 400
    assert Client().get(PREFS).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann)
    assert (
        post_json(
            strict, PREFS, {"type": "comment", "channel": "inapp", "enabled": True}
        ).status_code
        == 403
    )
    # Nobody sees another user's choices.
    other = Client()
    other.force_login(luc)
    theirs = next(t for t in other.get(PREFS).json()["types"] if t["key"] == "comment")
    assert theirs["channels"]["inapp"] is True


def test_muting_an_object_silences_it_for_a_while(users):
    ann, luc = users
    [first] = notify(ann, "About luc", target=luc)
    client = Client()
    client.force_login(ann)
    answer = post_json(client, f"/sse/notifications/api/{first.pk}/mute/", {"hours": 2})
    assert answer.status_code == 200
    assert notify([ann, luc], "Again about luc", target=luc)[0].recipient_id == luc.pk
    assert len(notify(ann, "security", target=luc)) == 1  # required gets through
    mute = Mute.objects.get(user=ann)
    Mute.objects.filter(pk=mute.pk).update(until=timezone.now() - timedelta(minutes=1))
    assert len(notify(ann, "About luc, later", target=luc)) == 1  # the mute has run out
    [untargeted] = notify(ann, "No target")
    assert post_json(client, f"/sse/notifications/api/{untargeted.pk}/mute/", {}).status_code == 400
    assert (
        post_json(client, f"/sse/notifications/api/{first.pk}/mute/", {"hours": 0}).status_code
        == 400
    )
    intruder = Client()
    intruder.force_login(luc)
    assert post_json(intruder, f"/sse/notifications/api/{first.pk}/mute/", {}).status_code == 404
    assert intruder.post(f"/sse/notifications/mutes/{mute.pk}/delete/").status_code == 404
    assert client.post(f"/sse/notifications/mutes/{mute.pk}/delete/").json() == {"ok": True}


def test_ten_thousand_recipients_with_preferences_stay_a_bounded_number_of_queries(users):
    User.objects.bulk_create([User(username=f"u{i}") for i in range(10_000)])
    everyone = list(User.objects.filter(username__startswith="u").values_list("pk", flat=True))
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=pk, type="comment", channel="inapp", enabled=False)
            for pk in everyone[::2]
        ]
    )
    context = {"actor": "x", "post": "p", "excerpt": "e"}
    with CaptureQueriesContext(connection) as queries:
        made = notify(User.objects.filter(username__startswith="u"), "comment", context=context)
    assert len(made) == 5_000
    assert len(queries) < 40, len(queries)


def test_the_history_filters_by_type(users):
    ann, _ = users
    notify(ann, "comment", context={"actor": "x", "post": "p", "excerpt": "e"})
    notify(ann, "Plain")
    client = Client()
    client.force_login(ann)
    items = client.get("/sse/notifications/api/?type=comment").json()["items"]
    assert [i["type"] for i in items] == ["comment"]
    assert client.get("/sse/notifications/api/?type=nope").status_code == 400
    # The history page's links keep the type while paging.
    notify(ann, "comment", context={"actor": "y", "post": "p", "excerpt": "e"})
    request = RequestFactory().get("/", {"type": "comment"})
    request.user = ann
    html = Template(
        "{% load sse_notifications %}{% sse_notification_history page_size=1 %}"
    ).render(Context({"request": request}))
    assert "y commented on p" in html and "Plain" not in html
    assert 'href="?type=comment&amp;before=' in html


def test_the_preferences_page_and_the_bell_speak_french(users):
    ann, luc = users
    request = RequestFactory().get("/")
    request.user = ann
    html = Template("{% load sse_notifications %}{% sse_notification_preferences %}").render(
        Context({"request": request})
    )
    locked = 'data-channel="inapp" aria-label="Security alerts: In the app" checked disabled'
    assert f'data-type="security" {locked}' in html
    assert 'data-type="comment" data-channel="email"' in html
    assert 'data-channel="push"' not in html  # not offered until push delivers
    with translation.override("fr"):
        bell = Template("{% load sse_notifications %}{% sse_notifications %}").render(
            Context({"request": request})
        )
        settings_page = Template(
            "{% load sse_notifications %}{% sse_notification_preferences %}"
        ).render(Context({"request": request}))
    assert "Tout marquer comme lu" in bell and "Rien pour l’instant." in bell
    assert "Notifications, 0 non lue" in bell
    assert (
        "Réglages des notifications" in settings_page
        and "Commentaires sur vos billets" in settings_page
    )
    assert 'data-saved="Enregistré." data-unmuted="Réactivé."' in settings_page
