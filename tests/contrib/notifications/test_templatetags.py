"""The bell tag's HTML."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from tests.users import User


def render(source: str, **context) -> str:
    return Template("{% load sse_notifications %}" + source).render(Context(context))


def test_notifications_tag_is_empty_for_anonymous():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert render("{% sse_notifications %}", request=request) == ""


@pytest.mark.django_db
def test_notifications_tag_renders_count_and_items_escaped():
    from django_sse.contrib.notifications import notify

    user = User.objects.create_user("u")
    notify(user, "<b>hi</b>", url="/x/")
    request = RequestFactory().get("/")
    request.user = user
    html = render("{% sse_notifications %}", request=request)
    assert 'data-count="1"' in html and "&lt;b&gt;hi&lt;/b&gt;" in html
    assert f'data-sse-topic="user:{user.pk}"' in html and 'href="/x/"' in html
    assert html.count("django-sse.js") == 1 and "notifications.js" in html


def history(user, query: str = "") -> str:
    request = RequestFactory().get("/notifications/" + query)
    request.user = user
    return render("{% sse_notification_history page_size=2 %}", request=request)


@pytest.mark.django_db
def test_history_pages_by_cursor_with_filters_and_escapes():
    from django_sse.contrib.notifications import notify
    from django_sse.contrib.notifications.models import Notification

    user = User.objects.create_user("u")
    other = User.objects.create_user("other")
    notify(other, "someone else's")
    for i in range(5):
        notify(user, f"<i>n{i}</i>", level="error" if i >= 3 else "info")
    first = history(user)
    assert "&lt;i&gt;n4&lt;/i&gt;" in first and "n3" in first and "n2" not in first
    assert "someone else" not in first and "<i>" not in first
    [n3] = Notification.objects.filter(title="<i>n3</i>")
    assert f'href="?before={n3.pk}" rel="next">Older</a>' in first and "Newest" not in first
    second = history(user, f"?before={n3.pk}")
    assert "n2" in second and "n1" in second and 'href="?">Newest</a>' in second
    errors = history(user, "?level=error")
    assert "n4" in errors and "n3" in errors and "Older" not in errors
    assert '<option value="error" selected>' in errors
    Notification.objects.filter(recipient=user).mark_all_read()
    assert "No notifications match." in history(user, "?unread=1&level=error")
    bad = history(user, "?level=<script>")
    assert 'role="alert">level must be one of' in bad and "<script>" not in bad
    assert history(AnonymousUser()) == ""
