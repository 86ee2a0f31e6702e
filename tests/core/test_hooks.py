"""What contrib apps plug into the hub: a periodic query keeps running
after a round fails, and says why in the log."""

import asyncio
import logging

import pytest

from django_sse import hooks
from django_sse.hub import Hub


class Threads:
    """The hub's database threads, as far as a periodic query uses them."""

    async def query(self, fn):
        return await asyncio.to_thread(fn)


async def test_a_periodic_query_survives_a_failed_round(caplog, monkeypatch):
    rounds = []

    def look():
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(hooks, "_hub_tasks", {})
    hooks.register_periodic_query(
        "test-look", look, lambda: 0.01, event="sse.test.failed", message="could not look"
    )
    hub = Threads()
    hub.run_periodically = Hub.run_periodically.__get__(hub)  # the hub's own loop
    task = asyncio.create_task(hooks.hub_tasks()["test-look"](hub))
    with caplog.at_level(logging.ERROR, logger="django_sse"):
        async with asyncio.timeout(5):
            while len(rounds) < 4:
                await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "sse.test.failed" in caplog.text and "the database went away" in caplog.text
