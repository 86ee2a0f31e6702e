"""Notification emails: each one left unread, digests, unsubscribe links,
and two senders at once against a real SMTP server."""

import asyncio
import email
import subprocess
import sys
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.emails import DIGEST, unsubscribe_token
from django_sse.contrib.notifications.models import EmailSettings, Notification
from django_sse.contrib.notifications.types import _types, register_type
from tests.servers import ROOT, free_port, server_env
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


def register_kinds() -> None:
    """The types of these tests (also in the sender processes they start)."""
    register_type("comment", "Comments", title="{actor} commented", channels=("inapp", "email"))
    register_type("tip", "Tips", title="A tip", channels=("inapp",))  # no email by default
    register_type(
        "security", "Security", title="New sign-in", channels=("inapp", "email"), required=True
    )


# A sender process: Django, these tests' types, then the command.
SENDER = (
    "import django; django.setup()\n"
    "from tests.contrib.notifications.test_email import register_kinds; register_kinds()\n"
    "from django.core.management import call_command; call_command('sse_send_emails')"
)


@pytest.fixture(autouse=True)
def kinds():
    saved = dict(_types)
    register_kinds()
    yield
    _types.clear()
    _types.update(saved)


@pytest.fixture
def ann(transactional_db):
    return User.objects.create_user("ann", email="ann@example.test")


def age(minutes: float) -> None:
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


def send() -> str:
    from io import StringIO

    out = StringIO()
    call_command("sse_send_emails", stdout=out)
    return out.getvalue().strip()


def test_an_unread_notification_is_emailed_once_after_its_delay(ann):
    notify(ann, "comment", context={"actor": "bob"}, url="/posts/1/")
    assert send() == "Sent 0 notification emails and 0 digests."  # not yet: 15 minutes
    age(16)
    assert send() == "Sent 1 notification emails and 0 digests."
    [message] = mail.outbox
    assert message.subject == "bob commented" and message.to == ["ann@example.test"]
    assert "https://example.test/posts/1/" in message.body
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<https://example.test/sse/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [(html, kind)] = message.alternatives
    assert kind == "text/html" and 'href="https://example.test/posts/1/"' in html
    assert send() == "Sent 0 notification emails and 0 digests."  # never twice


def test_read_dismissed_switched_off_or_free_form_are_not_emailed(ann):
    context = {"actor": "x"}
    [read] = notify(ann, "comment", context=context)
    [dismissed] = notify(ann, "comment", context=context)
    notify(ann, "tip")  # its type has no email by default
    notify(ann, "Free-form")  # no type, no email
    Notification.objects.filter(pk=read.pk).mark_all_read()
    Notification.objects.filter(pk=dismissed.pk).dismiss()
    nobody = User.objects.create_user("nomail")  # no address
    notify(nobody, "comment", context=context)
    age(60)
    assert send() == "Sent 0 notification emails and 0 digests."
    assert mail.outbox == []


def test_a_digest_speaks_its_recipients_language():
    luc = User.objects.create_user("luc-fr", email="luc@example.test")
    EmailSettings.objects.create(user=luc, frequency="daily")
    notify(luc, "comment", context={"actor": "zoé"})
    assert send() == "Sent 0 notification emails and 1 digests."
    [digest] = mail.outbox
    assert digest.subject == "1 nouvelle notification"
    assert "Votre récapitulatif de notifications." in digest.body
    assert "Ne plus recevoir ces e-mails :" in digest.body


def test_a_digest_collects_them_once_a_day(ann):
    EmailSettings.objects.create(user=ann, frequency="daily")
    for who in ("bob", "cat", "dan"):
        notify(ann, "comment", context={"actor": who})
    assert send() == "Sent 0 notification emails and 1 digests."
    [digest] = mail.outbox
    assert digest.subject == "3 new notifications"
    assert [line for line in digest.body.splitlines() if line.startswith("- ")] == [
        "- dan commented",
        "- cat commented",
        "- bob commented",
    ]
    notify(ann, "comment", context={"actor": "eve"})
    assert send() == "Sent 0 notification emails and 0 digests."  # a day has not passed
    EmailSettings.objects.update(last_digest_at=timezone.now() - timedelta(days=1, minutes=1))
    assert send() == "Sent 0 notification emails and 1 digests."
    assert "eve commented" in mail.outbox[1].body and "bob" not in mail.outbox[1].body


def test_the_unsubscribe_link_needs_no_login_and_one_post(ann):
    url = f"/sse/notifications/unsubscribe/{unsubscribe_token(ann.pk, 'comment')}/"
    client = Client(enforce_csrf_checks=True)  # as a mail provider: no cookie, no token
    page = client.get(url)
    assert page.status_code == 200 and b'<form method="post">' in page.content
    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert (
        done.status_code == 200 and b"You will no longer get emails about Comments" in done.content
    )
    notify(ann, "comment", context={"actor": "x"})
    age(20)
    assert send() == "Sent 0 notification emails and 0 digests."
    digest = f"/sse/notifications/unsubscribe/{unsubscribe_token(ann.pk, DIGEST)}/"
    assert client.post(digest).status_code == 200
    assert EmailSettings.objects.get(user=ann).frequency == "never"
    forged = url.replace("/unsubscribe/", "/unsubscribe/x")
    assert client.post(forged).json()["status"] == 400
    required = f"/sse/notifications/unsubscribe/{unsubscribe_token(ann.pk, 'security')}/"
    assert client.post(required).status_code == 403
    gone = f"/sse/notifications/unsubscribe/{unsubscribe_token(ann.pk, 'no-such-type')}/"
    assert client.post(gone).status_code == 404
    # Signed by this site, for an id that is not one of its users' (was a 500).
    odd = f"/sse/notifications/unsubscribe/{unsubscribe_token('not-a-number', 'comment')}/"
    assert client.post(odd).status_code == 404


def test_an_unsubscribe_link_expires_after_its_maximum_age(ann, monkeypatch):
    from django.core import signing

    from django_sse.contrib.notifications import emails

    url = f"/sse/notifications/unsubscribe/{unsubscribe_token(ann.pk, 'comment')}/"
    later = signing.time.time() + emails.UNSUBSCRIBE_MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    answer = Client().post(url)
    assert answer.status_code == 410 and "expired" in answer.json()["error"]


@override_settings(DJANGO_SSE_SITE_URL=None)
def test_sending_needs_the_site_url(ann):
    notify(ann, "comment", context={"actor": "x"})
    age(20)
    with pytest.raises(CommandError, match="Set DJANGO_SSE_SITE_URL"):
        call_command("sse_send_emails")
    assert Notification.objects.get().emailed_at is None  # the claim was undone


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        await asyncio.sleep(0.01)  # a real server takes a moment
        return "250 OK"


def test_two_senders_at_once_never_send_one_notification_twice(ann, test_db_url):
    others = User.objects.bulk_create(
        [User(username=f"r{i}", email=f"r{i}@example.test") for i in range(40)]
    )
    notify([ann, *others], "comment", context={"actor": "bob"})
    age(30)
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        env = server_env(
            test_db_url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_PORT=str(port),
        )
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=60)[0] for sender in senders]
    finally:
        smtp.stop()
    assert all(sender.returncode == 0 for sender in senders), outputs
    ids = [m["X-SSE-Notifications"] for m in inbox.messages]
    assert len(ids) == len(set(ids)) == 41, outputs  # each once, none lost
    sent = sorted(int(line.split()[1]) for line in outputs)
    assert sum(sent) == 41 and sent[0] < 41  # both sent a share
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_notifications_that_are_never_emailed_do_not_hold_back_the_others(ann, monkeypatch):
    from django_sse.contrib.notifications import emails

    monkeypatch.setattr(emails, "BATCH", 10)
    notify(ann, "comment", context={"actor": "old"})
    Notification.objects.update(created_at=timezone.now() - timedelta(days=3))  # too old
    for _ in range(25):
        notify(ann, "tip")  # older than the comment below, and never emailed
    notify(ann, "comment", context={"actor": "bob"})
    Notification.objects.filter(created_at__gt=timezone.now() - timedelta(days=1)).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    assert send() == "Sent 1 notification emails and 0 digests."
    assert [m.subject for m in mail.outbox] == ["bob commented"]


def smtp_settings(port: int):
    """Django's SMTP backend to 127.0.0.1:``port`` (MAILERS on Django 6.1)."""
    import django

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    if django.VERSION >= (6, 1):
        options = {"host": "127.0.0.1", "port": port}
        return override_settings(MAILERS={"default": {"BACKEND": smtp, "OPTIONS": options}})
    return override_settings(EMAIL_BACKEND=smtp, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port)


class PickyInbox(Inbox):
    """A real SMTP server that refuses one address (a full mailbox, a typo)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky_smtp():
    """A real SMTP server refusing one address, and Django's SMTP backend
    pointed at it: yields its inbox."""
    inbox = PickyInbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with smtp_settings(port):
            yield inbox
    finally:
        smtp.stop()


def test_a_title_with_line_breaks_is_one_line_and_injects_no_header(ann, picky_smtp):
    register_type("note", "Notes", title="{text}", channels=("inapp", "email"))
    [item] = notify(ann, "note", context={"text": "Hi\r\nBcc: mallory@example.test"})
    assert item.title == "Hi Bcc: mallory@example.test"
    [free] = notify(ann, "Done\nBcc: x@example.test")
    assert free.title == "Done Bcc: x@example.test"
    age(20)
    assert send() == "Sent 1 notification emails and 0 digests."
    [message] = picky_smtp.messages
    assert message["Subject"] == "Hi Bcc: mallory@example.test" and message["Bcc"] is None


def test_one_failing_email_never_blocks_the_others_and_is_given_up_after_a_bound(
    ann, caplog, picky_smtp
):
    from django_sse.contrib.notifications import emails

    refused = User.objects.create_user("refused", email="refused@example.test")
    notify([refused, ann], "comment", context={"actor": "bob"})
    age(20)
    assert send() == "Sent 1 notification emails and 0 digests."  # ann's
    assert [m["To"] for m in picky_smtp.messages] == ["ann@example.test"]
    failing = Notification.objects.get(recipient=refused)
    assert failing.email_failures == 1 and failing.emailed_at is None
    assert failing.email_retry_at > timezone.now()  # backs off
    assert send() == "Sent 0 notification emails and 0 digests."  # not yet
    for tries in range(2, emails.MAX_EMAIL_FAILURES + 1):
        Notification.objects.filter(pk=failing.pk).update(email_retry_at=timezone.now())
        assert send() == "Sent 0 notification emails and 0 digests."
        failing.refresh_from_db()
        assert failing.email_failures == tries
    assert failing.emailed_at is not None and failing.email_retry_at is None  # given up
    notify(ann, "comment", context={"actor": "eve"})  # later ones still go
    age(20)
    Notification.objects.filter(pk=failing.pk).update(email_retry_at=None)
    assert send() == "Sent 1 notification emails and 0 digests."
    # Logged (a flood of one kind is logged once a minute and counted).
    events = [getattr(r, "event", None) for r in caplog.records]
    assert "sse.email.failed" in events and events.count("sse.email.gave_up") == 1, events
