"""JSON endpoints and the stream of the signed-in user's notifications.

Every endpoint answers an anonymous request with 401 JSON (never a redirect
that fetch() would follow into a login page), changes state only on POST
(CSRF-protected by Django's middleware), and finds notifications only among
the requesting user's own: another user's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_sse.asgi import stream_view
from django_sse.contrib.notifications import emails
from django_sse.contrib.notifications.announcements import visible_to
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import (
    AnnouncementDismissal,
    Notification,
    NotificationQuerySet,
)
from django_sse.contrib.notifications.types import get_type
from django_sse.eventlog import atomic, publish
from django_sse.http import csrf_protect_json, json_body, json_error, require_methods
from django_sse.internals import outside_request_thread
from django_sse.topics import user_topic
from django_sse.views import request_user, subscribe_response

MAX_PAGE_SIZE = 100


def json_login_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return json_error(401, "Sign in to see your notifications.")
        return view(request, *args, **kwargs)

    return wrapper


def user_pk(request: HttpRequest) -> Any:
    return request.user.pk


def _mine(request: HttpRequest) -> NotificationQuerySet:
    return Notification.objects.filter(recipient_id=request.user.pk)


def _positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValueError(f"{name} must be an integer from 1 to {maximum}")
    return int(raw)


@stream_view
@never_cache
@require_methods("GET")
async def stream(request: HttpRequest) -> HttpResponseBase:
    """``GET /sse/notifications/``: the signed-in user's live notifications."""
    user = await outside_request_thread(request_user(request))
    if not user.is_authenticated:
        return json_error(401, "Sign in to see your notifications.")
    return await subscribe_response(request, [user_topic(user)])


class BadQuery(ValueError):
    pass


def history_query(request: HttpRequest) -> dict[str, Any]:
    """``before``, ``unread`` and ``level`` from the query string, checked."""
    if "page" in request.GET:
        raise BadQuery("Paging is by cursor: pass before=<the 'next' of the previous page>.")
    level = request.GET.get("level") or None
    if level is not None and level not in Notification.Level.values:
        raise BadQuery(f"level must be one of {', '.join(Notification.Level.values)}")
    kind = request.GET.get("type") or None
    if kind is not None and get_type(kind) is None:
        raise BadQuery(f"No notification type {kind!r}.")
    unread = request.GET.get("unread", "0")
    if unread not in ("0", "1"):
        raise BadQuery("unread must be 0 or 1")
    archived = request.GET.get("archived", "0")
    if archived not in ("0", "1"):
        raise BadQuery("archived must be 0 or 1")
    before = request.GET.get("before")
    return {
        "before": _positive_int(request, "before", 0, 2**63 - 1) if before is not None else None,
        "unread": unread == "1",
        "archived": archived == "1",
        "level": level,
        "type": kind,
    }


def history_page(
    queryset: NotificationQuerySet, query: dict[str, Any], size: int
) -> tuple[list[Notification], int | None]:
    """One page of the history and the cursor of the next (None at the end)."""
    rows = list(queryset.history(**query)[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


@never_cache
@require_methods("GET")
@json_login_required
def listing(request: HttpRequest) -> HttpResponseBase:
    """``?before=<id>&unread=1&level=error&page_size=20``: newest first."""
    try:
        query = history_query(request)
        size = _positive_int(request, "page_size", 20, MAX_PAGE_SIZE)
    except ValueError as exc:
        return json_error(400, str(exc))
    items, cursor = history_page(_mine(request), query, size)
    return JsonResponse(
        {
            "items": [n.as_event() for n in items],
            "next": cursor,
            "has_next": cursor is not None,
            "unread_count": _mine(request).unread_count(),
            **_badge(request),
        }
    )


@never_cache
@require_methods("GET")
@json_login_required
def count(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse({"unread_count": _mine(request).unread_count(), **_badge(request)})


def _badge(request: HttpRequest) -> dict[str, int]:
    """The bell's number when it counts unseen ones (DJANGO_SSE_NOTIFICATION_BADGE)."""
    if conf.DJANGO_SSE_NOTIFICATION_BADGE != "unseen":
        return {}
    return {"badge": _mine(request).badge_count()}


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def change(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    """``read``, ``unread``, ``dismiss``, ``archive``, ``unarchive``, or
    ``snooze`` (body ``{"hours": 1}``, the default; at most a year)."""
    if action not in ACTIONS:
        return json_error(404, f"Unknown action {action!r}: use {', '.join(ACTIONS)}.")
    mine = _mine(request).filter(pk=pk)
    qs = mine.archived() if action == "unarchive" else mine.active()
    if not qs.exists():
        return json_error(404, "No such notification.")
    if action == "snooze":
        try:
            hours = options(request).get("hours", 1)
            if (
                isinstance(hours, bool)
                or not isinstance(hours, int | float)
                or not 0 < hours <= 8760
            ):
                raise BadQuery("hours must be a number of hours, more than 0, at most 8760.")
        except ValueError as exc:
            return json_error(400, str(exc))
        qs.snooze(timezone.now() + timedelta(hours=hours))
    else:
        getattr(qs, ACTIONS[action])()
    return JsonResponse({"ok": True, "unread_count": _mine(request).unread_count()})


ACTIONS = {
    "read": "mark_all_read",
    "unread": "mark_unread",
    "dismiss": "dismiss",
    "archive": "archive",
    "unarchive": "unarchive",
    "snooze": "snooze",
}


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def seen(request: HttpRequest) -> HttpResponseBase:
    """The panel was opened: every unseen notification is seen."""
    changed = _mine(request).mark_seen()
    return JsonResponse({"ok": True, "changed": changed})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def read_all(request: HttpRequest) -> HttpResponseBase:
    changed = _mine(request).mark_all_read()
    return JsonResponse({"ok": True, "changed": changed, "unread_count": 0})


@never_cache
@require_methods("POST")
@csrf_protect_json
def dismiss_announcement(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Close an announcement for the signed-in user, on every device and tab.
    Anonymous visitors get 401: their browser remembers it instead."""
    if not request.user.is_authenticated:
        return json_error(401, "Sign in to dismiss it everywhere; this browser remembers it.")
    announcement = visible_to(request.user).filter(pk=pk).first()
    if announcement is None:
        return json_error(404, "No such announcement.")
    with atomic():
        AnnouncementDismissal.objects.get_or_create(announcement=announcement, user=request.user)
        publish(user_topic(request.user), {"id": pk}, event="announcement-dismissed")
    return JsonResponse({"ok": True})


def options(request: HttpRequest) -> dict[str, Any]:
    """A JSON object body, if the request sends JSON; else no options."""
    return json_object(request) if request.content_type == "application/json" else {}


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON body, which must be an object (else ``BadQuery``)."""
    try:
        body = json_body(request)
    except ValueError as exc:
        raise BadQuery(str(exc)) from None
    if not isinstance(body, dict):
        raise BadQuery("The body must be a JSON object.")
    return body


@never_cache
@csrf_exempt  # the signed link is the authority: mail clients POST it without cookies (RFC 8058)
@require_methods("GET", "POST")
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponseBase:
    """The link in every email: GET asks, POST (one click, or the form) stops
    those emails for the user the link was made for. No login needed."""
    try:
        user_pk, what = emails.read_token(token)
    except signing.SignatureExpired:
        return json_error(
            410,
            "This unsubscribe link has expired: use the one in a recent email, or your "
            "notification settings.",
        )
    except signing.BadSignature:
        return json_error(400, "This unsubscribe link is not valid.")
    done = ""
    if request.method == "POST":
        try:
            done = emails.unsubscribe(user_pk, what)
        except (LookupError, ObjectDoesNotExist, ValueError, ValidationError):
            # Gone, or a signed id that is not one of this site's (a key reused
            # by another site, a user model that changed its id type).
            return json_error(404, "This link's user or notification type no longer exists.")
        except PermissionError as exc:
            return json_error(403, f"{exc} are required: they cannot be switched off.")
    return render(request, "django_sse/unsubscribe.html", {"done": done})
