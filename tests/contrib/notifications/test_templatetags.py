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
