"""django_sse.static.WhiteNoiseMiddleware: WhiteNoise's files, served the
same under ASGI and WSGI, and no thread for a request that is not one."""

import threading

import pytest
from django.conf import settings
from django.test import AsyncClient, override_settings

from django_sse.checks.serving import check_static_files, check_sync_middleware

OURS = "django_sse.static.WhiteNoiseMiddleware"
THEIRS = "whitenoise.middleware.WhiteNoiseMiddleware"
JS = "/static/django_sse/django-sse.js"


def with_middleware(name, **extra):
    return override_settings(MIDDLEWARE=[name, *settings.MIDDLEWARE], **extra)


@pytest.mark.parametrize("autorefresh", [False, True])
async def test_serves_static_files_under_asgi(async_client, autorefresh):
    found = {"WHITENOISE_USE_FINDERS": True, "WHITENOISE_AUTOREFRESH": autorefresh}
    with with_middleware(OURS, **found):
        answer = await async_client.get(JS)
        missing = await async_client.get("/static/django_sse/nope.js")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/javascript")
    body = b"".join(answer.streaming_content)  # WhiteNoise's file iterator is sync
    assert b"EventSource" in body
    assert missing.status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_other_requests_go_on_without_a_thread(async_client, monkeypatch):
    """A stream's request reaches the view with no hop to a thread for the
    middleware (WhiteNoise's own would make one, twice)."""
    from whitenoise.middleware import WhiteNoiseMiddleware as Theirs

    seen = []
    real = Theirs.__call__

    def spy(self, request):
        seen.append(threading.current_thread())
        return real(self, request)

    monkeypatch.setattr(Theirs, "__call__", spy)
    loop_thread = threading.current_thread()
    with with_middleware(OURS, WHITENOISE_USE_FINDERS=True):
        answer = await async_client.get("/sse/health/live/")
    assert answer.status_code == 200 and seen == []  # the sync path never ran
    with with_middleware(THEIRS, WHITENOISE_USE_FINDERS=True):
        theirs = await AsyncClient().get("/sse/health/live/")
    assert theirs.status_code == 200 and seen and seen[0] is not loop_thread


def test_serves_static_files_under_wsgi(client):
    with with_middleware(OURS, WHITENOISE_USE_FINDERS=True):
        answer = client.get(JS)
    assert answer.status_code == 200
    assert b"EventSource" in b"".join(answer.streaming_content)


def test_checks_know_it():
    with with_middleware(OURS):
        assert check_static_files() == [] and check_sync_middleware() == []
    with with_middleware(THEIRS):
        assert check_static_files() == []
        [warning] = check_sync_middleware()
    assert warning.id == "django_sse.W006" and THEIRS in warning.msg and OURS in warning.hint
