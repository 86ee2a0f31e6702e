"""Short-lived signed stream tokens, for clients that cannot send cookies.

    POST /sse/token/ {"topics": ["user:7", "orders"]}     (signed in, CSRF)
    -> {"token": "...", "expires_in": 60}
    new EventSource("https://app.example/sse/stream/?topics=user:7,orders&token=...")

A token is bound to one user and to the topics it was issued for; it is
checked again on every connect (authorization is not cached in it) and
expires after ``DJANGO_SSE_TOKEN_MAX_AGE`` seconds. It dies with the
user's sessions too: it carries a digest of the user's session auth hash
(a password change, however made, changes it) and the event log's
position when it was made (a revocation of all the user's streams after
it, which logging out, a password change and deactivation publish,
refuses it). django-sse never logs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from django.core import signing
from django.utils.crypto import salted_hmac

SALT = "django_sse.stream-token"


class InvalidToken(Exception):
    pass


class Token(NamedTuple):
    user_pk: Any
    topics: list[str]
    position: int  # the event log's, when it was made
    auth: str  # ``auth_digest`` of the user then


def auth_digest(user: Any) -> str:
    """A short digest of the user's session auth hash (it changes with the
    password); empty for a user model without one."""
    get_hash = getattr(user, "get_session_auth_hash", None)
    return salted_hmac(SALT, get_hash(), algorithm="sha256").hexdigest()[:16] if get_hash else ""


def make_token(user: Any, topics: list[str], position: int) -> str:
    # str: a UUID (or other non-JSON) pk signs too; the lookup converts back.
    payload = {"u": str(user.pk), "t": sorted(topics), "p": position, "a": auth_digest(user)}
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str, max_age: float) -> Token:
    """What a valid token says; ``InvalidToken`` otherwise."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=timedelta(seconds=max_age))
    except signing.SignatureExpired as exc:
        raise InvalidToken("The stream token has expired; ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise InvalidToken("The stream token is not valid.") from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("t"), list)
        or not isinstance(payload.get("p"), int)
        or not isinstance(payload.get("a"), str)
    ):
        raise InvalidToken("The stream token is not valid.")
    return Token(payload.get("u"), payload["t"], payload["p"], payload["a"])
