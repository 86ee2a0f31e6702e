from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from tests import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sse/", include("django_sse.urls")),
    path("page/", views.page),
    path("snippet-page/<str:name>/", views.snippet_page),
    path("answer/", views.answer),
    path("dashboard-page/", views.dashboard_page),
    path("htmx-page/", views.htmx_page),
    path("htmx4-page/", views.htmx4_page),
    path("test-publish/", views.publish_for_tests),
    path("test-notify/", views.notify_for_tests),
    path("spa-page/", views.spa_page),
    path("spa-client/<str:name>", views.spa_client),
    path("api/csrf/", views.spa_csrf),  # the SPA guide's
    path("tokens/", views.tokens),
    path("progress-page/<uuid:job_id>/", views.progress_page),
    path("jobs-page/", views.jobs_page),
    path("announcements-page/", views.announcements_page),
    path("hq-page/", views.hq_page),
    path("presence-page/", views.presence_page),
    path("widgets-page/", views.widgets_page),
    path("favicon.ico", lambda request: HttpResponse(status=204)),
]
