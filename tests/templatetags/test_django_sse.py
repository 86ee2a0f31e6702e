"""The template tags' exact HTML."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.template import Context, Template
from django.test import RequestFactory

CORE = (
    '<link rel="stylesheet" href="/static/django_sse/django-sse.css">\n'
    '<script type="module" src="/static/django_sse/django-sse.js"{nonce}'
    ' data-sse-url="/sse/stream/" data-sse-retry="2000"></script>'
)


def render(source: str, **context) -> str:
    return Template("{% load django_sse %}" + source).render(Context(context))


def test_sse_script_once_per_request_with_nonce():
    request = RequestFactory().get("/")
    html = render("{% sse_script %}{% sse_script %}", request=request, csp_nonce="abc")
    assert html == CORE.format(nonce=' nonce="abc"')


def test_sse_script_without_nonce():
    assert render("{% sse_script %}", request=RequestFactory().get("/")) == CORE.format(nonce="")


def test_nonce_is_escaped():
    html = render("{% sse_script %}", request=RequestFactory().get("/"), csp_nonce='"><x')
    assert 'nonce="&quot;&gt;&lt;x"' in html


@pytest.mark.parametrize(
    "url,expected",
    [
        ("/a/", "/a/"),
        ("https://x.example/", "https://x.example/"),
        ("javascript:x", ""),
        ("//evil/", ""),
        ("JAVASCRIPT:x", ""),
        ("", ""),
    ],
)
def test_safe_link_filter(url, expected):
    assert render("{{ url|sse_safe_link }}", url=url) == expected


def test_notifications_tag_is_empty_for_anonymous():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert render("{% sse_notifications %}", request=request) == ""


@pytest.mark.django_db
def test_notifications_tag_renders_count_and_items_escaped():
    from django_sse.notifications import notify

    user = User.objects.create_user("u")
    notify(user, "<b>hi</b>", url="/x/")
    request = RequestFactory().get("/")
    request.user = user
    html = render("{% sse_notifications %}", request=request)
    assert 'data-count="1"' in html and "&lt;b&gt;hi&lt;/b&gt;" in html
    assert f'data-sse-topic="user:{user.pk}"' in html and 'href="/x/"' in html
    assert html.count("django-sse.js") == 1 and "notifications.js" in html
