"""The demo dashboard's metrics, computed from the project's own data.
Autodiscovered by django_sse; sampled only while someone watches /dashboard/."""

from datetime import timedelta

from django.utils import timezone

from django_sse.contrib.dashboards import dashboard_metric
from django_sse.contrib.notifications.models import Notification
from django_sse.contrib.progress.models import TaskProgress
from django_sse.presence import watched_topics
from example_project.middleware import requests_per_minute


@dashboard_metric("site", every=2)
def site() -> dict:
    minute_ago = timezone.now() - timedelta(minutes=1)
    return {
        "notifications_per_min": Notification.objects.filter(created_at__gte=minute_ago).count(),
        "open_streams": sum(watched_topics().values()),
        "jobs_running": TaskProgress.objects.filter(status=TaskProgress.Status.RUNNING).count(),
        "requests_per_min": requests_per_minute(),
    }
