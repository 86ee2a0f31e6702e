"""Settings for the test suite and for the servers it starts.

Tests run against a real PostgreSQL (``TEST_DATABASE_URL``, default the
local ``test`` database). Server processes started by the tests get the
test database's URL in ``DATABASE_URL``.
"""

from pathlib import Path

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = "tests-only-not-secret"
# DJANGO_DEBUG=1 for the WSGI runserver test (static files need DEBUG there).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = ["*"]
# A front end on another origin (tests/browser/test_spa.py sets them).
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DJANGO_SSE_CORS_ORIGINS = env.list("DJANGO_SSE_CORS_ORIGINS", default=[])
USE_TZ = True
USE_I18N = True
LANGUAGES = [("en", "English"), ("fr", "French")]
LOCALE_PATHS = [BASE_DIR / "tests" / "locale"]  # the test types' French
# Typed notifications in each user's language: tests.users.language_of
DJANGO_SSE_NOTIFICATION_LANGUAGE = "tests.users.language_of"
# Notification emails: locmem in the test process; a sender process started
# by tests/contrib/notifications/test_email.py talks SMTP to a real server.
_MAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
_MAIL_PORT = env.int("EMAIL_PORT", default=25)
if django.VERSION >= (6, 1):  # MAILERS replaces the EMAIL_* settings
    _smtp = _MAIL_BACKEND.endswith("smtp.EmailBackend")
    MAILERS = {
        "default": {
            "BACKEND": _MAIL_BACKEND,
            "OPTIONS": {"host": "127.0.0.1", "port": _MAIL_PORT} if _smtp else {},
        }
    }
else:
    EMAIL_BACKEND = _MAIL_BACKEND
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = _MAIL_PORT
DEFAULT_FROM_EMAIL = "notifications@example.test"
# Web push to the tests' local push service (tests/push_service.py): only in
# the server processes started with DJANGO_SSE_TEST_PUSH=1 and in tests that
# override these, so every other notify() runs as without push.
if env.bool("DJANGO_SSE_TEST_PUSH", default=False):
    from tests.push_service import PUSH_SETTINGS

    globals().update(PUSH_SETTINGS)
DJANGO_SSE_SITE_URL = "https://example.test"
# What the bell counts (tests/browser/test_inbox.py starts a server counting unseen).
DJANGO_SSE_NOTIFICATION_BADGE = env.str("DJANGO_SSE_NOTIFICATION_BADGE", default="unread")
if env.bool("DJANGO_SSE_TEST_CHAT", default=False):  # the local Slack and Teams
    DJANGO_SSE_CHAT_SERVICES = ["http://127.0.0.1:*"]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/test"),
}
# Only for checks that look at a non-PostgreSQL alias; no test uses it for data.
DATABASES["sqlite"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_django_sse")}

# SSE_UUID_USERS=1: the auth paths again, with a user model whose pk is a UUID.
UUID_USERS = env.bool("SSE_UUID_USERS", default=False)
if UUID_USERS:
    AUTH_USER_MODEL = "uuid_users.User"
    DATABASES["default"]["TEST"]["NAME"] += "_uuid"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_sse",
    "django_sse.contrib.notifications",
    "django_sse.contrib.progress",
    "django_sse.contrib.dashboards",
    "tests.shop",  # the docs' examples' own models (tests/doc_snippets.py)
    "notifications",  # django-notifications, whose rows the hq guide imports
]
if UUID_USERS:
    INSTALLED_APPS.append("tests.uuid_users")

MIDDLEWARE = [
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

try:  # the Tasks framework: built into Django 6, the django-tasks backport on 5.2
    import django.tasks  # noqa: F401

    TASKS: dict[str, dict[str, object]] = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
except ImportError:
    INSTALLED_APPS.append("django_tasks")
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The real-worker tests (tests/contrib/progress/test_workers.py): a worker
# serves the queue named after its test database (DATABASE_URL), so test
# processes side by side never take each other's jobs.
WORKER_QUEUE = f"sse-{DATABASES['default']['NAME']}"
INSTALLED_APPS += ["django_tasks_db", "django_rq"]
TASKS["db"] = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}  # any queue name
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = WORKER_QUEUE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = False
RQ_QUEUES = {WORKER_QUEUE: {"URL": REDIS_URL}, "default": {"URL": REDIS_URL}}
# A silent job is lost after 3 s here (60 s by default): the worker tests
# kill a worker and wait for that.
DJANGO_SSE_PROGRESS_LOST_AFTER = 3.0

# tests/asgi.py serves static files with Django's ASGIStaticFilesHandler.
SILENCED_SYSTEM_CHECKS = ["django_sse.W002"]

ROOT_URLCONF = "tests.urls"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "example_project" / "static"]  # vendored htmx
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tests" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DJANGO_SSE_BROKER = env.str("DJANGO_SSE_BROKER", default="auto")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    },
    # The readiness test's broker: a Redis port nothing listens on.
    "unreachable": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
    },
}
# The metrics test's servers set these.
DJANGO_SSE_METRICS_TOKEN = env.str("DJANGO_SSE_METRICS_TOKEN", default=None)
DJANGO_SSE_METRICS_INTERVAL = env.float("DJANGO_SSE_METRICS_INTERVAL", default=5.0)
DJANGO_SSE_PRESENCE_INTERVAL = env.float("DJANGO_SSE_PRESENCE_INTERVAL", default=5.0)
DJANGO_SSE_HEARTBEAT = env.float("DJANGO_SSE_HEARTBEAT", default=15.0)
# Servers started by the stalled-client tests set these.
DJANGO_SSE_SEND_TIMEOUT = env.float("DJANGO_SSE_SEND_TIMEOUT", default=30.0)
DJANGO_SSE_MAX_DURATION = env.float("DJANGO_SSE_MAX_DURATION", default=None)
DJANGO_SSE_IDLE_TIMEOUT = env.float("DJANGO_SSE_IDLE_TIMEOUT", default=None)
DJANGO_SSE_TOPIC_RETENTION = {"state:*": "latest", "chat:*": "none"}

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_sse": {"handlers": ["console"], "level": "WARNING"}},
}
