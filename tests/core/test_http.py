"""Every answer under /sse/ that is not a stream is JSON, errors included."""

import pytest
from django.test import Client, override_settings

from tests.users import User

pytestmark = pytest.mark.django_db


def test_unknown_path_is_a_json_404(client):
    for path in ("/sse/nope/", "/sse/notifications/api/abc/read/", "/sse/progress/not-a-uuid/"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json() == {"error": f"No endpoint at {path!r}.", "status": 404}


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("get", "/sse/token/", "POST, OPTIONS"),
        ("post", "/sse/stream/?topics=a", "GET, OPTIONS"),
        ("get", "/sse/notifications/api/read-all/", "POST"),
        ("post", "/sse/notifications/api/count/", "GET"),
        ("delete", "/sse/stats/", "GET"),
    ],
)
def test_wrong_method_is_a_json_405_that_says_what_is_allowed(client, method, path, allowed):
    user = User.objects.create_user("u")
    client.force_login(user)
    response = getattr(client, method)(path)
    assert response.status_code == 405 and response["Allow"] == allowed
    assert response.json()["status"] == 405 and "Use " in response.json()["error"]


def test_token_topics_in_the_query_string_are_explained():
    client = Client()
    client.force_login(User.objects.create_user("t"))
    response = client.post("/sse/token/?topics=news")
    assert response.status_code == 400 and "not in the query string" in response.json()["error"]
    ok = client.post("/sse/token/", {"topics": "news,sport"})
    assert ok.status_code == 200 and ok.json()["topics"] == ["news", "sport"]


def test_stream_response_under_wsgi_explains_asgi(client):
    response = client.post("/tokens/?n=3")
    assert response.status_code == 501 and "ASGI" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/sse/token/", "/sse/notifications/api/read-all/", "/sse/notifications/api/1/read/"],
)
def test_csrf_failures_and_anonymous_posts_are_json(path):
    client = Client(enforce_csrf_checks=True)
    anonymous = client.post(path, {"topics": "news"})
    assert anonymous.status_code == 403 and anonymous["Content-Type"] == "application/json"
    assert anonymous.json()["error"].startswith("CSRF check failed:")
    client.force_login(User.objects.create_user("c"))
    refused = client.post(path, {"topics": "news"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]


def test_posts_with_a_csrf_token_pass():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("d"))
    client.get("/admin/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/sse/token/", {"topics": "news"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["topics"] == ["news"]
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.get("/admin/login/")
    token = anonymous.cookies["csrftoken"].value
    refused = anonymous.post("/sse/token/", {"topics": "news"}, HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 401 and refused.json()["status"] == 401


@override_settings(DJANGO_SSE_CORS_ORIGINS=["https://app.example.com"])
def test_the_token_endpoint_answers_cors_for_allowed_origins_only():
    client = Client()
    allowed = {"HTTP_ORIGIN": "https://app.example.com"}
    preflight = client.options("/sse/token/", **allowed)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "X-CSRFToken" in preflight["Access-Control-Allow-Headers"]
    other = client.options("/sse/token/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    # The JSON error itself is readable by the allowed front end.
    refused = client.post("/sse/token/", **allowed)
    assert refused.status_code in (401, 403) and refused.json()["error"]
    assert refused["Access-Control-Allow-Origin"] == "https://app.example.com"


async def test_the_response_hands_out_its_stream_unless_a_middleware_replaced_it(rf):
    from django_sse.http import sse_response

    async def frames():
        yield b"data: a\n\n"
        yield b"data: b\n\n"

    response = sse_response(rf.get("/sse/stream/"), frames())
    # No per-chunk wrapper generator of Django's around bytes it would not change.
    assert response.streaming_content is response._stream
    assert aiter(response) is response._stream  # what the ASGI handler iterates
    assert [chunk async for chunk in response] == [b"data: a\n\n", b"data: b\n\n"]

    async def texts():
        yield "data: c\n\n"  # a middleware's replacement gets Django's make_bytes again

    replaced = sse_response(rf.get("/sse/stream/"), frames())
    replaced.streaming_content = texts()
    assert replaced.streaming_content is not replaced._stream
    assert aiter(replaced) is not replaced._stream
    assert [chunk async for chunk in replaced] == [b"data: c\n\n"]
