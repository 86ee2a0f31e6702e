from django.urls import path

from django_sse import notification_views, progress_views, views

app_name = "django_sse"

urlpatterns = [
    path("stream/", views.stream, name="stream"),
    path("stats/", views.stats, name="stats"),
    path("token/", views.token, name="token"),
    path("notifications/", notification_views.stream, name="notifications-stream"),
    path("notifications/api/", notification_views.listing, name="notifications-list"),
    path("notifications/api/count/", notification_views.count, name="notifications-count"),
    path("notifications/api/read-all/", notification_views.read_all, name="notifications-read-all"),
    path(
        "notifications/api/<int:pk>/<str:action>/",
        notification_views.change,
        name="notifications-change",
    ),
    path("progress/<uuid:pk>/", progress_views.stream, name="progress-stream"),
    path("progress/<uuid:pk>/state/", progress_views.state, name="progress-state"),
    path("progress/<uuid:pk>/cancel/", progress_views.cancel, name="progress-cancel"),
]
