"""A project's URLs that forgot ``include("django_sse.urls")`` (check E040)."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [path("", TemplateView.as_view(template_name="page.html"))]
