"""JSON endpoints and the stream of the signed-in user's notifications.

Every endpoint answers an anonymous request with 401 JSON (never a redirect
that fetch() would follow into a login page), changes state only on POST
(CSRF-protected by Django's middleware), and finds notifications only among
the requesting user's own: another user's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from django_sse.asgi import stream_view
from django_sse.compat import outside_request_thread
from django_sse.contrib.notifications.models import Notification, NotificationQuerySet
from django_sse.http import csrf_protect_json, json_error, require_methods
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


@never_cache
@require_methods("GET")
@json_login_required
def listing(request: HttpRequest) -> HttpResponseBase:
    try:
        page = _positive_int(request, "page", 1, 10**6)
        size = _positive_int(request, "page_size", 20, MAX_PAGE_SIZE)
    except ValueError as exc:
        return json_error(400, str(exc))
    qs = _mine(request).unread() if request.GET.get("unread") == "1" else _mine(request).active()
    start = (page - 1) * size
    rows = list(qs.order_by("-id")[start : start + size + 1])
    return JsonResponse(
        {
            "items": [n.as_event() for n in rows[:size]],
            "page": page,
            "has_next": len(rows) > size,
            "unread_count": _mine(request).unread().count(),
        }
    )


@never_cache
@require_methods("GET")
@json_login_required
def count(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse({"unread_count": _mine(request).unread().count()})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def change(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    if action not in ("read", "unread", "dismiss"):
        return json_error(404, f"Unknown action {action!r}: use read, unread or dismiss.")
    qs = _mine(request).active().filter(pk=pk)
    if not qs.exists():
        return json_error(404, "No such notification.")
    if action == "read":
        qs.mark_all_read()
    elif action == "unread":
        qs.mark_unread()
    else:
        qs.dismiss()
    return JsonResponse({"ok": True, "unread_count": _mine(request).unread().count()})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def read_all(request: HttpRequest) -> HttpResponseBase:
    changed = _mine(request).mark_all_read()
    return JsonResponse({"ok": True, "changed": changed, "unread_count": 0})
