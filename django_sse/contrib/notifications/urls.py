"""Included by ``django_sse.urls`` under ``notifications/`` (names in the
``django_sse`` namespace, e.g. ``django_sse:notifications-list``)."""

from django.urls import path

from django_sse.contrib.notifications import preference_views, views
from django_sse.contrib.notifications.chat import views as chat_views
from django_sse.contrib.notifications.push import views as push_views

urlpatterns = [
    path("", views.stream, name="notifications-stream"),
    path("api/", views.listing, name="notifications-list"),
    path("api/count/", views.count, name="notifications-count"),
    path("api/read-all/", views.read_all, name="notifications-read-all"),
    path("api/seen/", views.seen, name="notifications-seen"),
    path("api/<int:pk>/mute/", preference_views.mute_view, name="notifications-mute"),
    path("api/<int:pk>/watch/", preference_views.watch_view, name="notifications-watch"),
    path("api/<int:pk>/<str:action>/", views.change, name="notifications-change"),
    path("preferences/", preference_views.preferences_view, name="notification-preferences"),
    path("mutes/<int:pk>/delete/", preference_views.unmute_view, name="notifications-unmute"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="notifications-unsubscribe"),
    path("push/worker.js", push_views.push_worker, name="push-worker"),
    path("push/subscriptions/", push_views.push_subscribe, name="push-subscribe"),
    path("push/subscriptions/delete/", push_views.push_unsubscribe, name="push-unsubscribe"),
    path("push/renew/", push_views.push_renew, name="push-renew"),
    path("chat/webhooks/", chat_views.chat_webhooks, name="chat-webhooks"),
    path(
        "chat/webhooks/<int:pk>/delete/",
        chat_views.chat_webhook_delete,
        name="chat-webhook-delete",
    ),
    path(
        "announcements/<int:pk>/dismiss/",
        views.dismiss_announcement,
        name="announcement-dismiss",
    ),
]
