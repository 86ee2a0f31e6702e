"""Every answer under /sse/ that is not a stream is JSON, errors included."""

import pytest
from django.test import Client

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
        ("get", "/sse/token/", "POST"),
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
