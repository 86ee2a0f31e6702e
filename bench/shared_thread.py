"""What ``django_sse.asgi.SharedSyncThread`` buys: stream connects with and
without it, on the same run.

One django-sse server per variant (uvicorn, one process), with no
middleware and with a new project's whole stack (sessions, auth, CSRF,
...); a load client opens N streams at once. Reported per variant: opens
per second, and the server's CPU per connect (the scheduler's count of
every thread, from before the first connect to the last stream's
opening). Rounds alternate the variants; the medians count.

    bench/.env/bin/python bench/shared_thread.py --n 2000 --rounds 3
"""

from __future__ import annotations

import statistics

import run  # bench/, the script's own folder

VARIANTS = {
    # label: (server name in run.SERVERS, extra environment)
    "no middleware, Django's handler": ("sse-plain", {}),
    "no middleware, SharedSyncThread": ("sse", {}),
    "full stack, Django's handler": ("sse-plain", {"BENCH_FULL_MIDDLEWARE": "1"}),
    "full stack, SharedSyncThread": ("sse", {"BENCH_FULL_MIDDLEWARE": "1"}),
}


def connects(server_name: str, env: dict[str, str], n: int) -> dict:
    server = run.Server(server_name, extra_env=env)
    try:
        before = sum(server.thread_cpu().values())
        client = run.LoadClient(server.url + server.path, n)
        after = sum(server.thread_cpu().values())
        client.stop()
        ready = client.ready
        return {
            "opens_per_s": n / ready["open_seconds"],
            "cpu_us_per_connect": (after - before) / n * 1e6,
            "failed": ready["failed"],
        }
    finally:
        server.stop()


def main() -> None:
    _, results = run.alternate_rounds(__doc__, VARIANTS, connects)
    print("| Variant | Opens/s | CPU per connect (µs) | Failed |")
    print("|---|---:|---:|---:|")
    for label, rows in results.items():
        rate = statistics.median(r["opens_per_s"] for r in rows)
        cpu = statistics.median(r["cpu_us_per_connect"] for r in rows)
        failed = sum(r["failed"] for r in rows)
        print(f"| {label} | {rate:.0f} | {cpu:.0f} | {failed} |")


if __name__ == "__main__":
    main()
