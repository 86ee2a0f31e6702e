"""Short-lived signed stream tokens, for clients that cannot send cookies.

    POST /sse/token/ {"topics": ["user:7", "orders"]}     (signed in, CSRF)
    -> {"token": "...", "expires_in": 60}
    new EventSource("https://app.example/sse/stream/?topics=user:7,orders&token=...")

A token is bound to one user and to the topics it was issued for; it is
checked again on every connect (authorization is not cached in it) and
expires after ``DJANGO_SSE_TOKEN_MAX_AGE`` seconds. django-sse never logs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import signing

SALT = "django_sse.stream-token"


class InvalidToken(Exception):
    pass


def make_token(user: Any, topics: list[str]) -> str:
    # str: a UUID (or other non-JSON) pk signs too; the lookup converts back.
    return signing.dumps({"u": str(user.pk), "t": sorted(topics)}, salt=SALT, compress=True)


def read_token(token: str, max_age: float) -> tuple[Any, list[str]]:
    """The user pk and topics of a valid token; ``InvalidToken`` otherwise."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=timedelta(seconds=max_age))
    except signing.SignatureExpired as exc:
        raise InvalidToken("The stream token has expired; ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise InvalidToken("The stream token is not valid.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), list):
        raise InvalidToken("The stream token is not valid.")
    return payload.get("u"), payload["t"]
