"""Per-user notifications: ``notify()`` and the events that keep pages live.

Every change is published on the recipient's private topic ``user:<pk>``
in the same transaction as the change:

- ``notification``: a new notification (``Notification.as_event()``);
- ``notification-updated``: ``{"ids": [...], "state": "read" | "unread" |
  "dismissed" | "changed", "items": [...]}`` (other tabs stay in sync);
- ``unread-count``: ``{"unread_count": n}`` after anything that changes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from django_sse.contrib.notifications import grouping, preferences, quiet
from django_sse.contrib.notifications.chat import sending as chat_sending
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import Notification, publish_changes
from django_sse.contrib.notifications.push import sending as push_sending
from django_sse.contrib.notifications.signals import notification_created
from django_sse.contrib.notifications.types import NotificationType, get_type, language_of
from django_sse.eventlog import atomic


def _recipient_ids(recipient: Any) -> list[Any]:
    User = get_user_model()
    if isinstance(recipient, User):
        return [recipient.pk]
    if isinstance(recipient, Group):
        return list(recipient.user_set.values_list("pk", flat=True))
    if isinstance(recipient, models.QuerySet):
        if recipient.model is not User:
            raise TypeError(f"notify() needs a queryset of users, not of {recipient.model}")
        return list(recipient.values_list("pk", flat=True))
    if isinstance(recipient, Iterable) and not isinstance(recipient, str | bytes):
        ids = []
        for item in recipient:
            if not isinstance(item, User):
                raise TypeError(f"notify() recipients must be users, not {type(item).__name__}")
            ids.append(item.pk)
        return ids
    raise TypeError(
        "notify() recipient must be a user, a queryset of users, a Group or an iterable of users"
    )


def notify(
    recipient: Any,
    title: str,
    *,
    body: str | None = None,
    level: str | None = None,
    url: str = "",
    actor: models.Model | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    collapse: Any = None,
    collapse_window: timedelta | None = None,
) -> list[Any]:
    """Create a notification for each recipient and push it to their pages.

    ``recipient``: a user, a queryset of users, a ``Group`` or an iterable
    of users. One call uses bulk inserts in one transaction, however many
    recipients; the events reach open pages when it commits.

    ``title`` is a registered type's key (``types.register_type``): its
    title and body are rendered with ``context`` in each recipient's
    language, and only recipients whose preferences let it through on the
    in-app channel get it. Any other ``title`` is the text itself. Nobody
    who muted ``target`` gets it (unless the type is required). With web
    push configured, recipients who take it on the push channel also get
    it in their subscribed browsers (``push``).

    ``collapse``: a key (see ``grouping``); a recipient's unread
    notification with the same key (created within ``collapse_window``, if
    given) is updated instead of a new one added. ``{actors}`` in the title
    becomes "Alice", "Alice and Bob", "Alice and 2 others". Returns the
    notifications created or updated.
    """
    kind = get_type(title)
    ids = preferences.recipients(_recipient_ids(recipient), kind, "inapp", target, actor)
    texts: list[tuple[list[Any], str, str]]  # (recipients, title, body) per language
    if kind is None:
        if context is not None:
            raise ValueError(f"context= is for registered types; {title!r} is not one")
        texts = [(ids, title, body or "")]
    else:
        texts = [
            (group, *_rendered(kind, context or {}, language, body))
            for language, group in _by_language(ids).items()
        ]
    changed: list[Notification] = []
    created: list[Notification] = []
    with atomic():
        for group, text, text_body in texts:
            text = " ".join(text.split())  # one line: it is an email's subject too
            made, touched = _deliver(
                group,
                title=text,
                body=text_body,
                level=level or (kind.level if kind else "info"),
                url=url,
                actor=actor,
                target=target,
                data=data,
                kind=kind.key if kind else "",
                collapse=collapse,
                collapse_window=collapse_window,
            )
            created += made
            changed += touched
        # In quiet hours: the page shows it without an alert or a sound,
        # and the push and chat messages wait until they end.
        waits = quiet.quiet_until({n.recipient_id for n in changed}, kind) if changed else {}
        publish_changes(
            (n.recipient_id, "notification", _event(n, n.recipient_id in waits)) for n in changed
        )
        push_sending.queue(changed, kind, target, waits)
        team = recipient if isinstance(recipient, Group) else None
        chat_sending.queue(changed, kind, target, team, waits)
    if created:
        notification_created.send(sender=Notification, notifications=created)
    return changed


def _event(notification: Notification, hushed: bool) -> dict[str, Any]:
    event = notification.as_event()
    if hushed:
        event["quiet"] = True
    return event


def _rendered(
    kind: NotificationType, context: dict[str, Any], language: str | None, body: str | None
) -> tuple[str, str]:
    # {actors} stays for grouping to fill in.
    title, rendered_body = kind.render({"actors": "{actors}", **context}, language)
    return title, rendered_body if body is None else body


def _by_language(ids: list[Any]) -> dict[str | None, list[Any]]:
    """Recipients by the language they read in (one query, only with the hook)."""
    if conf.DJANGO_SSE_NOTIFICATION_LANGUAGE is None or not ids:
        return {None: ids}
    language = language_of()
    groups: dict[str | None, list[Any]] = {}
    for user in get_user_model().objects.filter(pk__in=ids):
        groups.setdefault(language(user), []).append(user.pk)
    return groups


def _deliver(
    ids: list[Any],
    *,
    title: str,
    body: str,
    level: str,
    url: str,
    actor: models.Model | None,
    target: models.Model | None,
    data: dict[str, Any] | None,
    kind: str,
    collapse: Any,
    collapse_window: timedelta | None,
) -> tuple[list[Notification], list[Notification]]:
    """Create (or collapse into) one text's notifications: (created, all changed)."""
    key = grouping.collapse_key(collapse) if collapse is not None else ""
    data = dict(data or {})
    if key:
        data["title_template"] = title
        grouping.add_actor(data, str(actor) if actor is not None else "")
        title = grouping.render_title(title, data.get("actors", []), 1)
    template = Notification(
        title=title,
        body=body,
        level=level,
        url=url,
        data=data,
        actor=actor,
        target=target,
        collapse_key=key,
        type=kind,
    )
    template.full_clean(exclude=["recipient"])
    fields = {f.attname: getattr(template, f.attname) for f in Notification._meta.concrete_fields}
    fields.pop("id")
    updated = _collapse_into(ids, key, template, collapse_window) if key else []
    fresh = set(ids) - {n.recipient_id for n in updated}
    created = Notification.objects.bulk_create(
        [Notification(**{**fields, "recipient_id": uid}) for uid in ids if uid in fresh],
        batch_size=1000,
    )
    return created, [*updated, *created]


def _collapse_into(
    ids: list[Any], key: str, new: Notification, window: timedelta | None
) -> list[Notification]:
    """Update each recipient's unread notification with ``key`` (the
    newest, locked) with ``new``; returns those updated."""
    candidates = Notification.objects.unread().filter(recipient_id__in=ids, collapse_key=key)
    if window is not None:
        candidates = candidates.filter(created_at__gte=timezone.now() - window)
    latest: dict[Any, Notification] = {}
    for item in candidates.select_for_update().order_by("id"):
        latest[item.recipient_id] = item  # the newest wins
    name = str(new.actor) if new.actor_object_id is not None else ""
    for item in latest.values():
        data = {
            **item.data,
            **{k: v for k, v in new.data.items() if k not in ("actors", "actor_count", "_seen")},
        }
        grouping.add_actor(data, name)
        item.data = data
        item.title = grouping.render_title(
            data.get("title_template", new.title),
            data.get("actors", []),
            data.get("actor_count", 1),
        )
        item.body, item.level, item.url = new.body, new.level, new.url
        item.count += 1
    _save_collapsed(list(latest.values()))
    return list(latest.values())


COLLAPSED_FIELDS = ("title", "body", "level", "url", "data", "count")
SHARED_UPDATES = 20  # at most this many UPDATEs of identical values, then bulk_update
UPDATE_CHUNK = 1000  # ids per UPDATE (SQLite's limit on a statement's parameters)


def _save_collapsed(items: list[Notification]) -> None:
    """Write the collapsed notifications. One notification to many people
    collapses the same way for nearly all of them: one UPDATE per set of
    identical new values (the second of two notifications to the same
    10,000 people: 1.8 s here, where Django's ``bulk_update`` and its CASE
    per row took 11.2 s); the rest, and all of them when the sets are
    many, through ``bulk_update``."""
    same: dict[str, list[Notification]] = {}
    for item in items:
        values = [getattr(item, name) for name in COLLAPSED_FIELDS]
        same.setdefault(json.dumps(values, sort_keys=True, cls=DjangoJSONEncoder), []).append(item)
    shared = [group for group in same.values() if len(group) > 1]
    if len(shared) > SHARED_UPDATES:
        shared = []
    for group in shared:
        changes = {name: getattr(group[0], name) for name in COLLAPSED_FIELDS}
        ids = [item.pk for item in group]
        for start in range(0, len(ids), UPDATE_CHUNK):
            Notification.objects.filter(pk__in=ids[start : start + UPDATE_CHUNK]).update(**changes)
    done = {item.pk for group in shared for item in group}
    rest = [item for item in items if item.pk not in done]
    Notification.objects.bulk_update(rest, list(COLLAPSED_FIELDS), batch_size=1000)


SNOOZE_LOOK_EVERY = 5.0  # seconds between two looks for snoozed notifications due back


def wake_snoozed() -> int:
    """Bring back the snoozed notifications whose time has come, as new:
    their pages get them again (every server process looks; each row is
    taken by one). Returns how many came back."""
    now = timezone.now()
    with atomic():
        due = list(
            Notification.objects.filter(snoozed_until__lte=now, deleted=False)
            .select_for_update(skip_locked=True)
            .order_by("snoozed_until")[:500]
        )
        if not due:
            return 0
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(snoozed_until=None)
        for item in due:
            item.snoozed_until = None
        publish_changes((n.recipient_id, "notification", n.as_event()) for n in due)
    return len(due)
