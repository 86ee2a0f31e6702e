"""Settings of the example project, read from the environment (django-environ).

Safe local defaults: SQLite in ./db.sqlite3 with the polling broker, DEBUG on,
loopback hosts only. Set DATABASE_URL=postgres://... to use PostgreSQL (the
LISTEN/NOTIFY broker is then chosen automatically).
"""

from pathlib import Path

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Publishers in other processes (shell, the jobs worker) wait for the
    # lock instead of failing at once; WAL lets the server read meanwhile.
    # IMMEDIATE: a transaction takes the write lock when it begins, so one
    # that reads then writes waits its turn instead of failing with
    # "database is locked" when another process wrote in between.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, init_command="PRAGMA journal_mode=WAL", transaction_mode="IMMEDIATE"
    )

INSTALLED_APPS = [
    "daphne",  # first: makes `runserver` an ASGI server, which streams need
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_sse",
    "django_sse.contrib.notifications",
    "django_sse.contrib.progress",
    "django_sse.contrib.dashboards",
    "django_tasks_db",  # the jobs page's tasks, run by `manage.py db_worker`
    "example_project",
]
# The jobs page enqueues Django Tasks; `make run` starts the database
# worker that runs them beside the server (scripts/run-demo).
try:
    import django.tasks  # noqa: F401  (Django 6: built in)
except ImportError:  # Django 5.2: the django-tasks backport
    INSTALLED_APPS.insert(-2, "django_tasks")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "example_project.middleware.request_rate",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the widgets' JS and CSS) under runserver, uvicorn or daphne alike.
    "django_sse.static.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
ASGI_APPLICATION = "example_project.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

AUTH_PASSWORD_VALIDATORS = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"  # collectstatic, for production
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

DJANGO_SSE_BROKER = env.str("DJANGO_SSE_BROKER", default="auto")

# Notification emails (make run sends the due ones every minute): printed
# by the console backend in the demo's terminal, links to this server.
DJANGO_SSE_SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = "demo@django-sse.example"
if django.VERSION >= (6, 1):  # MAILERS replaces EMAIL_BACKEND
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Web push: this checkout's own VAPID key, made by demo_setup in
# .vapid-demo.pem (not committed), or VAPID_PRIVATE_KEY from the environment.
# Pushes reach a browser with internet access through its real push service.
_DEMO_VAPID = BASE_DIR / ".vapid-demo.pem"
DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default=None) or (
    _DEMO_VAPID.read_text() if _DEMO_VAPID.exists() else None
)
DJANGO_SSE_PUSH_VAPID_SUBJECT = "mailto:demo@django-sse.example"
