"""Small projects with only some of django-sse's apps installed, on SQLite:

    SSE_APPS=""                        the core alone
    SSE_APPS="notifications"           the core and one contrib app
    SSE_TWO_DATABASES=1                django-sse's tables on a second alias

``PROJECT_DB`` is the SQLite file (``PROJECT_EVENTS_DB`` the second one).
"""

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.projects.urls"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PROJECT_DB"]},
}
if os.environ.get("SSE_TWO_DATABASES"):
    DATABASES["events"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["PROJECT_EVENTS_DB"],
    }
    DJANGO_SSE_DATABASE = "events"
    DATABASE_ROUTERS = ["django_sse.routers.Router"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_sse",
] + [f"django_sse.contrib.{name}" for name in filter(None, os.environ["SSE_APPS"].split(","))]

MIDDLEWARE = [
    "django_sse.static.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
DJANGO_SSE_POLL_INTERVAL = 0.1
