"""The commit floor: how many one-row transactions PostgreSQL takes per
second on this machine, from concurrent processes, with no framework.

Each process inserts one small row per transaction into a scratch table
with plain psycopg, with and without a ``pg_notify`` in the transaction
(django-sse's trigger sends one per publishing transaction). It is the
ceiling for publishing one event per transaction. Then the same processes
call ``django_sse.publish()`` with no server running: what django-sse's
publishing path costs on top of the floor. ``bench/run.py`` prints all
three beside the throughput rows.

    python bench/commit_floor.py --db django_sse_bench --processes 4 --rows 2000

(The database must hold django-sse's tables: ``bench/run.py`` migrates it.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

TABLE = "bench_commit_floor"
# The publishing processes import the bench site (bench.site.settings).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _timed(work: Any, processes: int, *args: Any) -> float:
    """Run ``work(start, *args)`` in ``processes`` processes at once and
    return the seconds from the first one's start to the last one's end.
    Each calls ``start()`` once it is connected, so process start-up and
    connecting are not timed."""
    barrier, spans = multiprocessing.Barrier(processes), multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_span, args=(barrier, spans, work, *args))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()  # the spans are a few bytes each: the queue never fills
        if worker.exitcode != 0:
            raise RuntimeError(f"a benchmark process failed (exit code {worker.exitcode})")
    times = [spans.get(timeout=5) for _ in workers]
    return max(end for _, end in times) - min(start for start, _ in times)


def _span(barrier: Any, spans: Any, work: Any, *args: Any) -> None:
    started = 0.0

    def start() -> None:
        nonlocal started
        barrier.wait(timeout=120)  # a sibling that failed breaks it for all
        started = time.monotonic()

    work(start, *args)
    spans.put((started, time.monotonic()))


def _insert_rows(start: Any, url: str, rows: int, notify: bool) -> None:
    with psycopg.connect(url) as conn:
        start()
        for _ in range(rows):
            conn.execute(f"INSERT INTO {TABLE} (data) VALUES (%s)", ['{"seq": 1}'])
            if notify:
                conn.execute("SELECT pg_notify('bench_commit_floor', '')")
            conn.commit()


def measure(url: str, processes: int, rows: int, notify: bool) -> int:
    """Commits per second of ``processes`` concurrent writers."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, data text)")
    elapsed = _timed(_insert_rows, processes, url, rows, notify)
    with psycopg.connect(url, autocommit=True) as conn:
        written = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        conn.execute(f"DROP TABLE {TABLE}")
    if written != processes * rows:
        raise RuntimeError(f"{written} rows written, expected {processes * rows}")
    return round(written / elapsed)


def _publish_events(start: Any, db: str, rows: int) -> None:
    os.environ.update(BENCH_KIND="sse", BENCH_DB=db, DJANGO_SETTINGS_MODULE="bench.site.settings")
    import django

    django.setup()
    from django_sse import publish

    publish("bench-floor", 0)  # connect before the clock starts
    start()
    for i in range(rows):
        publish("bench-floor", {"seq": i, "t": time.time()})


def measure_publish(db: str, processes: int, rows: int) -> int:
    """Events per second of ``processes`` calling ``publish()``, one event
    per transaction (Django's start-up is not timed)."""
    return round(processes * rows / _timed(_publish_events, processes, db, rows))


def floors(db: str, processes: int = 4, rows: int = 2000, rounds: int = 5) -> dict[str, Any]:
    """The medians of ``rounds`` rounds, each measuring the three in turn:
    the floor and ``publish()`` side by side, as the machine's speed drifts
    (one after the other, their ratio moved from 61% to 96% between runs).
    ``publish_share`` is the median of each round's own ratio of
    ``publish()`` to the NOTIFY floor: the two measured seconds apart, so
    the disk's and the other core's drift between rounds (the floor alone
    ranged 1,087-2,632/s in one run) is not in it."""
    url = f"postgresql://postgres@127.0.0.1:5432/{db}"
    runs: dict[str, list[int]] = {
        "commits_per_s": [],
        "commits_with_notify_per_s": [],
        "publish_alone_per_s": [],
    }
    shares = []
    for _ in range(rounds):
        runs["commits_per_s"].append(measure(url, processes, rows, notify=False))
        runs["commits_with_notify_per_s"].append(measure(url, processes, rows, notify=True))
        runs["publish_alone_per_s"].append(measure_publish(db, processes, rows))
        shares.append(runs["publish_alone_per_s"][-1] / runs["commits_with_notify_per_s"][-1])
    return {name: round(statistics.median(values)) for name, values in runs.items()} | {
        "rounds": rounds,
        "publish_share": round(statistics.median(shares), 3),
        "publish_shares": [round(share, 3) for share in shares],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="django_sse_bench")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rows", type=int, default=2000, help="transactions per process")
    parser.add_argument("--rounds", type=int, default=5, help="the three in turn; medians")
    args = parser.parse_args()
    print(json.dumps(floors(args.db, args.processes, args.rows, args.rounds)))


if __name__ == "__main__":
    main()
