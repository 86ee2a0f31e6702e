"""The event log (read-only) and the deployment's open streams."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from django_sse import counters
from django_sse.models import Event
from django_sse.presence import PERMISSION, deployment_streams


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The event log, read-only: what was published, to which topic, when."""

    list_display = ["id", "topic", "event", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["topic", "event"]
    change_list_template = "admin/django_sse/event/change_list.html"

    def get_urls(self) -> list[Any]:
        streams = self.admin_site.admin_view(self.streams_view)
        return [path("streams/", streams, name="django_sse_streams"), *super().get_urls()]

    def streams_view(self, request: HttpRequest) -> HttpResponse:
        """Open streams per topic in this deployment, refreshed live. Staff
        with the ``view_hubpresence`` permission (as ``/sse/stats/``)."""
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        current = deployment_streams()
        numbers = current["numbers"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open streams",
            "current": current,
            "labels": [
                {"key": key, "label": label, "metric": metric}
                for key, label, metric in counters.NUMBERS
            ],
            "rows": [
                {
                    "key": key,
                    "label": label,
                    "metric": metric,
                    "values": [values.get(key, 0) for values in numbers["processes"].values()],
                    "total": numbers["total"][key],
                }
                for key, label, metric in counters.NUMBERS
            ],
        }
        return TemplateResponse(request, "admin/django_sse/streams.html", context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
