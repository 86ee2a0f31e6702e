"""The suite's own harness: a transactional test's flush survives losing a
deadlock to a live server's query (tests/conftest.py)."""

import threading
import time

import psycopg
import pytest
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_a_flush_that_loses_a_deadlock_is_tried_again(test_db_url):
    # Another connection reads the announcements, then the groups, in one
    # transaction: the order a live server's announcement query (a join)
    # locks them in. The TRUNCATE locks auth_group first, then waits for
    # the announcements; the other side then waits for auth_group.
    other = psycopg.connect(test_db_url)
    other.execute("SELECT 1 FROM sse_notifications_announcement")
    outcome = []

    def then_the_groups():
        time.sleep(0.4)  # the TRUNCATE waits for the announcements by now
        try:
            other.execute("SELECT 1 FROM auth_group")
            outcome.append("the flush was aborted")
        except psycopg.errors.DeadlockDetected:
            outcome.append("this side was aborted")
        other.rollback()

    thread = threading.Thread(target=then_the_groups)
    thread.start()
    try:
        call_command("flush", verbosity=0, interactive=False)
    finally:
        thread.join()
        other.close()
    assert outcome == ["the flush was aborted"]  # PostgreSQL aborted the TRUNCATE: tried again
