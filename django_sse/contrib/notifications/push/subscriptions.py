"""Web push subscriptions: what a browser may subscribe with (an endpoint
of one of ``DJANGO_SSE_PUSH_SERVICES``, its keys), kept per user and
session, renewed, and dropped at sign-out."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING, Any

from django.db import transaction

from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import PushSubscription

if TYPE_CHECKING:
    pass
from django_sse.contrib.notifications.addresses import on_list, valid
from django_sse.contrib.notifications.push.keys import enabled


def endpoint_problem(endpoint: Any) -> str | None:
    """Why a subscription's endpoint is refused, or None: it must be an
    address of one of ``DJANGO_SSE_PUSH_SERVICES``."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1000:
        return "endpoint must be the push service's address (at most 1000 characters)."
    if not valid(endpoint):
        return "endpoint is not a valid address."
    if on_list(endpoint, conf.DJANGO_SSE_PUSH_SERVICES):
        return None
    return "endpoint is not on a push service this site sends to (DJANGO_SSE_PUSH_SERVICES)."


def _key(value: Any, name: str, size: int) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"keys.{name} must be a base64url string.")
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"keys.{name} must be a base64url string.") from None
    if len(raw) != size or (name == "p256dh" and raw[0] != 4):
        raise ValueError(
            f"keys.{name} must be {size} bytes"
            + (" (an uncompressed P-256 public key)." if name == "p256dh" else ".")
        )
    return value.rstrip("=")


def read_subscription(data: Any) -> dict[str, str]:
    """The fields of a browser's ``PushSubscription.toJSON()``; ValueError
    says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("The subscription must be a JSON object.")
    problem = endpoint_problem(data.get("endpoint"))
    if problem:
        raise ValueError(problem)
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise ValueError("keys must be an object with p256dh and auth.")
    return {
        "endpoint": data["endpoint"],
        "p256dh": _key(keys.get("p256dh"), "p256dh", 65),
        "auth": _key(keys.get("auth"), "auth", 16),
    }


def session_hash(session_key: str | None) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


class EndpointTaken(Exception):
    """A known endpoint, sent with other keys by another user."""


def subscribe(
    user: Any, data: Any, *, user_agent: str = "", session_key: str | None = None
) -> PushSubscription:
    """Keep a browser's subscription for ``user``. A browser belongs to
    whoever subscribed it last: its endpoint moves to them, but only with
    the keys it has (a browser that holds them); an endpoint alone, which
    another user may have seen, moves nothing (``EndpointTaken``)."""
    fields = read_subscription(data)
    known = PushSubscription.objects.filter(endpoint=fields["endpoint"]).first()
    if (
        known is not None
        and known.user_id != user.pk
        and (known.p256dh, known.auth) != (fields["p256dh"], fields["auth"])
    ):
        raise EndpointTaken("This push endpoint belongs to another subscription.")
    item, _ = PushSubscription.objects.update_or_create(
        endpoint=fields["endpoint"],
        defaults={
            "user": user,
            "p256dh": fields["p256dh"],
            "auth": fields["auth"],
            "user_agent": user_agent[:200],
            "session": session_hash(session_key),
        },
    )
    return item


def signed_out(session_key: str | None) -> int:
    """Forget the subscriptions made in a session that ended (the
    ``user_logged_out`` signal): the browser stops getting its user's pushes."""
    if not session_key:
        return 0
    deleted, _ = PushSubscription.objects.filter(session=session_hash(session_key)).delete()
    return deleted


def unsubscribe(user: Any, endpoint: Any) -> bool:
    deleted, _ = PushSubscription.objects.filter(user_id=user.pk, endpoint=endpoint).delete()
    return bool(deleted)


def renew(old: Any, new: Any) -> PushSubscription:
    """The service worker's ``pushsubscriptionchange``: replace the old
    subscription by the new one for the same user. The worker proves it
    holds the old one with its secret (``old.auth``), as no session or
    CSRF token reaches it. PermissionError if the old one is unknown."""
    if not isinstance(old, dict) or not isinstance(old.get("endpoint"), str):
        raise ValueError("old must be the previous subscription's endpoint and auth.")
    fields = read_subscription(new)
    with transaction.atomic():
        previous = (
            PushSubscription.objects.select_for_update()
            .filter(endpoint=old["endpoint"], auth=str(old.get("auth", "")).rstrip("="))
            .first()
        )
        if previous is None:
            raise PermissionError("No such subscription.")
        PushSubscription.objects.filter(endpoint=fields["endpoint"]).exclude(
            pk=previous.pk
        ).delete()
        for name, value in fields.items():
            setattr(previous, name, value)
        previous.save()
    return previous


def forget_on_sign_out(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver (connected by the app)."""
    session = getattr(request, "session", None)
    if enabled() and session is not None:
        signed_out(session.session_key)
