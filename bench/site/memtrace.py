"""Bench only: Python heap snapshots of a server process, for the soak.

With ``BENCH_TRACEMALLOC=<directory>`` the server traces its allocations and
writes a snapshot to ``<directory>/<n>.snap`` on each SIGUSR1 (run in the
event loop's thread, between two bytecodes)."""

import os
import signal
import tracemalloc


def install(directory: str) -> None:
    tracemalloc.start(8)
    taken = 0

    def snapshot(signum, frame):
        nonlocal taken
        taken += 1
        path = os.path.join(directory, f"{taken}.snap")
        tracemalloc.take_snapshot().dump(path + ".tmp")
        os.replace(path + ".tmp", path)

    signal.signal(signal.SIGUSR1, snapshot)
