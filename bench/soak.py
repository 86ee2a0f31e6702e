"""Soak: many clients for minutes, continuous publishing, 5% of the clients
reconnecting every minute. Prints server RSS and open file descriptors every
minute (RSS must be flat after warm-up) and, at the end, events lost (must
be 0) and duplicated (must be 0). Bounded in time and count; loopback only.

    python bench/soak.py                       # 2,000 clients, 10 minutes
    python bench/soak.py --clients 200 --minutes 2
    python bench/soak.py --tracemalloc          # also the server's Python heap
    python bench/soak.py --never-reading 0.2 --pad 2000
                                      # and 20% more clients that read nothing

With --tracemalloc the server traces its allocations (slower): each minute
also prints the Python heap in use, and the end lists what grew most since
minute 2. A flat heap under a growing RSS is the allocator, not a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ROOT, Server, env_for, prepare_database  # noqa: E402
from bench.stalled import never_reading  # noqa: E402

ID = re.compile(rb"^id: (\d+)(?: soak)?$", re.MULTILINE)
SEQ = re.compile(rb'"seq":(\d+)')


class Client:
    def __init__(self) -> None:
        self.cursor = ""
        self.seen: set[int] = set()
        self.dups = 0
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, port: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
                header = f"Last-Event-ID: {self.cursor}\r\n" if self.cursor else ""
                self.writer.write(
                    b"GET /sse/stream/?topics=soak HTTP/1.1\r\nHost: x\r\n"
                    + header.encode()
                    + b"\r\n"
                )
                await reader.readuntil(b"\r\n\r\n")
                buffer = b""
                while data := await reader.read(65536):
                    buffer += data
                    cut = buffer.rfind(b"\n\n")
                    if cut < 0:
                        continue
                    complete, buffer = buffer[: cut + 2], buffer[cut + 2 :]
                    for block in complete.split(b"\n\n"):
                        seq = SEQ.search(block)
                        if seq:
                            n = int(seq[1])
                            if n in self.seen:
                                self.dups += 1
                            self.seen.add(n)
                        ident = ID.search(block)
                        if ident:
                            self.cursor = ident[1].decode()
            except (OSError, asyncio.IncompleteReadError):
                pass
            await asyncio.sleep(0.2)

    def reconnect(self) -> None:
        if self.writer is not None:
            self.writer.close()


def fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def heap_snapshot(pid: int, directory: Path, n: int) -> tracemalloc.Snapshot:
    """Ask the server for its n-th tracemalloc snapshot and load it."""
    os.kill(pid, signal.SIGUSR1)
    path = directory / f"{n}.snap"
    while not path.exists():
        await asyncio.sleep(0.2)
    return tracemalloc.Snapshot.load(str(path))


def heap_mb(snapshot: tracemalloc.Snapshot) -> float:
    return sum(stat.size for stat in snapshot.statistics("filename")) / 2**20


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="events per second")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the server's heap")
    parser.add_argument("--pad", type=int, default=0, help="bytes of padding in each event")
    parser.add_argument(
        "--never-reading",
        type=float,
        default=0.0,
        help="this share of --clients more clients that connect and never read",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    prepare_database()
    snapshots = Path(tempfile.mkdtemp(prefix="django-sse-soak-")) if args.tracemalloc else None
    server = Server("sse", {"BENCH_TRACEMALLOC": str(snapshots)} if snapshots else None)
    clients = [Client() for _ in range(args.clients)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(server.port, stop)) for c in clients]
    while sum(1 for c in clients if c.cursor) < len(clients):  # all connected
        await asyncio.sleep(0.2)
    # Clients that never read (4 KiB receive buffer): the byte budget and the
    # send timeout must keep the server's memory flat (docs/security.md).
    path = "/sse/stream/?topics=soak&last_event_id=0"
    stalled = [
        never_reading(server.port, path) for _ in range(int(args.clients * args.never_reading))
    ]
    count = int(args.minutes * 60 * args.rate)
    # The publisher takes a file with one topic per event.
    topics = Path("/tmp/django-sse-soak-topics.txt")
    topics.write_text("\n".join(["soak"] * count))
    publisher = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "publisher.py"),
            "--kind",
            "sse",
            "--seqs",
            ",".join(map(str, range(1, count + 1))),
            "--interval",
            str(1 / args.rate),
            "--topics",
            str(topics),
            "--pad",
            str(args.pad),
        ],
        env=env_for("sse"),
        cwd=ROOT,
    )
    started = time.monotonic()
    print("minute  server_rss_mb  fds  clients_behind" + ("  python_heap_mb" if snapshots else ""))
    minute = 0
    heaps: list[tracemalloc.Snapshot] = []
    while publisher.poll() is None:
        await asyncio.sleep(60 if args.minutes >= 2 else 15)
        minute += 1
        for client in random.sample(clients, max(1, args.clients // 20)):
            client.reconnect()  # 5% reconnect with their Last-Event-ID
        rss = server.rss() / 2**20
        published = min(count, int((time.monotonic() - started) * args.rate))
        behind = sum(1 for c in clients if len(c.seen) < published * 0.9)
        line = f"{minute:6}  {rss:13.1f}  {fds(server.proc.pid):4}  {behind:14}"
        if snapshots:
            heaps.append(await heap_snapshot(server.proc.pid, snapshots, minute))
            line += f"  {heap_mb(heaps[-1]):14.1f}"
        print(line, flush=True)
    await asyncio.sleep(5)  # the last events and replays
    stop.set()
    for c in clients:
        c.reconnect()
    await asyncio.gather(*tasks, return_exceptions=True)
    for sock in stalled:
        sock.close()
    server.stop()
    if len(heaps) >= 3:
        print("Python heap growth since minute 2, by line (KB):")
        for stat in heaps[-1].compare_to(heaps[1], "lineno")[:10]:
            print(f"  {stat.size_diff / 1024:+9.1f}  {stat.traceback[0]}")
    expected = set(range(1, count + 1))
    lost = sum(len(expected - c.seen) for c in clients)
    dups = sum(c.dups for c in clients)
    print(f"published {count} events to {args.clients} clients: lost {lost}, duplicated {dups}")


if __name__ == "__main__":
    asyncio.run(main())
