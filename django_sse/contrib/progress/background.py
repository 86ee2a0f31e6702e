"""One daemon thread per worker process writes for the jobs it runs: the
coalesced updates of every job that has one due, all in one commit (a job
never waits for the database in ``update()``), and the heartbeat of every
running job while it is quiet. A process that dies stops beating, and its
jobs are marked lost.

The thread closes its database connection whenever it has nothing to do
for a second or more, so it holds none between heartbeats or jobs.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from django.db import connections
from django.utils import timezone

from django_sse.contrib.progress.conf import conf
from django_sse.contrib.progress.models import TaskProgress
from django_sse.eventlog import atomic
from django_sse.logs import log_event

if TYPE_CHECKING:
    from django_sse.contrib.progress.progress import Progress


def heartbeat_interval() -> float:
    """Beat four times within the time after which a silent job is lost."""
    return float(conf.DJANGO_SSE_PROGRESS_LOST_AFTER) / 4


class Background:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[Progress, float] = {}
        # Weak: a handle its code dropped without ending the job stops
        # beating, and the job is lost rather than alive for ever.
        self._running: weakref.WeakSet[Progress] = weakref.WeakSet()
        self._next_beat = 0.0
        self._thread: threading.Thread | None = None

    def schedule(self, progress: Progress, when: float) -> None:
        """Flush ``progress`` at ``when`` (``time.monotonic()``) unless a
        flush is already due."""
        with self._cond:
            if progress not in self._due:
                self._due[progress] = when
                self._wake()

    def cancel(self, progress: Progress) -> None:
        with self._cond:
            self._due.pop(progress, None)

    def running(self, progress: Progress) -> None:
        """Beat for ``progress`` until ``finished(progress)``."""
        with self._cond:
            if not self._running:
                self._next_beat = time.monotonic() + heartbeat_interval()
            self._running.add(progress)
            self._wake()

    def finished(self, progress: Progress) -> None:
        with self._cond:
            self._running.discard(progress)
            self._due.pop(progress, None)

    def _wake(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="django-sse-progress", daemon=True
            )
            self._thread.start()
        self._cond.notify()

    def _next(self) -> tuple[list[Progress], list[Progress]]:
        """Wait until something is due: (jobs to flush, jobs to beat for)."""
        with self._cond:
            while True:
                if not self._due and not self._running:
                    connections.close_all()
                    self._cond.wait()
                    continue
                now = time.monotonic()
                flush = [p for p, when in self._due.items() if when <= now]
                for progress in flush:
                    del self._due[progress]
                beat: list[Progress] = []
                if self._running and now >= self._next_beat:
                    beat = list(self._running)
                    self._next_beat = now + heartbeat_interval()
                if flush or beat:
                    return flush, beat
                wait = min([*self._due.values(), self._next_beat]) - now
                if wait > 1.0:
                    connections.close_all()  # no connection held between beats
                self._cond.wait(max(0.0, wait))

    def _run(self) -> None:
        while True:
            flush, beat = self._next()
            if flush:
                self._flush(flush)
            if beat:
                self._guard(beat[0], partial(self._beat, beat))

    def _flush(self, handles: list[Progress]) -> None:
        """Every due job's updates in one transaction: one commit per round
        however many jobs this process runs. If it fails, each job's
        changes go back to it and are tried again a second later."""
        taken = [(progress, progress.take_pending()) for progress in handles]
        try:
            with atomic():
                for progress, changes in taken:
                    with progress._save_lock:
                        progress.write_pending(changes)
        except Exception:
            _log_failure(handles[0])
            for progress, changes in taken:
                progress.restore_pending(changes)
                self.schedule(progress, time.monotonic() + 1.0)

    def _beat(self, handles: list[Progress]) -> None:
        running = TaskProgress.objects.filter(
            pk__in=[progress.id for progress in handles], status=TaskProgress.Status.RUNNING
        )
        if running.update(heartbeat_at=timezone.now()) < len(handles):
            # Some ended elsewhere (lost, or cancelled before they started).
            alive = set(running.values_list("pk", flat=True))
            for progress in handles:
                if progress.id not in alive:
                    self.finished(progress)

    @staticmethod
    def _guard(progress: Progress, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            _log_failure(progress)


def _log_failure(progress: Progress) -> None:
    """Log the exception being handled; the next query reconnects."""
    log_event(
        "sse.progress.send_failed",
        "could not send progress",
        level=logging.ERROR,
        exc_info=True,
        key=f"progress:{progress.id}",
        job=progress.id,
    )
    connections.close_all()


background = Background()
