"""Every answer under /sse/ is JSON: a POST without a CSRF token to each
endpoint (the core's and the contrib apps') is a JSON error, never
Django's HTML 403 page."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.users import User

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "str": "x", "uuid": str(uuid.UUID(int=0)), "path": "x", "slug": "x"}


def sse_paths() -> list[str]:
    """Every URL of the ``sse/`` include, its converters filled in."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                found.append(prefix + route)

    [sse] = [p for p in get_resolver().url_patterns if str(p.pattern) == "sse/"]
    walk(sse.url_patterns, "/sse/")
    paths = []
    for route in found:
        route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)
        paths.append(route.lstrip("^").replace("\\Z", "").replace("$", ""))
    return paths


def test_the_walk_finds_the_endpoints():
    paths = sse_paths()
    assert "/sse/stream/" in paths and "/sse/notifications/push/renew/" in paths
    assert len(paths) > 20


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_a_post_without_a_csrf_token_is_answered_in_json_everywhere(signed_in):
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(User.objects.create_user("poster"))
    for path in sse_paths():
        response = client.post(path, {"x": "1"})
        kind = response.get("Content-Type", "")
        assert kind.startswith("application/json"), (path, response.status_code, kind)
        assert response.status_code in (400, 401, 403, 404, 405), (path, response.status_code)
