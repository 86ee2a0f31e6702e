"""Jobs in the admin, read-only (jobs report themselves): filters by state,
owner and backend, a live bar on each job's page, and a cancel action for
users with the change permission."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from django_sse.contrib.progress import control
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic


@admin.register(TaskProgress)
class TaskProgressAdmin(admin.ModelAdmin):
    """Recent jobs and where they stand; each job's page refreshes live."""

    list_display = [
        "label",
        "owner",
        "backend",
        "status",
        "percent_done",
        "stage",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "backend", ("owner", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["owner"]
    search_fields = ["label", "owner__username", "stage", "message"]
    date_hierarchy = "created_at"
    actions = ["cancel_jobs"]
    # {% sse_progress %} above the fields: the job's state, live.
    change_form_template = "admin/sse_progress/taskprogress/change_form.html"

    exclude = ["percent"]
    readonly_fields = ["percent_done"]

    @admin.display(description="percent", ordering="percent")
    def percent_done(self, job: TaskProgress) -> str:
        return "" if job.percent is None else f"{job.percent:.0f}%"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(TaskProgress.CHANGE_PERMISSION))

    @admin.action(description="Cancel the selected jobs", permissions=["cancel"])
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[TaskProgress]) -> None:
        cancelled = 0
        with atomic():
            locked = queryset.select_related(None).select_for_update()
            for record in locked.exclude(status__in=TaskProgress.FINAL):
                control.cancel(record)
                cancelled += 1
        self.message_user(request, f"Asked {cancelled} jobs to stop.", messages.SUCCESS)
