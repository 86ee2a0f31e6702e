"""What is left running between tests, put back: the suite's fixtures
(tests/conftest.py) and the docs' pages (tests/doc_snippets.py) both call these."""

from __future__ import annotations


def close_sync_thread_connections() -> None:
    """Close the connection of asgiref's shared sync thread (async code runs
    its sync_to_async calls there): the test database cannot be dropped
    while it stays open."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def forget_running_jobs() -> None:
    """A job left running stops beating: its rows are gone, and the beating
    thread must not reach for the database afterwards (it closes its
    connection once it has nothing to do)."""
    from django_sse.contrib.progress.background import background

    with background._cond:
        background._running.clear()
        background._due.clear()
        background._cond.notify()
