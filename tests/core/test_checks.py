"""System checks: one id per rule, every setting of every table validated."""

import sys

import pytest
from django.test import override_settings

from django_sse.checks import ENVIRONMENT_CHECKS
from django_sse.checks.configuration import ROUTER, check_database, check_settings
from django_sse.checks.serving import check_asgi
from django_sse.conf import tables

SETTINGS = [setting for table in tables().values() for setting in table]

# A value each setting's rule refuses.
BAD = {
    "DJANGO_SSE_BROKER": "",
    "DJANGO_SSE_DATABASE": 7,
    "DJANGO_SSE_HEARTBEAT": 0,
    "DJANGO_SSE_RETRY_MS": 1.5,
    "DJANGO_SSE_POLL_INTERVAL": "fast",
    "DJANGO_SSE_MAX_DURATION": -5,
    "DJANGO_SSE_REAUTHORIZE": 0,
    "DJANGO_SSE_CLIENT_BUFFER_BYTES": 0,
    "DJANGO_SSE_MAX_EVENT_BYTES": "64k",
    "DJANGO_SSE_SEND_TIMEOUT": -1,
    "DJANGO_SSE_IDLE_TIMEOUT": 0,
    "DJANGO_SSE_MAX_TOPICS": 0,
    "DJANGO_SSE_CLIENT_BUFFER": True,
    "DJANGO_SSE_GAP_TIMEOUT": None,
    "DJANGO_SSE_TOPIC_RETENTION": {"a:*": "forever"},
    "DJANGO_SSE_AUTHORIZE": "no.such.hook",
    "DJANGO_SSE_MAX_STREAMS": -1,
    "DJANGO_SSE_MAX_STREAMS_PER_USER": "20",
    "DJANGO_SSE_TOKEN_MAX_AGE": 0,
    "DJANGO_SSE_CORS_ORIGINS": ["https://app.example.com/path"],
    "DJANGO_SSE_CHANNEL_LAYER": None,
    "DJANGO_SSE_PRESENCE_INTERVAL": -1,
    "DJANGO_SSE_METRICS_TOKEN": "short",
    "DJANGO_SSE_METRICS_INTERVAL": 0,
    "DJANGO_SSE_READY_MAX_OUTAGE": "30",
    "DJANGO_SSE_READY_MAX_QUEUE_USAGE": 1.5,
    "DJANGO_SSE_PROXY_IDLE_TIMEOUT": 0,
    "DJANGO_SSE_STREAM_BATCH_INTERVAL": -0.1,
    "DJANGO_SSE_PROGRESS_INTERVAL": 0,
    "DJANGO_SSE_PROGRESS_LOST_AFTER": -1,
    "DJANGO_SSE_PROGRESS_RETENTION": "30d",
    "DJANGO_SSE_JOBS_LIMIT": 2.5,
    "DJANGO_SSE_NOTIFICATION_LANGUAGE": "no.such.module.language",
    "DJANGO_SSE_SITE_URL": "example.com/",
    "DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY": "not-a-key",
    "DJANGO_SSE_PUSH_VAPID_SUBJECT": "ops@example.com",
    "DJANGO_SSE_PUSH_POLICY": "sometimes",
    "DJANGO_SSE_PUSH_SERVICES": ["https://push.example.com/path"],
    "DJANGO_SSE_PUSH_SENDER": "cron",
    "DJANGO_SSE_PUSH_TTL": 0,
    "DJANGO_SSE_CHAT_SERVICES": ["hooks.slack.com"],
    "DJANGO_SSE_NOTIFICATION_BADGE": "unopened",
    "DJANGO_SSE_SAMPLERS_IN_SERVER": "yes",
}


def ids(messages):
    return [m.id for m in messages]


def test_default_settings_pass():
    assert check_settings() == [] and check_database() == []


def test_every_setting_has_a_bad_value_here():
    assert sorted(BAD) == sorted(s.name for s in SETTINGS)


def test_check_ids_are_unique():
    all_ids = [s.check_id for s in SETTINGS] + list(ENVIRONMENT_CHECKS)
    assert len(all_ids) == len(set(all_ids))


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_each_bad_setting_has_its_own_id(setting):
    with override_settings(**{setting.name: BAD[setting.name]}):
        errors = check_settings()
    assert ids(errors) == [setting.check_id]
    assert setting.name in errors[0].msg and repr(BAD[setting.name]) in errors[0].msg


@pytest.mark.parametrize(
    "value", [["https://app.example.com", "http://localhost:8000"], ("https://a.example",)]
)
def test_good_cors_origins_pass(value):
    with override_settings(DJANGO_SSE_CORS_ORIGINS=value):
        assert check_settings() == []


def test_unknown_alias_is_an_error():
    with override_settings(DJANGO_SSE_DATABASE="nope"):
        assert ids(check_database()) == ["django_sse.E009"]


def test_other_alias_needs_the_router():
    with override_settings(DJANGO_SSE_DATABASE="sqlite", DJANGO_SSE_BROKER="polling"):
        assert ids(check_database()) == ["django_sse.E008"]
    with override_settings(
        DJANGO_SSE_DATABASE="sqlite", DJANGO_SSE_BROKER="polling", DATABASE_ROUTERS=[ROUTER]
    ):
        assert check_database() == []


def test_unknown_broker_is_an_error():
    with override_settings(DJANGO_SSE_BROKER="carrier.pigeon"):
        assert ids(check_database()) == ["django_sse.E005"]


def test_postgres_broker_on_sqlite_is_an_error():
    with override_settings(
        DJANGO_SSE_DATABASE="sqlite", DJANGO_SSE_BROKER="postgres", DATABASE_ROUTERS=[ROUTER]
    ):
        assert ids(check_database()) == ["django_sse.E003"]


def test_missing_psycopg3_is_an_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a)
    )
    assert ids(check_database()) == ["django_sse.E004"]


def test_runserver_without_daphne_warns_in_debug():
    with override_settings(DEBUG=True):
        assert ids(check_asgi()) == ["django_sse.W001"]
    from django.conf import settings

    with override_settings(DEBUG=True, INSTALLED_APPS=["daphne", *settings.INSTALLED_APPS]):
        assert check_asgi() == []


def test_no_static_file_server_warns():
    from django.conf import settings

    from django_sse.checks.serving import WHITENOISE, check_static_files

    with override_settings(DEBUG=False):
        assert ids(check_static_files()) == ["django_sse.W002"]
    with override_settings(MIDDLEWARE=[WHITENOISE, *settings.MIDDLEWARE]):
        assert check_static_files() == []
    with override_settings(DEBUG=True, INSTALLED_APPS=["daphne", *settings.INSTALLED_APPS]):
        assert check_static_files() == []


def test_compressing_middleware_that_django_sse_does_not_know_warns():
    from django.conf import settings

    from django_sse.checks.serving import check_buffering_middleware

    assert "django.middleware.gzip.GZipMiddleware" in settings.MIDDLEWARE
    assert check_buffering_middleware() == []  # Django's honours the removed header
    middleware = ["tests.middleware.HeadersCompressor", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        [warning] = check_buffering_middleware()
    assert warning.id == "django_sse.W003" and "HeadersCompressor" in warning.msg


def test_a_heartbeat_near_the_proxy_idle_timeout_warns():
    from django_sse.checks.serving import check_heartbeat

    assert check_heartbeat() == []  # 15 s against 55 s
    with override_settings(DJANGO_SSE_HEARTBEAT=55):
        assert ids(check_heartbeat()) == ["django_sse.W004"]
    with override_settings(DJANGO_SSE_HEARTBEAT=30, DJANGO_SSE_PROXY_IDLE_TIMEOUT=32):
        assert ids(check_heartbeat()) == ["django_sse.W004"]
    with override_settings(DJANGO_SSE_HEARTBEAT=55, DJANGO_SSE_PROXY_IDLE_TIMEOUT=100):
        assert check_heartbeat() == []
    with override_settings(DJANGO_SSE_HEARTBEAT="often"):
        assert check_heartbeat() == []  # E010's business


@pytest.mark.parametrize(
    "change", [{"PORT": 6432}, {"PORT": "6432"}, {"DISABLE_SERVER_SIDE_CURSORS": True}]
)
def test_signs_of_a_transaction_pooler_warn(change, monkeypatch):
    from django.conf import settings

    from django_sse.checks.configuration import check_pooler

    assert check_pooler() == []
    for key, value in change.items():  # overriding DATABASES itself is refused
        monkeypatch.setitem(settings.DATABASES["default"], key, value)
    [warning] = check_pooler()
    assert warning.id == "django_sse.W005"
    with override_settings(DJANGO_SSE_BROKER="redis"):
        assert check_pooler() == []  # no LISTEN connection then


def test_sync_only_middleware_warns():
    from django.conf import settings

    from django_sse.checks.serving import check_sync_middleware

    assert check_sync_middleware() == []
    middleware = [*settings.MIDDLEWARE, "tests.middleware.sync_only"]
    with override_settings(MIDDLEWARE=middleware):
        [warning] = check_sync_middleware()
    assert warning.id == "django_sse.W006" and "tests.middleware.sync_only" in warning.msg


def test_web_push_settings_go_together(monkeypatch):
    from tests.push_service import PUSH_SETTINGS

    with override_settings(**PUSH_SETTINGS):
        assert check_settings() == []
    key = PUSH_SETTINGS["DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY"]
    with override_settings(DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY=key):
        (error,) = check_settings()
    assert error.id == "sse_notifications.E004" and "must be set with" in error.msg
    monkeypatch.setitem(sys.modules, "pywebpush", None)  # the [push] extra not installed
    with override_settings(**PUSH_SETTINGS):
        (error,) = check_settings()
    assert error.id == "sse_notifications.E003" and "pywebpush is not installed" in error.msg


def test_a_setting_read_once_follows_override_settings_and_the_settings_fixture(settings):
    """``conf`` keeps what it read while Django's settings object is the
    same: every way a test changes a setting is seen, deleting one too."""
    from django_sse.conf import conf

    assert conf.DJANGO_SSE_HEARTBEAT == 15.0
    with override_settings(DJANGO_SSE_HEARTBEAT=3.0):
        assert conf.DJANGO_SSE_HEARTBEAT == 3.0
    assert conf.DJANGO_SSE_HEARTBEAT == 15.0
    settings.DJANGO_SSE_HEARTBEAT = 4.0
    assert conf.DJANGO_SSE_HEARTBEAT == 4.0
    del settings.DJANGO_SSE_HEARTBEAT
    assert conf.DJANGO_SSE_HEARTBEAT == 15.0
    settings.DJANGO_SSE_MAX_TOPICS = 3
    assert conf.DJANGO_SSE_MAX_TOPICS == 3 and conf.DJANGO_SSE_HEARTBEAT == 15.0
    with pytest.raises(AttributeError):
        conf.DJANGO_SSE_NO_SUCH_SETTING  # noqa: B018


def test_urls_not_included_is_an_error_that_shows_the_line_to_add(settings):
    from django.core.checks import Tags, run_checks

    settings.ROOT_URLCONF = "tests.projects.urls_without_sse"
    errors = [e for e in run_checks(tags=[Tags.urls]) if e.id == "django_sse.E040"]
    assert len(errors) == 1
    assert 'path("sse/", include("django_sse.urls"))' in errors[0].hint
    assert "tests.projects.urls_without_sse" in errors[0].hint
    settings.ROOT_URLCONF = "tests.urls"
    assert not [e for e in run_checks(tags=[Tags.urls]) if e.id == "django_sse.E040"]


@pytest.mark.parametrize("missing", ["channels", "layer"])
def test_the_redis_broker_without_channels_or_its_layer_is_an_error(settings, monkeypatch, missing):
    import importlib.util

    from django_sse.checks import configuration

    settings.DJANGO_SSE_BROKER = "redis"
    if missing == "channels":
        real = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "channels" else real(name, *a),
        )
        expected = "channels package is not installed"
    else:
        settings.CHANNEL_LAYERS = {}
        expected = "CHANNEL_LAYERS has no 'default' layer"
    [error] = [e for e in configuration.check_database() if e.id == "django_sse.E041"]
    assert expected in error.msg and "no server process would be woken" in error.msg


def test_a_cors_origin_not_trusted_for_csrf_is_a_warning(settings):
    from django_sse.checks import configuration

    settings.DJANGO_SSE_CORS_ORIGINS = ["https://app.example.com", "https://b.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://b.example.com"]
    [warning] = configuration.check_cors_origins_trusted()
    assert warning.id == "django_sse.W007" and "https://app.example.com" in warning.msg
    assert "b.example.com" not in warning.msg
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://b.example.com"]
    assert configuration.check_cors_origins_trusted() == []


def test_deploy_without_collected_static_files_is_a_warning(settings, tmp_path):
    from django.core.checks import Tags
    from django.core.checks import run_checks as run_all
    from django.core.management import call_command

    def run_checks(**options):
        return run_all(tags=[Tags.staticfiles], **options)

    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path / "static")
    deploy = [w for w in run_checks(include_deployment_checks=True) if w.id == "django_sse.W008"]
    assert len(deploy) == 1 and "collectstatic" in deploy[0].hint
    assert not [w for w in run_checks() if w.id == "django_sse.W008"]  # deploy checks only
    call_command("collectstatic", interactive=False, verbosity=0)
    deploy = [w for w in run_checks(include_deployment_checks=True) if w.id == "django_sse.W008"]
    assert deploy == []
