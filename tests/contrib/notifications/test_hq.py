"""Switching from django-notifications (hq): its ``notify.send()``, its
template tags, and ``sse_import_notifications_hq`` against real hq rows
(django-notifications-community, installed beside django-sse)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.management import call_command
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import timezone
from notifications.models import Notification as HqNotification
from notifications.signals import notify as hq_notify

from django_sse import recent
from django_sse.contrib.notifications.hq import notify
from django_sse.contrib.notifications.models import Notification
from django_sse.topics import user_topic
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    return {name: User.objects.create_user(name) for name in ("alice", "bob", "carol")}


def sent(result) -> list[Notification]:
    [(_, made)] = result
    return made


def test_notify_send_takes_what_hq_takes(people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    team = Group.objects.create(name="team")
    team.user_set.add(bob, carol)
    when = timezone.now() - timedelta(days=2)
    made = sent(
        notify.send(
            alice,
            recipient=bob,
            verb="commented on",
            action_object=carol,
            target=team,
            description="Looks good",
            level="success",
            public=False,
            timestamp=when,
            ticket=42,
            data={"source": "api"},
        )
    )
    [item] = made
    item.refresh_from_db()
    assert (item.recipient, item.title, item.body, item.level) == (
        bob,
        "alice commented on carol on team",
        "Looks good",
        "success",
    )
    assert (item.actor, item.target, item.created_at) == (alice, team, when)
    assert item.data == {
        "ticket": 42,
        "source": "api",
        "verb": "commented on",
        "public": False,
        "action_object": {"type": User._meta.label_lower, "id": str(carol.pk), "text": "carol"},
    }
    # Live: the recipient's topic carries it, and the count.
    [event] = recent(user_topic(bob), 1, event="notification")
    assert json.loads(event.data)["title"] == "alice commented on carol on team"
    # Every recipient form hq takes: a group, a queryset, a list.
    assert len(sent(notify.send(alice, recipient=team, verb="joined"))) == 2
    everyone = User.objects.exclude(pk=alice.pk)
    assert len(sent(notify.send(alice, recipient=everyone, verb="left"))) == 2
    [to_bob] = sent(notify.send(alice, recipient=[bob], verb="waved", target=carol))
    assert to_bob.title == "alice waved carol" and to_bob.body == ""


@pytest.mark.parametrize(
    ("sender", "options", "error", "says"),
    [
        ("actor", {"verb": "x"}, TypeError, "needs recipient="),
        ("text", {"recipient": "bob", "verb": "x"}, TypeError, "must be a model instance"),
        ("actor", {"recipient": "bob", "verb": "x", "target": 3}, TypeError, "target must be"),
        ("actor", {"recipient": "bob", "verb": "x", "level": "critical"}, ValueError, "level"),
    ],
)
def test_notify_send_refuses_what_it_cannot_keep(people, sender, options, error, says):
    alice = people["alice"]
    options = {k: people.get(v, v) if k == "recipient" else v for k, v in options.items()}
    with pytest.raises(error, match=says):
        notify.send(alice if sender == "actor" else "alice", **options)
    assert not Notification.objects.exists()


def make_hq_history(people):
    """Rows as hq makes them, with its own notify.send."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    when = timezone.now() - timedelta(days=30)
    hq_notify.send(alice, recipient=bob, verb="followed you", timestamp=when)
    hq_notify.send(
        alice,
        recipient=bob,
        verb="replied to",
        action_object=carol,
        target=alice,
        description="<b>Thanks!</b>",
        level="warning",
        public=False,
        data={"thread": 7},
    )
    hq_notify.send(carol, recipient=[bob, carol], verb="shared a file")
    rows = HqNotification.objects.order_by("pk")
    rows[1].mark_as_read()
    rows.filter(recipient=carol).update(deleted=True, emailed=True)
    gone = User.objects.create_user("gone")
    hq_notify.send(gone, recipient=bob, verb="was here")
    gone.delete()  # hq keeps the row; its actor no longer exists
    return when


def test_import_copies_hq_rows_once_with_a_dry_run_first(people, settings):
    settings.DJANGO_NOTIFICATIONS_CONFIG = {"USE_JSONFIELD": True}  # hq keeps data= then
    bob, carol = people["bob"], people["carol"]
    when = make_hq_history(people)
    assert HqNotification.objects.count() == 5
    out = StringIO()
    call_command("sse_import_notifications_hq", "--dry-run", stdout=out)
    assert "Would copy 5 notifications" in out.getvalue()
    assert not Notification.objects.exists()

    out = StringIO()
    call_command("sse_import_notifications_hq", "--batch-size", "2", stdout=out)
    assert "Copied 5 notifications from notifications.Notification; 0 copied before." in (
        out.getvalue()
    )
    by_hq = {n.data["hq_id"]: n for n in Notification.objects.all()}
    hq_rows = list(HqNotification.objects.order_by("pk"))
    first, replied, shared_bob, shared_carol, orphan = (by_hq[row.pk] for row in hq_rows)
    assert (first.title, first.created_at, first.read_at) == ("alice followed you", when, None)
    assert (replied.title, replied.body, replied.level) == (
        "alice replied to carol on alice",
        "<b>Thanks!</b>",
        "warning",
    )
    assert replied.read_at == hq_rows[1].timestamp and replied.actor == people["alice"]
    assert replied.data["thread"] == 7 and replied.data["public"] is False
    assert replied.data["action_object"]["text"] == "carol"
    assert shared_carol.deleted and shared_carol.recipient == carol and not shared_bob.deleted
    assert orphan.title.endswith(" was here") and orphan.recipient == bob
    # History is never mailed again.
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()

    out = StringIO()
    call_command("sse_import_notifications_hq", stdout=out)
    assert "Copied 0 notifications" in out.getvalue() and "5 copied before" in out.getvalue()
    assert Notification.objects.count() == 5
    # The bell shows them, escaped.
    request = RequestFactory().get("/")
    request.user = bob
    html = Template("{% load sse_notifications %}{% sse_notifications %}").render(
        Context({"request": request})
    )
    assert 'data-count="3"' in html and "alice followed you" in html


def render(user, source: str) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load sse_notifications_hq %}" + source)
    return template.render(Context({"request": request, "user": user}))


def test_hq_tags_render_the_count_list_and_config(people):
    alice, bob = people["alice"], people["bob"]
    notify.send(alice, recipient=bob, verb="said </script><script>alert(1)</script>")
    assert render(bob, "{% notifications_unread %}") == "1"
    badge = render(bob, "{% live_notify_badge badge_class='count' %}")
    assert badge == '<span class="count">1</span>'
    assert render(bob, "{% live_notify_list %}") == '<ul class="live_notify_list"></ul>'
    html = render(bob, "{% register_notify_callbacks callbacks='a.b, c' fetch=2 nonce='n1' %}")
    assert '<script nonce="n1" id="notify-config" type="application/json">' in html
    assert "</script><script>alert" not in html and "live-notify.js" in html
    config = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert config["callbacks"] == ["a.b", "c"] and config["unreadCount"] == 1
    assert config["topic"] == user_topic(bob) and len(config["unreadList"]) == 1
    anonymous = AnonymousUser()
    assert render(anonymous, "{% notifications_unread %}{% live_notify_badge %}") == ""
    assert render(anonymous, "{% register_notify_callbacks %}") == ""
    with pytest.raises(TemplateSyntaxError, match="not a JavaScript function name"):
        render(bob, "{% register_notify_callbacks callbacks='alert(1)' %}")
    with pytest.raises(TemplateSyntaxError, match="api_name"):
        render(bob, "{% register_notify_callbacks api_name='other' %}")
