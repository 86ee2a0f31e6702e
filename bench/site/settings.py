"""One settings module for every Django server in the benchmark.

BENCH_KIND picks what is served: ``sse`` (django-sse, Postgres broker),
``eventstream`` (django-eventstream with its Redis pub/sub listener) or
``bare`` (a plain async view streaming from one asyncio.Queue per client).
``sse`` and ``eventstream`` run with the same session and auth middleware;
``bare`` runs with none (the floor).
"""

import os

KIND = os.environ["BENCH_KIND"]
SECRET_KEY = "bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "bench.site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_DB", "django_sse_bench"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": 5432,
    }
}
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
if KIND == "sse":
    INSTALLED_APPS += [
        "django_sse",
        "django_sse.contrib.progress",
        "django_sse.contrib.notifications",
    ]
    # bench/jobs.py: jobs run by a Celery worker pool on the Redis here.
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/3"
    CELERY_TASK_DEFAULT_QUEUE = "bench-jobs"
    DJANGO_SSE_CLIENT_BUFFER = 10_000
    DJANGO_SSE_MAX_STREAMS = 100_000  # the benchmark holds more than the default 10,000
    DJANGO_SSE_MAX_STREAMS_PER_USER = 100_000  # authenticated runs use one user
    # The unlogged throughput rows: the broker carries these topics' events.
    DJANGO_SSE_TOPIC_RETENTION = {"live:*": "none"}
    # bench/stalled.py sets it shorter than the default 30 s.
    DJANGO_SSE_SEND_TIMEOUT = float(os.environ.get("DJANGO_SSE_SEND_TIMEOUT", 30))
    # bench/idle.py sets it longer than its window: no heartbeats in what it measures.
    DJANGO_SSE_HEARTBEAT = float(os.environ.get("DJANGO_SSE_HEARTBEAT", 15))
    # bench/run.py --processes: "postgres" (the default here) or "redis".
    DJANGO_SSE_BROKER = os.environ.get("BENCH_BROKER", "postgres")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/4"]},
        }
    }
elif KIND == "eventstream":
    INSTALLED_APPS.append("django_eventstream")
    EVENTSTREAM_REDIS = {"host": "127.0.0.1", "port": 6379, "db": 0}
else:
    MIDDLEWARE = []
# "sse-full" in bench/run.py: the standard stack of a new Django project.
if os.environ.get("BENCH_FULL_MIDDLEWARE"):
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    INSTALLED_APPS.append("django.contrib.messages")
# bench/sync_middleware.py: one no-op middleware, sync-only or async-capable.
if os.environ.get("BENCH_MIDDLEWARE"):
    name = os.environ["BENCH_MIDDLEWARE"]
    MIDDLEWARE = [*MIDDLEWARE, name if "." in name else f"bench.site.middleware.{name}"]
    STATIC_URL = "/static/"
# The benchmark serves no widgets, so no static files; and it measures what
# W006 (sync-only middleware) warns about on purpose.
SILENCED_SYSTEM_CHECKS = ["django_sse.W002", "django_sse.W006"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
