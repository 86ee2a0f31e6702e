"""Jobs in the admin, read-only: jobs report themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from django_sse.contrib.progress.models import TaskProgress


@admin.register(TaskProgress)
class TaskProgressAdmin(admin.ModelAdmin):
    """Recent jobs and where they stand (read-only: jobs report themselves)."""

    list_display = ["label", "owner", "status", "percent", "stage", "created_at", "finished_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["label", "owner__username", "stage", "message"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
