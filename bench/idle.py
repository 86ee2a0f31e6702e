"""What a server spends with streams open and no events, thread by thread.

    python bench/idle.py --server sse --streams 5000
    python bench/idle.py --server bare-asgi --streams 5000

Every second of idle work lands inside `make bench`'s broadcast intervals
too (its CPU per delivery is each one-second interval's CPU over the
streams). Heartbeats are pushed past the window (``DJANGO_SSE_HEARTBEAT``
600 s): they are work the floors do not do, and `make bench` times its
broadcasts when none is due. The CPU is the scheduler's count per thread
(/proc/<pid>/task/<tid>/schedstat), to the nanosecond.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import SERVERS, LoadClient, Server, prepare_database  # noqa: E402


def thread_names(pid: int, tids: list[int]) -> dict[int, str]:
    names = {}
    for tid in tids:
        try:
            names[tid] = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except OSError:
            names[tid] = "?"
    return names


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="sse", choices=sorted(SERVERS))
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    prepare_database()
    server = Server(args.server, extra_env={"DJANGO_SSE_HEARTBEAT": "600"})
    try:
        client = LoadClient(server.url + server.path, args.streams) if args.streams else None
        time.sleep(2.0)  # the connects' own work done
        before, started = server.thread_cpu(), time.monotonic()
        time.sleep(args.seconds)
        after, seconds = server.thread_cpu(), time.monotonic() - started
        names = thread_names(server.proc.pid, list(after))
        total = 0.0
        for tid, cpu in sorted(after.items()):
            rate = (cpu - before.get(tid, 0.0)) / seconds * 1e3
            total += rate
            print(f"  thread {tid} ({names[tid]}): {rate:.2f} ms/s")
        print(f"{args.server}, {args.streams:,} streams: {total:.2f} ms of CPU a second")
        if client is not None:
            client.stop()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
