"""The template tags' exact HTML."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

CORE = (
    '<link rel="stylesheet" href="/static/django_sse/django-sse.css">\n'
    '<script src="/static/django_sse/django-sse-queue.js"{nonce}></script>\n'
    '<script type="module" src="/static/django_sse/django-sse.js"{nonce}'
    ' data-sse-url="/sse/stream/" data-sse-retry="2000" data-sse-scope="{scope}"'
    ' data-sse-csrf-cookie="csrftoken" data-sse-csrf-header="X-CSRFTOKEN"></script>'
)


def render(source: str, **context) -> str:
    return Template("{% load django_sse %}" + source).render(Context(context))


def test_sse_script_once_per_request_with_nonce():
    request = RequestFactory().get("/")
    html = render("{% sse_script %}{% sse_script %}", request=request, csp_nonce="abc")
    assert html == CORE.format(nonce=' nonce="abc"', scope="anonymous")


def test_sse_script_without_nonce():
    html = render("{% sse_script %}", request=RequestFactory().get("/"))
    assert html == CORE.format(nonce="", scope="anonymous")


@pytest.mark.django_db
def test_the_share_scope_names_the_user_by_a_keyed_hash_only():
    from django_sse.logs import user_hash
    from tests.users import User

    request = RequestFactory().get("/")
    request.user = User.objects.create_user("scoped")
    html = render("{% sse_script %}", request=request)
    scope = f"u{user_hash(request.user.pk)}"
    assert html == CORE.format(nonce="", scope=scope)
    assert f'"{request.user.pk}"' not in html


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
        # Browsers read these as //evil.example: another site.
        ("/\\evil.example", ""),
        ("/\t/evil.example", ""),
        ("\\/evil.example", ""),
        (" //evil.example", ""),
        ("/\n/evil.example", ""),
        ("\x00/a/", "/a/"),
        ("java\tscript:x", ""),
        ("https:\\\\x.example\\a", "https://x.example/a"),
    ],
)
def test_safe_link_filter(url, expected):
    assert render("{{ url|sse_safe_link }}", url=url) == expected
