"""Clients that never read: server memory stays within the byte budget.

Publishes a history (default 5,000 events of 2 KB), then opens clients on
loopback that ask for all of it (``last_event_id=0``) and read nothing
(receive buffer 4 KB), and a flood of live events besides. Prints the
server's RSS before, at its peak, and once ``DJANGO_SSE_SEND_TIMEOUT`` has cut
the stuck streams, with the growth per client beside the budget:
``DJANGO_SSE_CLIENT_BUFFER_BYTES`` (the live queue), one replay batch of
frames (100 rows), three 64 KiB writes in flight and ~32 KiB per
connection. The connections the server still holds afterwards are the
cut ones: uvicorn closes a socket only once its buffered bytes are sent,
so a client that never reads keeps its socket (and the one write in it)
until it goes away.

    python bench/stalled.py                     # 1,000 clients
    python bench/stalled.py --clients 100 --rows 5000 --row-bytes 2000
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ROOT, Server, env_for, prepare_database  # noqa: E402

MB = 1024 * 1024
PUBLISH = """
import django, sys
django.setup()
from django_sse import publish_many
rows, size, topic = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for start in range(0, rows, 1000):
    publish_many([(topic, "x" * size, "")] * min(1000, rows - start))
"""


def publish(rows: int, size: int, topic: str) -> None:
    command = [sys.executable, "-c", PUBLISH, str(rows), str(size), topic]
    subprocess.run(command, env=env_for("sse"), cwd=ROOT, check=True)


def never_reading(port: int, path: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    return sock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--row-bytes", type=int, default=2000)
    parser.add_argument("--send-timeout", type=float, default=20.0)
    args = parser.parse_args()

    prepare_database()
    publish(args.rows, args.row_bytes, "history")
    server = Server("sse", {"DJANGO_SSE_SEND_TIMEOUT": str(args.send_timeout)})
    socks = []
    try:
        never_reading(server.port, "/sse/stream/?topics=warmup").close()
        time.sleep(1)
        base = server.rss()
        started = time.monotonic()
        for i in range(args.clients):
            topic = "history&last_event_id=0" if i % 5 else "live"  # 80% replay, 20% live
            socks.append(never_reading(server.port, f"/sse/stream/?topics={topic}"))
        publish(args.rows // 5, args.row_bytes, "live")
        peak = base
        while time.monotonic() - started < args.send_timeout + 15:
            peak = max(peak, server.rss())
            time.sleep(0.5)
        after = server.rss()
        still_open = sum(
            1
            for conn in server.ps.net_connections()
            if conn.status == "ESTABLISHED" and conn.laddr.port == server.port
        )
        # The live queue, one replay batch of frames, three 64 KiB writes in
        # flight (the opening, its copy, the server's transport) and a
        # connection's fixed cost (~32 KiB).
        budget = 256 * 1024 + 100 * (args.row_bytes + 60) + 3 * 64 * 1024 + 32 * 1024
        print(
            f"clients that read nothing: {args.clients} (80% replaying "
            f"{args.rows} x {args.row_bytes} B, 20% live)"
        )
        print(
            f"server RSS: before {base / MB:.0f} MiB, peak {peak / MB:.0f} MiB, "
            f"after the send timeout ({args.send_timeout:.0f} s) {after / MB:.0f} MiB"
        )
        print(
            f"peak growth per client: {(peak - base) / args.clients / 1024:.0f} KiB "
            f"(budget {budget / 1024:.0f} KiB)"
        )
        print(f"connections the server still holds after the timeout: {still_open}")
    finally:
        for sock in socks:
            sock.close()
        server.stop()


if __name__ == "__main__":
    main()
