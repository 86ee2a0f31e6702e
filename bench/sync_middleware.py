"""What a sync-only middleware costs stream connects (check django_sse.W006).

The same no-op middleware, sync-only and async-capable, and WhiteNoise's
middleware beside django-sse's async-capable subclass, in front of the
same django-sse server (uvicorn, one process each, with and without
``SharedSyncThread``); a load client opens N streams at once and reports
opens per second. Rounds alternate the variants; the medians count.

    bench/.env/bin/python bench/sync_middleware.py --n 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics

import run  # bench/, the script's own folder

VARIANTS = {
    # label: (server name in run.SERVERS, BENCH_MIDDLEWARE)
    "no middleware": ("sse", ""),
    "async-capable": ("sse", "async_capable"),
    "sync-only": ("sse", "sync_only"),
    "WhiteNoise's middleware": ("sse", "whitenoise.middleware.WhiteNoiseMiddleware"),
    "django_sse.static.WhiteNoiseMiddleware": ("sse", "django_sse.static.WhiteNoiseMiddleware"),
    "sync-only, no SharedSyncThread": ("sse-plain", "sync_only"),
    "async-capable, no SharedSyncThread": ("sse-plain", "async_capable"),
}


def open_rate(server_name: str, middleware: str, n: int) -> dict:
    server = run.Server(server_name, extra_env={"BENCH_MIDDLEWARE": middleware})
    try:
        client = run.LoadClient(server.url + server.path, n)
        threads = server.ps.num_threads()
        client.stop()
        ready = client.ready
        return {
            "opens_per_s": n / ready["open_seconds"],
            "failed": ready["failed"],
            "threads": threads,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run.prepare_database()
    results: dict[str, list[dict]] = {label: [] for label in VARIANTS}
    for _ in range(args.rounds):
        for label, (server_name, middleware) in VARIANTS.items():
            row = open_rate(server_name, middleware, args.n)
            print(json.dumps({"variant": label, **row}), flush=True)
            results[label].append(row)
    base = statistics.median(r["opens_per_s"] for r in results["no middleware"])
    print(f"\n{args.n} streams opened at once, median of {args.rounds} rounds\n")
    print("| Middleware | Opens/s | vs none | Threads while open | Failed |")
    print("|---|---:|---:|---:|---:|")
    for label, rows in results.items():
        rate = statistics.median(r["opens_per_s"] for r in rows)
        threads = max(r["threads"] for r in rows)
        failed = sum(r["failed"] for r in rows)
        print(f"| {label} | {rate:.0f} | {rate / base:.2f}x | {threads} | {failed} |")


if __name__ == "__main__":
    main()
