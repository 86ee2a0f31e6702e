"""The Celery app of the real-worker tests: ``celery -A tests.celery_app worker``
(with DJANGO_SETTINGS_MODULE=tests.settings). Celery sets Django up in the
worker before it imports the tasks."""

from celery import Celery

app = Celery("tests", include=["tests.celery_tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
