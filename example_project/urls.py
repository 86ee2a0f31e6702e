from django.contrib import admin
from django.urls import include, path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", views.feed, name="feed"),
    path("feed/publish/", views.feed_publish, name="feed-publish"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/send/", views.notifications_send, name="notifications-send"),
    path("notifications/comments/", views.notifications_comments, name="notifications-comments"),
    path("notifications/later/", views.notifications_later, name="notifications-later"),
    path("notifications/hq/", views.notifications_hq, name="notifications-hq"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/start/", views.jobs_start, name="jobs-start"),
    path("jobs/<uuid:job_id>/", views.jobs, name="job"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("story/", views.story, name="story"),
    path("story/stream/", views.story_stream, name="story-stream"),
    path("story/broadcast/", views.story_broadcast, name="story-broadcast"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("sse/", include("django_sse.urls")),
]
