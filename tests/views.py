"""A page for the browser tests: the bell, an extra subscription, and a
strict Content-Security-Policy with a per-request nonce."""

import asyncio
import re
import secrets
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.template import RequestContext, Template
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt

from django_sse import stream_response
from tests import snippets


def page(request):
    nonce = secrets.token_urlsafe(16)
    response = render(
        request,
        "page.html",
        {
            "csp_nonce": nonce,
            "extra": request.GET.get("extra", ""),
            "resume": request.GET.get("resume", ""),
            "attention": bool(request.GET.get("attention")),
        },
    )
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        "connect-src 'self'; img-src 'self' data:"  # data: for the bell's favicon badge
    )
    return response


def progress_page(request, job_id):
    return render(request, "progress_page.html", {"job_id": job_id})


def widgets_page(request):
    return render(request, "widgets_page.html")


def announcements_page(request):
    return render(request, "announcements_page.html")


def presence_page(request):
    return render(request, "presence_page.html", {"topic": request.GET.get("topic", "doc:1")})


def hq_page(request):
    return render(request, "hq_page.html")


def jobs_page(request):
    return render(request, "jobs_page.html")


def dashboard_page(request):
    return render(request, "dashboard_page.html")


def htmx_page(request):
    return render(request, "htmx_page.html", {"snippet": htmx_snippet(request, "htmx 2")})


def htmx4_page(request):
    return render(request, "htmx4_page.html", {"snippet": htmx_snippet(request, "htmx 4")})


def htmx_snippet(request, version: str) -> str:
    """The streaming guide's page markup for ``version``, as written, on
    this test's topic and with the vendored copies of htmx."""
    html = snippets.block("docs/guides/streaming.md", f"### {version}", "html")
    topic = quote(request.GET.get("topic", "rows"), safe="")
    html = html.replace("topics=orders", f"topics={topic}")
    html = html.replace("/static/htmx.min.js", static("vendor/htmx4/htmx.min.js"))
    return html.replace("/static/hx-sse.js", static("vendor/htmx4/hx-sse.min.js"))


async def words(count: int, fail_at: int | None = None):
    for i in range(count):
        if i == fail_at:
            raise RuntimeError("secret internals")
        await asyncio.sleep(0)
        yield f"w{i} "


@csrf_exempt
async def tokens(request):
    """POST (or GET) ?n=200[&fail_at=5]: streams n tokens."""
    n = int(request.GET.get("n", "200"))
    fail_at = request.GET.get("fail_at")
    return await stream_response(request, words(n, int(fail_at) if fail_at else None))


# For the npm client's tests (clients/js/test), run by tests/test_js_client.py:
# Node publishes through these, as an app's own views would.


@csrf_exempt
def publish_for_tests(request):
    import json

    from django.http import JsonResponse

    from django_sse import publish

    body = json.loads(request.body)
    return JsonResponse({"id": publish(body["topic"], body.get("data"), event=body.get("event"))})


@csrf_exempt
def notify_for_tests(request):
    import json

    from django.contrib.auth import get_user_model
    from django.http import JsonResponse

    from django_sse.contrib.notifications import notify

    body = json.loads(request.body)
    user = get_user_model().objects.get(pk=body["user"])
    return JsonResponse({"ids": [n.pk for n in notify(user, body["title"])]})


# A single-page front end on another origin (tests/browser/test_spa.py):
# its page and the npm client's files, and the CSRF token the API gives it.

SPA_FILES = {"index.js", "parse.js"}


def spa_page(request):
    """The SPA guide's front end (its other-origin block), as written, on
    this page's origin: the guide's API host is the test server's, ``me``
    the signed-in user, ``show`` keeps what it is shown; an import map
    stands in for the bundler."""
    api, me = request.GET["api"], request.GET["me"]
    assert re.fullmatch(r"http://[a-z.]+:\d+", api) and me.isdigit(), (api, me)
    code = snippets.block("docs/guides/spa.md", "## Another origin (a worked example)", "js")
    source = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>\n'
        '<script type="importmap">{"imports": {"django-sse-hub": "/spa-client/index.js"}}'
        "</script>\n"
        f"<script>window.me = {{id: {me}}}; window.got = []; "
        "window.show = (data) => window.got.push(data);</script>\n"
        '<script type="module">\n'
        + code.replace("https://api.example.com", api)
        + "window.spa = sse;\n</script>\n</body></html>"
    )
    return HttpResponse(source)


def spa_client(request, name):
    from django.conf import settings
    from django.http import Http404, HttpResponse

    if name not in SPA_FILES:
        raise Http404(name)
    path = settings.BASE_DIR / "clients" / "js" / name
    return HttpResponse(path.read_bytes(), content_type="text/javascript")


def spa_csrf(request):
    """What a project gives its front end: the CSRF token, with CORS."""
    from django.http import JsonResponse
    from django.middleware.csrf import get_token

    from django_sse.cors import add_cors_headers

    return add_cors_headers(request, JsonResponse({"csrfToken": get_token(request)}))


async def model_tokens(question: str):
    for word in f"You asked: {question}".split():
        await asyncio.sleep(0)
        yield word + " "


async def answer(request):  # the streaming guide's view, as written
    return await stream_response(request, model_tokens(request.POST["q"]))


def plain_script(page: str, heading: str) -> str:
    code = snippets.block(page, heading, "js")
    return "{% load django_sse %}{% sse_script %}\n<script>\n" + code + "</script>\n"


# Pages made of the docs' snippets, run as written.
SNIPPET_PAGES = {
    "readme": lambda: plain_script("README.md", "## Install"),
    "tutorial": lambda: plain_script("docs/tutorial.md", "## 3. Watch a stream, publish an event"),
    "client": lambda: (
        '{% load django_sse %}{% sse_script %}\n<script type="module">\n'
        + snippets.block("docs/guides/client.md", "# The browser client", "js")
        + "</script>\n"
    ),
    "ask": lambda: snippets.block(
        "docs/guides/streaming.md", "# Streaming anything (AI tokens) and htmx", "html"
    ),
    # The npm client as a front end served by Django imports it (an import
    # map stands in for the front end's bundler).
    "spa": lambda: (
        '<script type="importmap">{"imports": {"django-sse-hub": "/spa-client/index.js"}}'
        '</script>\n<script type="module">\n'
        + snippets.block("docs/guides/spa.md", "## Same origin", "js")
        + "</script>\n"
    ),
}


def snippet_page(request, name: str):
    source = "<!doctype html><html lang=en><body>\n" + SNIPPET_PAGES[name]() + "</body></html>"
    return HttpResponse(Template(source).render(RequestContext(request)))
