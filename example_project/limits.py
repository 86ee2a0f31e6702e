"""Limits that keep the public demo from becoming an abuse path: a few
actions per minute per user (or address, signed out), a few jobs at once.
Demo code: a real project would use its own rate limiting (at the proxy,
or a library such as django-ratelimit)."""

import time

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

PER_MINUTE = 20
JOBS_PER_USER = 3
JOBS_IN_ALL = 10


def _who(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def too_many(request: HttpRequest, action: str, limit: int = PER_MINUTE) -> JsonResponse | None:
    """A 429 once ``request``'s sender did ``action`` ``limit`` times this minute."""
    minute = int(time.time() // 60)
    key = f"demo-limit:{action}:{_who(request)}:{minute}"
    cache.add(key, 0, 120)
    if cache.incr(key) <= limit:
        return None
    return refuse(f"At most {limit} per minute here; try again shortly.", retry_after=60)


def refuse(message: str, retry_after: int) -> JsonResponse:
    response = JsonResponse({"error": message, "status": 429}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
