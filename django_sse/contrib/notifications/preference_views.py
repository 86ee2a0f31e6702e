"""A user's notification settings: the channels per type, the objects
they muted, and their quiet hours (JSON, CSRF)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from django_sse.contrib.notifications import preferences, quiet
from django_sse.contrib.notifications.models import Mute, QuietHours
from django_sse.contrib.notifications.views import (
    BadQuery,
    _mine,
    _user_pk,
    json_login_required,
    json_object,
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
    hours = QuietHours.objects.filter(user_id=_user_pk(request)).first()
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
    """Mute the target of one of the user's notifications: ``{"hours": 24}``."""
    notification = _mine(request).filter(pk=pk).first()
    if notification is None:
        return json_error(404, "No such notification.")
    if notification.target_content_type_id is None or notification.target is None:
        return json_error(400, "This notification is about no object that could be muted.")
    try:
        hours = json_object(request).get("hours", 24)
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise BadQuery("hours must be a number.")
        item = preferences.mute(request.user, notification.target, float(hours))
    except ValueError as exc:
        return json_error(400, str(exc))
    return JsonResponse({"ok": True, "id": item.pk, "until": item.until})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def unmute_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    deleted, _ = Mute.objects.filter(user_id=_user_pk(request), pk=pk).delete()
    if not deleted:
        return json_error(404, "No such mute.")
    return JsonResponse({"ok": True})
