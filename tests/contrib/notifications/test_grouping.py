"""Collapsed notifications: one unread item per recipient and key."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.delivery import SHARED_UPDATES
from django_sse.contrib.notifications.grouping import actors_text, collapse_key
from django_sse.contrib.notifications.models import Notification
from django_sse.models import Event
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(transactional_db):
    return [User.objects.create_user(name) for name in ("reader", "alice", "bob", "carol")]


def comment(recipients, author, post):
    return notify(
        recipients,
        "{actors} commented on <b>" + post.username + "</b>",
        actor=author,
        collapse=("comment", post),
        url="/posts/1/",
    )


def test_three_comments_make_one_unread_item_updated_in_place(people):
    reader, alice, bob, carol = people
    post = reader  # any model instance names the thing
    [first] = comment(reader, alice, post)
    assert first.title == "alice commented on <b>reader</b>"
    comment(reader, bob, post)
    comment(reader, alice, post)  # alice again: still two people
    [third] = comment(reader, carol, post)
    mine = Notification.objects.filter(recipient=reader)
    [item] = mine
    assert item.pk == first.pk == third.pk and item.count == 4
    assert item.title == "carol and 2 others commented on <b>reader</b>"
    assert mine.unread_count() == 1
    events = Event.objects.filter(topic=f"user:{reader.pk}").order_by("id")
    shown = [json.loads(e.data) for e in events if e.event == "notification"]
    assert [s["id"] for s in shown] == [first.pk] * 4  # the same row, each time
    assert [s["title"] for s in shown][1] == "bob and alice commented on <b>reader</b>"
    counts = [json.loads(e.data)["unread_count"] for e in events if e.event == "unread-count"]
    assert counts == [1, 1, 1, 1]


def test_read_or_other_keys_start_a_new_item(people):
    reader, alice, bob, _ = people
    comment(reader, alice, reader)
    comment(reader, bob, alice)  # another post: another item
    assert Notification.objects.filter(recipient=reader).count() == 2
    Notification.objects.filter(recipient=reader).mark_all_read()
    [fresh] = comment(reader, bob, reader)
    assert fresh.count == 1 and fresh.title == "bob commented on <b>reader</b>"
    assert Notification.objects.filter(recipient=reader).count() == 3


def test_a_window_limits_what_is_collapsed(people):
    reader, alice, bob, _ = people
    [old] = comment(reader, alice, reader)
    Notification.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(hours=2))
    notify(
        reader,
        "{actors} commented",
        actor=bob,
        collapse=("comment", reader),
        collapse_window=timedelta(hours=1),
    )
    assert Notification.objects.filter(recipient=reader).count() == 2


def test_ten_thousand_recipients_in_one_call_with_a_bounded_number_of_queries(people):
    _, alice, bob, _ = people
    User.objects.bulk_create([User(username=f"u{i}") for i in range(10_000)])
    everyone = User.objects.filter(username__startswith="u")
    with CaptureQueriesContext(connection) as first:
        made = comment(everyone, alice, alice)
    with CaptureQueriesContext(connection) as second:
        again = comment(everyone, bob, alice)
    assert len(made) == len(again) == 10_000
    assert Notification.objects.filter(collapse_key__startswith="comment|").count() == 10_000
    assert {n.title for n in again} == {"bob and alice commented on <b>alice</b>"}
    # Bulk statements: a few dozen queries for 10,000 recipients, not 10,000.
    assert len(first) < 60 and len(second) < 60, (len(first), len(second))


@pytest.mark.parametrize("pairs", [3, SHARED_UPDATES + 1], ids=["few-sets", "many-sets"])
def test_recipients_in_different_states_each_collapse_their_own_way(people, pairs):
    """Pairs of recipients, each pair commented on first by an actor of its
    own, one whom carol alone commented to, and one who had nothing: one
    more comment to all of them. Few sets of new values are one UPDATE
    each, many go through bulk_update (as the one of its own always does);
    either way each row ends as its own history says."""
    _, alice, bob, carol = people
    actors = User.objects.bulk_create([User(username=f"actor{i}") for i in range(pairs)])
    readers = User.objects.bulk_create([User(username=f"r{i}") for i in range(2 * pairs + 2)])
    for i, actor in enumerate(actors):
        comment(readers[2 * i : 2 * i + 2], actor, alice)
    comment(readers[-2:-1], carol, alice)
    comment(readers, bob, alice)
    expected = {
        **{
            reader.pk: (f"bob and {actor}", 2)
            for i, actor in enumerate(actors)
            for reader in readers[2 * i : 2 * i + 2]
        },
        readers[-2].pk: ("bob and carol", 2),
        readers[-1].pk: ("bob", 1),
    }
    got = {
        n.recipient_id: (n.title.removesuffix(" commented on <b>alice</b>"), n.count)
        for n in Notification.objects.filter(recipient__in=readers)
    }
    assert got == expected


def test_keys_and_actor_texts():
    assert actors_text(["a"], 1) == "a"
    assert actors_text(["b", "a"], 2) == "b and a"
    assert actors_text(["c", "b", "a"], 3) == "c and 2 others"
    assert actors_text(["x"], 2) == "x and 1 other"
    assert actors_text([], 1) == "Someone" and actors_text([], 4) == "4 people"
    assert collapse_key(("comment", 7)) == "comment|7"
    with pytest.raises(TypeError, match="collapse= takes"):
        collapse_key(("comment", 1.5))
    with pytest.raises(ValueError, match="1 to 200"):
        collapse_key("x" * 201)
