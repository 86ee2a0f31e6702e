import pytest
from django.test import override_settings

from django_sse.checks import check_asgi, check_settings


def ids(messages):
    return [m.id for m in messages]


def test_default_settings_pass():
    assert check_settings() == []


@pytest.mark.parametrize(
    "settings,expected",
    [
        ({"DJANGO_SSE_DATABASE": "nope"}, ["django_sse.E001"]),
        ({"DJANGO_SSE_BROKER": "carrier.pigeon"}, ["django_sse.E002"]),
        ({"DJANGO_SSE_HEARTBEAT": 0}, ["django_sse.E005"]),
        ({"DJANGO_SSE_POLL_INTERVAL": "fast"}, ["django_sse.E005"]),
        ({"DJANGO_SSE_CLIENT_BUFFER": True}, ["django_sse.E005"]),
        ({"DJANGO_SSE_MAX_DURATION": -5}, ["django_sse.E005"]),
        ({"DJANGO_SSE_IDLE_TIMEOUT": 0}, ["django_sse.E005"]),
        ({"DJANGO_SSE_TOPIC_RETENTION": {"a:*": "forever"}}, ["django_sse.E006"]),
        ({"DJANGO_SSE_AUTHORIZE": "no.such.hook"}, ["django_sse.E007"]),
    ],
)
def test_bad_settings_have_stable_ids(settings, expected):
    with override_settings(**settings):
        assert ids(check_settings()) == expected


def test_postgres_broker_on_sqlite_is_an_error():
    with override_settings(DJANGO_SSE_DATABASE="sqlite", DJANGO_SSE_BROKER="postgres"):
        assert ids(check_settings()) == ["django_sse.E003"]


def test_missing_psycopg3_is_an_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a)
    )
    assert ids(check_settings()) == ["django_sse.E004"]


def test_runserver_without_daphne_warns_in_debug():
    with override_settings(DEBUG=True):
        assert ids(check_asgi()) == ["django_sse.W001"]
    from django.conf import settings

    with override_settings(DEBUG=True, INSTALLED_APPS=["daphne", *settings.INSTALLED_APPS]):
        assert check_asgi() == []
