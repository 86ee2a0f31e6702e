"""Notifications by email: each one that stays unread, or digests.

``manage.py sse_send_emails`` (run it every minute or so, from cron or a
scheduled task) sends what is due:

- to users who take emails one by one (``EmailSettings.frequency`` "each",
  the default): every typed notification still unread and not dismissed
  ``email_after`` (per type, 15 minutes by default) after it arrived, if
  the email channel is on for them and that type;
- to users who chose a daily or weekly digest: one email with all of those
  since their last digest.

A notification is claimed with a conditional write before its email is
sent (``emailed_at`` set where it is still empty, unread and not
dismissed): two senders running at once never send it twice, and one
read or dismissed meanwhile is never sent. If sending fails, the claim is
undone and the next run tries again. Every email carries a signed
unsubscribe link that needs no login, and the one-click
``List-Unsubscribe`` headers of RFC 8058.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from django_sse.contrib.notifications import preferences, quiet
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import EmailSettings, Notification
from django_sse.contrib.notifications.types import get_type, language_of
from django_sse.logs import log_event

SALT = "django-sse.unsubscribe"
DIGEST = "digest"  # the unsubscribe link of a digest stops digests
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
BATCH = 500
# A notification still unread this long after it arrived is no longer
# emailed on its own (the digests and the bell still have it).
EACH_WINDOW = timedelta(days=2)
# An unsubscribe link works this long after its email was sent.
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)
# A notification whose own email fails this many times is not emailed.
MAX_EMAIL_FAILURES = 5
MAX_EMAIL_DELAY = timedelta(hours=1)


class NotConfigured(Exception):
    pass


def unsubscribe_token(user_pk: Any, what: str) -> str:
    return signing.dumps({"u": str(user_pk), "w": what}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[str, str]:
    """(user pk, type key or "digest"); ``signing.BadSignature`` if forged,
    ``signing.SignatureExpired`` if older than ``UNSUBSCRIBE_MAX_AGE``
    (each email carries a fresh one)."""
    value = signing.loads(token, salt=SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    return str(value["u"]), str(value["w"])


def unsubscribe_url(user_pk: Any, what: str) -> str:
    if conf.DJANGO_SSE_SITE_URL is None:
        raise NotConfigured("Set DJANGO_SSE_SITE_URL (e.g. 'https://example.com') for email links.")
    path = reverse("django_sse:notifications-unsubscribe", args=[unsubscribe_token(user_pk, what)])
    return f"{conf.DJANGO_SSE_SITE_URL}{path}"


def _frequencies(user_ids: Iterable[Any]) -> dict[Any, str]:
    chosen = dict(
        EmailSettings.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "frequency")
    )
    return chosen


def _claim(ids: list[int], now: Any) -> list[int]:
    """Take the notifications that are still unread, not dismissed and not
    emailed; returns the ids taken (by this sender alone)."""
    claimed = []
    for notification_id in ids:
        if Notification.objects.filter(
            pk=notification_id, emailed_at__isnull=True, read_at__isnull=True, deleted=False
        ).update(emailed_at=now):
            claimed.append(notification_id)
    return claimed


def _send(
    user: Any,
    subject: str | Callable[[], str],
    template: str,
    context: dict[str, Any],
    what: str,
) -> None:
    link = unsubscribe_url(user.pk, what)
    with translation.override(language_of()(user)):
        subject = subject() if callable(subject) else subject
        subject = " ".join(subject.split())  # one line: a header
        context = {
            **context,
            "user": user,
            "unsubscribe_url": link,
            "site_url": conf.DJANGO_SSE_SITE_URL,
        }
        text = render_to_string(f"django_sse/email/{template}.txt", context)
        html = render_to_string(f"django_sse/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-SSE-Notifications": ",".join(str(n.pk) for n in context["items"]),
        },
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _emailable(items: list[Notification]) -> list[Notification]:
    """Those whose type has the email channel on for their recipient."""
    keep = []
    by_type: dict[str, list[Notification]] = {}
    for item in items:
        by_type.setdefault(item.type, []).append(item)
    for key, group in by_type.items():
        kind = get_type(key)
        if kind is None:
            continue
        allowed = set(preferences.recipients([n.recipient_id for n in group], kind, "email", None))
        keep += [n for n in group if n.recipient_id in allowed]
    return keep


def _critical(item: Notification) -> bool:
    kind = get_type(item.type)
    return kind is not None and kind.critical


def _due_each(now: Any) -> Iterable[Notification]:
    """Unread typed notifications past their type's delay, within
    ``EACH_WINDOW``, in batches by id: those that will never be emailed
    (a type without email for its user) cannot hold back the others."""
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            read_at__isnull=True,
            deleted=False,
            created_at__gte=now - EACH_WINDOW,
        )
        .exclude(type="")
        .exclude(email_retry_at__gt=now)
    )
    after = 0
    while batch := list(
        pending.filter(id__gt=after).select_related("recipient").order_by("id")[:BATCH]
    ):
        after = batch[-1].pk
        due = []
        for item in batch:
            kind = get_type(item.type)
            if kind is not None and item.created_at <= now - kind.email_after:
                due.append(item)
        chosen = _frequencies(n.recipient_id for n in due)
        # In quiet hours: it waits (a later run sends it), unless critical.
        hushed = quiet.quiet_until({n.recipient_id for n in due})
        due = [n for n in due if n.recipient_id not in hushed or _critical(n)]
        yield from (
            n
            for n in _emailable(due)
            if n.recipient.email
            and chosen.get(n.recipient_id, EmailSettings.Frequency.EACH) == "each"
        )


def send_each(now: Any) -> int:
    """Email each due notification of users who take them one by one. One
    that fails to send does not hold back the others: it is logged, tried
    again later (``_failed``), and given up after ``MAX_EMAIL_FAILURES``."""
    sent = 0
    for item in _due_each(now):
        if not _claim([item.pk], now):
            continue
        try:
            _send(
                item.recipient,
                item.title,
                "notification",
                {"items": [item], "item": item},
                item.type,
            )
        except NotConfigured:
            Notification.objects.filter(pk=item.pk).update(emailed_at=None)
            raise  # the site's setting, not this item: every send would fail
        except Exception:
            _failed(item, now)
            continue
        sent += 1
    return sent


def _failed(item: Notification, now: Any) -> None:
    """Release a notification whose email failed, to be tried again after
    1, 2, 4, 8... minutes (an hour at most); after ``MAX_EMAIL_FAILURES``
    it keeps its claim: it is never emailed, and says so in the log."""
    failures = item.email_failures + 1
    given_up = failures >= MAX_EMAIL_FAILURES
    Notification.objects.filter(pk=item.pk).update(
        emailed_at=now if given_up else None,
        email_failures=failures,
        email_retry_at=None
        if given_up
        else now + min(timedelta(minutes=2 ** (failures - 1)), MAX_EMAIL_DELAY),
    )
    log_event(
        "sse.email.gave_up" if given_up else "sse.email.failed",
        f"notification {item.pk}'s email failed ({failures} of {MAX_EMAIL_FAILURES} tries)"
        + ("; it will not be emailed" if given_up else "; it is tried again later"),
        exc_info=True,
    )


def _digest_subject(count: int) -> str:
    """In the recipient's language (``_send`` calls it under their language)."""
    return ngettext("%(count)d new notification", "%(count)d new notifications", count) % {
        "count": count
    }


def send_digests(now: Any) -> int:
    """One digest per user whose daily or weekly period has passed."""
    sent = 0
    for choice in EmailSettings.objects.filter(frequency__in=PERIODS).select_related("user"):
        period = PERIODS[choice.frequency]
        if choice.last_digest_at is not None and choice.last_digest_at > now - period:
            continue
        if quiet.quiet_until([choice.user_id]):  # sent by the first run after them
            continue
        # One sender per user and period: take the period first.
        if not EmailSettings.objects.filter(
            pk=choice.pk, last_digest_at=choice.last_digest_at
        ).update(last_digest_at=now):
            continue
        user = choice.user
        items = _emailable(
            list(
                Notification.objects.filter(
                    recipient=user, emailed_at__isnull=True, read_at__isnull=True, deleted=False
                )
                .exclude(type="")
                .order_by("-id")[:100]
            )
        )
        taken = set(_claim([n.pk for n in items], now))
        items = [n for n in items if n.pk in taken]
        if not items or not user.email:
            continue
        try:
            _send(user, partial(_digest_subject, len(items)), "digest", {"items": items}, DIGEST)
        except Exception:
            Notification.objects.filter(pk__in=taken).update(emailed_at=None)
            EmailSettings.objects.filter(pk=choice.pk).update(last_digest_at=choice.last_digest_at)
            raise
        sent += 1
    return sent


def unsubscribe(user_pk: str, what: str) -> str:
    """Apply an unsubscribe link; returns what the user no longer gets."""
    user = get_user_model().objects.get(pk=user_pk)
    if what == DIGEST:
        EmailSettings.objects.update_or_create(user=user, defaults={"frequency": "never"})
        return "notification emails"
    kind = get_type(what)
    if kind is None:
        raise LookupError(what)
    if kind.required and "email" in kind.channels:
        raise PermissionError(str(kind.verbose_name))
    preferences.choose(user, what, "email", False)
    return f"emails about {kind.verbose_name}"
