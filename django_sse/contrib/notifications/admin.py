"""Notifications in the admin: filters, actions, and a "Send notification" form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from django_sse.contrib.notifications.announcements import topic_of
from django_sse.contrib.notifications.chat.sending import webhook_problem
from django_sse.contrib.notifications.delivery import notify
from django_sse.contrib.notifications.models import (
    Announcement,
    ChatWebhook,
    Mute,
    Notification,
    NotificationPreference,
    PushMessage,
    PushSubscription,
    publish_changes,
    validate_link,
)
from django_sse.eventlog import atomic, publish


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Unread"), ("yes", "Read")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


class SendForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea, required=False)
    level = forms.ChoiceField(choices=Notification.Level.choices)
    url = forms.CharField(max_length=500, required=False, help_text="/path or https://...")
    users = forms.ModelMultipleChoiceField(get_user_model().objects.all(), required=False)
    groups = forms.ModelMultipleChoiceField(Group.objects.all(), required=False)
    everyone = forms.BooleanField(required=False, help_text="Every active user.")

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        if url:
            validate_link(url)
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("users") or data.get("groups") or data.get("everyone")):
            raise forms.ValidationError("Choose users, groups, or everyone.")
        return data

    def recipients(self) -> Any:
        User = get_user_model()
        if self.cleaned_data["everyone"]:
            return User.objects.filter(is_active=True)
        ids = {u.pk for u in self.cleaned_data["users"]}
        for group in self.cleaned_data["groups"]:
            ids.update(group.user_set.values_list("pk", flat=True))
        return User.objects.filter(pk__in=ids)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "level", "created_at", "is_read", "deleted"]
    list_filter = ["level", ReadFilter, "deleted", "created_at"]
    search_fields = ["title", "body", "recipient__username", "recipient__email"]
    date_hierarchy = "created_at"
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at", "collapse_key", "count"]
    actions = ["mark_read", "mark_unread", "resend"]
    change_list_template = "admin/sse_notifications/notification/change_list.html"

    @admin.display(boolean=True, description="read")
    def is_read(self, obj: Notification) -> bool:
        return obj.is_read

    @admin.action(description="Mark selected notifications as read")
    def mark_read(self, request: HttpRequest, queryset: Any) -> None:
        changed = queryset.mark_all_read()
        self.message_user(request, f"{changed} notification(s) marked read.")

    @admin.action(description="Mark selected notifications as unread")
    def mark_unread(self, request: HttpRequest, queryset: Any) -> None:
        changed = queryset.mark_unread()
        self.message_user(request, f"{changed} notification(s) marked unread.")

    @admin.action(description="Resend selected notifications to open pages")
    def resend(self, request: HttpRequest, queryset: Any) -> None:
        items = [(n.recipient_id, "notification", n.as_event()) for n in queryset.active()]
        publish_changes(items)
        self.message_user(request, f"{len(items)} notification(s) sent again.")

    def save_model(self, request: HttpRequest, obj: Notification, form: Any, change: bool) -> None:
        # Created or edited here: the recipient's open pages follow at commit.
        with atomic():
            super().save_model(request, obj, form, change)
            if change:
                event = {"ids": [obj.pk], "state": "changed", "items": [obj.as_event()]}
                publish_changes([(obj.recipient_id, "notification-updated", event)])
            else:
                publish_changes([(obj.recipient_id, "notification", obj.as_event())])

    def get_urls(self) -> list[Any]:
        send = self.admin_site.admin_view(self.send_view)
        return [
            path("send/", send, name="sse_notifications_notification_send"),
            *super().get_urls(),
        ]

    def send_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = SendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            created = notify(
                form.recipients(),
                data["title"],
                body=data["body"],
                level=data["level"],
                url=data["url"],
                actor=request.user if isinstance(request.user, Model) else None,
            )
            self.message_user(request, f"Sent to {len(created)} user(s).", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:sse_notifications_notification_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Send notification",
        }
        return TemplateResponse(request, "admin/sse_notifications/notification/send.html", context)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Banners for everyone or one group, shown live from start to end."""

    list_display = ["title", "level", "group", "starts_at", "ends_at", "created_by"]
    list_filter = ["level", "group", "starts_at"]
    search_fields = ["title", "body"]
    date_hierarchy = "starts_at"
    fields = ["title", "body", "level", "url", "group", "starts_at", "ends_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        now = timezone.now()
        with atomic():
            if not change:
                obj.created_by = request.user
            elif obj.start_published:
                # Already on pages: they take the edit at once, or drop a
                # banner whose start moved later or whose end has passed.
                if obj.starts_at > now or (obj.ends_at is not None and obj.ends_at <= now):
                    publish(topic_of(obj), {"id": obj.pk}, event="announcement-ended")
                    obj.start_published = obj.starts_at <= now
                else:
                    publish(topic_of(obj), obj.as_event(), event="announcement")
            if obj.ends_at is None or obj.ends_at > now:
                obj.end_published = False
            obj.save()


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Users' choices per type and channel (users make them on their page)."""

    list_display = ["user", "type", "channel", "enabled"]
    list_filter = ["type", "channel", "enabled"]
    search_fields = ["user__username", "type"]
    raw_id_fields = ["user"]


@admin.register(Mute)
class MuteAdmin(admin.ModelAdmin):
    list_display = ["user", "target_content_type", "target_object_id", "until"]
    list_filter = ["target_content_type", "until"]
    search_fields = ["user__username", "target_object_id"]
    raw_id_fields = ["user"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    """Browsers subscribed to web push. Deleting one stops its pushes; the
    browser's button turns it on again. Keys are not shown."""

    list_display = ["user", "service", "user_agent", "created_at", "last_sent_at"]
    list_filter = ["created_at", "last_sent_at"]
    search_fields = ["user__username", "endpoint", "user_agent"]
    readonly_fields = ["user", "endpoint", "user_agent", "created_at", "last_sent_at"]
    exclude = ["p256dh", "auth", "session"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only a browser can make a subscription


@admin.register(PushMessage)
class PushMessageAdmin(admin.ModelAdmin):
    """Web pushes waiting to be sent or retried (the outbox); a message
    leaves it when its push service takes it or after its last attempt."""

    list_display = ["notification", "subscription", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["attempts"]
    list_select_related = ["notification", "subscription__user"]
    readonly_fields = [
        "notification",
        "subscription",
        "created_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    exclude = ["claim"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChatWebhookForm(forms.ModelForm):
    """A team's webhook (a group's), or a user's; on a service the site posts to."""

    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = ChatWebhook
        fields = ["group", "user", "service", "url"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("group") is None) == (data.get("user") is None):
            raise forms.ValidationError("Choose a group (a team's webhook) or a user, not both.")
        problem = webhook_problem(data.get("service"), data.get("url"))
        if problem:
            raise forms.ValidationError(problem)
        return data


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    """Slack and Teams webhooks: a team's (a group's: it gets what is sent
    to the group) or a user's own (added in their preferences)."""

    form = ChatWebhookForm
    list_display = ["__str__", "service", "group", "user", "created_at", "last_sent_at"]
    list_filter = ["service"]
    list_select_related = ["group", "user"]
    search_fields = ["group__name", "user__username"]
