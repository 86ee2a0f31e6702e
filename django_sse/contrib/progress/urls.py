"""Included by ``django_sse.urls`` under ``progress/`` (names in the
``django_sse`` namespace, e.g. ``django_sse:progress-cancel``)."""

from django.urls import path

from django_sse.contrib.progress import views

urlpatterns = [
    path("<uuid:pk>/", views.stream, name="progress-stream"),
    path("<uuid:pk>/state/", views.state, name="progress-state"),
    path("<uuid:pk>/cancel/", views.cancel, name="progress-cancel"),
]
