"""publish()'s INSERT on PostgreSQL: bound on the server unless someone
watches the connection's queries, with Django's errors and wake-ups."""

import contextlib

import pytest
from django.db import DataError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from django_sse import eventlog, publish
from django_sse.models import Event


@pytest.fixture
def wakes(monkeypatch):
    woken = []
    monkeypatch.setattr(eventlog, "_local_wakers", [lambda: woken.append(1)])
    return woken


@contextlib.contextmanager
def refusing_djangos_cursor():
    def refused(*args, **kwargs):
        raise AssertionError("publish() went through Django's cursor")

    connection.ensure_connection()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "cursor", refused)
        yield


@pytest.mark.django_db(transaction=True)
def test_with_no_one_watching_the_insert_is_bound_on_the_server(wakes):
    with refusing_djangos_cursor():
        event_id = publish("orders", {"n": 1}, event="created")
    row = Event.objects.get(pk=event_id)
    assert (row.topic, row.event, row.data) == ("orders", "created", '{"n":1}')
    assert row.created_at is not None and row.trace is None
    assert wakes == [1]  # autocommit: committed, woken at once


@pytest.mark.django_db(transaction=True)
def test_a_watched_connection_sees_the_insert(wakes):
    with CaptureQueriesContext(connection) as queries:
        event_id = publish("orders", "watched")
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "django_sse_event"')]
    assert len(inserts) == 1 and "'watched'" in inserts[0]  # as Django's cursor logs it
    assert Event.objects.get(pk=event_id).data == "watched"


@pytest.mark.django_db(transaction=True)
def test_a_database_error_is_djangos():
    with refusing_djangos_cursor(), pytest.raises(DataError):
        # topic is varchar(200): past publish()'s checks
        eventlog._insert("default", "t" * 201, "", "data")
    assert publish("orders", "after the error") > 0  # the connection is usable


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_wake_up_waits_for_the_commit(wakes):
    with refusing_djangos_cursor():
        with transaction.atomic():
            kept = publish("orders", "kept")
            assert wakes == []
        assert wakes == [1]
        with pytest.raises(RuntimeError), transaction.atomic():
            gone = publish("orders", "gone")
            raise RuntimeError
    assert wakes == [1]
    assert list(Event.objects.filter(pk__in=[kept, gone]).values_list("data", flat=True)) == [
        "kept"
    ]


@pytest.mark.django_db(transaction=True)
def test_in_a_broken_transaction_it_is_refused_as_djangos_cursor_refuses():
    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic(savepoint=False):
            eventlog._insert("default", "t" * 201, "", "data")  # breaks the transaction
        with refusing_djangos_cursor(), pytest.raises(TransactionManagementError):
            publish("orders", "in a broken transaction")
