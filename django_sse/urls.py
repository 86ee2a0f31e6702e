from django.urls import path

from django_sse import views

app_name = "django_sse"

urlpatterns = [
    path("stream/", views.stream, name="stream"),
    path("stats/", views.stats, name="stats"),
]
