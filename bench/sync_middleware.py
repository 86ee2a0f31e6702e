"""What a sync-only middleware costs stream connects (check django_sse.W006).

The same no-op middleware, sync-only and async-capable, and WhiteNoise's
middleware beside django-sse's async-capable subclass, in front of the
same django-sse server (uvicorn, one process each, with and without
``SharedSyncThread``); a load client opens N streams at once and reports
opens per second. Rounds alternate the variants; the medians count.

    bench/.env/bin/python bench/sync_middleware.py --n 2000 --rounds 3
"""

from __future__ import annotations

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
    _, results = run.alternate_rounds(__doc__, VARIANTS, open_rate)
    base = statistics.median(r["opens_per_s"] for r in results["no middleware"])
    print("| Middleware | Opens/s | vs none | Threads while open | Failed |")
    print("|---|---:|---:|---:|---:|")
    for label, rows in results.items():
        rate = statistics.median(r["opens_per_s"] for r in rows)
        threads = max(r["threads"] for r in rows)
        failed = sum(r["failed"] for r in rows)
        print(f"| {label} | {rate:.0f} | {rate / base:.2f}x | {threads} | {failed} |")


if __name__ == "__main__":
    main()
