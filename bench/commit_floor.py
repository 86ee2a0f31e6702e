"""The commit floor: how many one-row transactions PostgreSQL takes per
second on this machine, from concurrent processes, with no framework.

Each process inserts one small row per transaction into a scratch table
with plain psycopg, with and without a ``pg_notify`` in the transaction
(django-sse's trigger sends one per publishing transaction). It is the
ceiling for publishing one event per transaction; ``bench/run.py`` prints
it beside the throughput rows.

    python bench/commit_floor.py --db django_sse_bench --processes 4 --rows 2000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

import psycopg

TABLE = "bench_commit_floor"


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


def floors(url: str, processes: int = 4, rows: int = 2000) -> dict[str, int]:
    return {
        "commits_per_s": measure(url, processes, rows, notify=False),
        "commits_with_notify_per_s": measure(url, processes, rows, notify=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="django_sse_bench")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rows", type=int, default=2000, help="transactions per process")
    args = parser.parse_args()
    url = f"postgresql://postgres@127.0.0.1:5432/{args.db}"
    print(json.dumps(floors(url, args.processes, args.rows)))


if __name__ == "__main__":
    main()
