"""A broker that cannot wake anyone after a commit: the publish stands (it
committed), the caller is not told it failed, and it is logged."""

import logging

import pytest
from django.db import transaction

from django_sse import publish
from django_sse.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failing_wake_up_after_commit_is_logged_never_raised(settings, caplog):
    settings.DJANGO_SSE_BROKER = "redis"
    settings.DJANGO_SSE_CHANNEL_LAYER = "no-such-layer"  # every wake-up fails
    with caplog.at_level(logging.WARNING), transaction.atomic():
        event_id = publish("news", "committed")
    assert Event.objects.filter(pk=event_id, data="committed").exists()
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "sse.publish.wake_failed"]
    assert "No channel layer 'no-such-layer'" in record.getMessage()
