"""Structured logs: a stable event name, fields on the line and on the
record, repeats summarised, no user ids, tracebacks only when unexpected."""

import logging

import pytest
from django.test import override_settings

from django_sse.logs import log_event, topic_families, user_hash


def records(caplog, event):
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def test_a_line_names_its_event_and_carries_its_fields(caplog):
    assert log_event("sse.test.thing", "it happened", reason="why", count=3)
    [record] = records(caplog, "sse.test.thing")
    assert record.getMessage() == "sse.test.thing: it happened [reason=why count=3]"
    assert record.sse == {"reason": "why", "count": 3} and record.name == "django_sse"


def test_repeats_are_counted_and_summarised_on_the_next_line(caplog, monkeypatch):
    from django_sse import logs

    clock = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: clock[0])
    try:
        raise ValueError("first")
    except ValueError:
        assert log_event("sse.test.flaky", "failed", exc_info=True)
        for _ in range(4):
            assert not log_event("sse.test.flaky", "failed", exc_info=True)
        clock[0] += logs.REPEAT_INTERVAL
        assert log_event("sse.test.flaky", "failed", exc_info=True)
    first, second = records(caplog, "sse.test.flaky")
    assert first.exc_info and not second.exc_info  # a traceback once
    assert second.sse == {"repeats": 4} and second.getMessage().endswith("[repeats=4]")


def test_users_are_hashed_with_the_secret_key_and_topics_shown_by_family():
    assert user_hash(None) is None
    assert user_hash(7) == user_hash("7") and len(user_hash(7)) == 12
    here = user_hash(7)
    assert here != user_hash(8) and here != "7"
    with override_settings(SECRET_KEY="another-site-another-key-" * 2):
        assert user_hash(7) != here  # another site cannot match this site's logs
    assert topic_families(["user:7", "news", "user:9", "group:3"]) == "group:*,news,user:*"


@pytest.mark.django_db(transaction=True)
async def test_a_refused_stream_is_one_info_line_without_the_user(async_client, caplog):
    caplog.set_level(logging.INFO, "django_sse")
    for _ in range(3):
        refused = await async_client.get("/sse/stream/?topics=user:7")
        assert refused.status_code == 401
    bad = await async_client.get("/sse/stream/?topics=a%20b")
    assert bad.status_code == 400
    [line] = records(caplog, "sse.stream.refused")[:1]
    assert line.levelname == "INFO" and not line.exc_info
    assert line.sse["reason"] == "unauthorized" and line.sse["topics"] == "user:*"
    assert "user:7" not in line.getMessage()
    reasons = [r.sse["reason"] for r in records(caplog, "sse.stream.refused")]
    assert reasons == ["unauthorized", "bad_request"]  # the repeats are counted, not logged
