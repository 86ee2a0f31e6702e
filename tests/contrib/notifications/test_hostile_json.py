"""Hostile JSON bodies on every endpoint that reads one: deeply nested JSON
(Python's parser gives up with RecursionError) and a NUL inside a string
(no database stores it) are a 400 with a message, never a 500, and never
reported as the database being down."""

import json
import logging

import pytest
from django.test import Client

from tests.push_service import PUSH_SETTINGS
from tests.users import User

pytestmark = pytest.mark.django_db

DEEP = b"[" * 4_000 + b"]" * 4_000  # 8 KB, under every body limit
NUL = json.dumps({"endpoint": "https://push.example/\x00", "topics": ["a\x00"], "type": "x\x00"})
ENDPOINTS = [
    "/sse/token/",
    "/sse/notifications/preferences/",
    "/sse/notifications/push/subscriptions/",
    "/sse/notifications/push/subscriptions/delete/",
    "/sse/notifications/push/renew/",
]


@pytest.fixture
def client(settings) -> Client:
    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)
    client = Client()
    client.force_login(User.objects.create_user("hostile"))
    return client


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("body", [DEEP, NUL.encode()], ids=["deep", "nul"])
def test_a_hostile_json_body_is_a_400_that_says_why(client, path, body, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400, (path, response.content[:200])
    message = response.json()["error"]
    assert "nested too deeply" in message or "NUL" in message
    assert not [r for r in caplog.records if "database" in r.getMessage().lower()]
