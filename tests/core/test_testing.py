"""django_sse.testing, the helper users test their streams with: the
testing guide's example runs as written, and the helper's edges."""

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from django_sse.hubs import running_hub
from django_sse.testing import open_stream
from tests import snippets
from tests.users import User

EXAMPLE = snippets.block("docs/guides/testing.md", "## An example", "python")
exec(compile(EXAMPLE, "docs/guides/testing.md", "exec"))  # its tests are collected here


@pytest.mark.django_db(transaction=True)
async def test_an_event_published_before_the_block_is_replayed_not_live():
    first = await sync_to_async(publish)("news", "old")
    async with open_stream("/sse/stream/?topics=news", last_event_id=first - 1) as stream:
        [old] = await stream.events(1)
        await sync_to_async(publish)("news", "new")
        [new] = await stream.events(1)
        with pytest.raises(TimeoutError):
            await stream.events(1, timeout=0.3)
    assert (old.data, new.data) == ("old", "new")
    assert stream.last_event_id == new.last_event_id
    assert running_hub() is None  # stopped when the block ended


@pytest.mark.django_db(transaction=True)
async def test_a_rolled_back_publish_is_never_seen():
    from django.db import transaction

    def rolled_back() -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish("news", "never")
            raise RuntimeError

    user = await User.objects.acreate(username="watcher")
    async with open_stream("/sse/stream/?topics=news", user=user) as stream:
        await sync_to_async(rolled_back)()
        await sync_to_async(publish)("news", "kept")
        assert [e.data for e in await stream.events(1)] == ["kept"]
