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
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

TABLE = "bench_commit_floor"
# The publishing processes import the bench site (bench.site.settings).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _insert_rows(url: str, rows: int, notify: bool) -> None:
    with psycopg.connect(url) as conn:
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
    workers = [
        multiprocessing.Process(target=_insert_rows, args=(url, rows, notify))
        for _ in range(processes)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a writer failed (exit code {worker.exitcode})")
    elapsed = time.monotonic() - started
    with psycopg.connect(url, autocommit=True) as conn:
        written = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        conn.execute(f"DROP TABLE {TABLE}")
    if written != processes * rows:
        raise RuntimeError(f"{written} rows written, expected {processes * rows}")
    return round(written / elapsed)


def _publish_events(db: str, rows: int, barrier: Any, times: Any) -> None:
    os.environ.update(BENCH_KIND="sse", BENCH_DB=db, DJANGO_SETTINGS_MODULE="bench.site.settings")
    import django

    django.setup()
    from django_sse import publish

    publish("bench-floor", 0)  # connect before the clock starts
    barrier.wait()
    started = time.monotonic()
    for i in range(rows):
        publish("bench-floor", {"seq": i, "t": time.time()})
    times.put((started, time.monotonic()))


def measure_publish(db: str, processes: int, rows: int) -> int:
    """Events per second of ``processes`` calling ``publish()``, one event
    per transaction, timed from the first call to the last (not Django's
    start-up)."""
    barrier, times = multiprocessing.Barrier(processes), multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_publish_events, args=(db, rows, barrier, times))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans = [times.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return round(processes * rows / elapsed)


def floors(db: str, processes: int = 4, rows: int = 2000) -> dict[str, int]:
    url = f"postgresql://postgres@127.0.0.1:5432/{db}"
    return {
        "commits_per_s": measure(url, processes, rows, notify=False),
        "commits_with_notify_per_s": measure(url, processes, rows, notify=True),
        "publish_alone_per_s": measure_publish(db, processes, rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="django_sse_bench")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rows", type=int, default=2000, help="transactions per process")
    args = parser.parse_args()
    print(json.dumps(floors(args.db, args.processes, args.rows)))


if __name__ == "__main__":
    main()
