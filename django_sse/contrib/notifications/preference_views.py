"""A user's notification settings: the channels per type, the objects
they muted, and their quiet hours (JSON, CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from django_sse.contrib.notifications import preferences, quiet
from django_sse.contrib.notifications.models import Mute, Notification, QuietHours
from django_sse.contrib.notifications.views import (
    BadQuery,
    _mine,
    json_login_required,
    json_object,
    options,
    user_pk,
)
from django_sse.http import csrf_protect_json, json_error, require_methods


@never_cache
@require_methods("GET", "POST")
@csrf_protect_json
@json_login_required
def preferences_view(request: HttpRequest) -> HttpResponseBase:
    """GET: every type and channel with the user's state, their mutes and
    quiet hours. POST ``{"type": "comment", "channel": "email", "enabled":
    false}``, or ``{"quiet": {"starts": "22:00", "ends": "07:00",
    "time_zone": "Europe/Paris"}}`` (``null``: none)."""
    if request.method == "POST":
        try:
            body = json_object(request)
            if "quiet" in body:
                quiet.set_quiet_hours(request.user, body["quiet"])
            else:
                enabled = body.get("enabled")
                if not isinstance(enabled, bool):
                    raise BadQuery("enabled must be true or false.")
                preferences.choose(
                    request.user, str(body.get("type")), str(body.get("channel")), enabled
                )
        except ValueError as exc:
            return json_error(400, str(exc))
    mutes = preferences.active_mutes(request.user)
    return JsonResponse(
        {
            "types": preferences.table(request.user),
            "mutes": [
                {
                    "id": m.pk,
                    "target": f"{m.target_content_type.app_label}.{m.target_content_type.model}"
                    f":{m.target_object_id}",
                    "until": m.until,
                }
                for m in mutes
            ],
            "quiet": _quiet_hours(request),
        }
    )


def _quiet_hours(request: HttpRequest) -> dict[str, str] | None:
    hours = QuietHours.objects.filter(user_id=user_pk(request)).first()
    if hours is None:
        return None
    return {
        "starts": hours.starts.strftime("%H:%M"),
        "ends": hours.ends.strftime("%H:%M"),
        "time_zone": hours.time_zone,
    }


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def mute_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Mute what one of the user's notifications is about: ``{"hours": 24,
    "what": "target"}`` (the default), or its ``"actor"``."""
    notification = _mine(request).filter(pk=pk).first()
    if notification is None:
        return json_error(404, "No such notification.")
    try:
        body = json_object(request)
        what = body.get("what", "target")
        if what not in ("target", "actor"):
            raise BadQuery('what is "target" or "actor".')
        obj = _about(notification, what)
        hours = body.get("hours", 24)
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise BadQuery("hours must be a number.")
        item = preferences.mute(request.user, obj, float(hours))
    except ValueError as exc:
        return json_error(400, str(exc))
    return JsonResponse({"ok": True, "id": item.pk, "until": item.until})


def _about(notification: Notification, what: str) -> Any:
    """The notification's target or actor (``BadQuery`` if it has none)."""
    column = f"{what}_content_type_id"
    obj = getattr(notification, what) if getattr(notification, column) is not None else None
    if obj is None:
        raise BadQuery(f"This notification has no {what} that could be muted or watched.")
    return obj


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def watch_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Watch (POST) the target of one of the user's notifications ("this
    thread"); ``{"watch": false}`` stops."""
    notification = _mine(request).filter(pk=pk).first()
    if notification is None:
        return json_error(404, "No such notification.")
    try:
        obj = _about(notification, "target")
        on = options(request).get("watch", True)
        if not isinstance(on, bool):
            raise BadQuery("watch must be true or false.")
    except ValueError as exc:
        return json_error(400, str(exc))
    if on:
        preferences.watch(request.user, obj)
    else:
        preferences.unwatch(request.user, obj)
    return JsonResponse({"ok": True, "watching": on})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def unmute_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    deleted, _ = Mute.objects.filter(user_id=user_pk(request), pk=pk).delete()
    if not deleted:
        return json_error(404, "No such mute.")
    return JsonResponse({"ok": True})
