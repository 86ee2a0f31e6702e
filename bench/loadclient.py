"""Load client: N raw HTTP/1.1 SSE connections in one asyncio process.

Protocol with the driver (bench/run.py), one JSON object per line:
  stdout  {"ready": n, "open_seconds": s, "failed": f}   all connections open
  stdin   {"expect": [seq, ...], "timeout": s}           events to wait for
  stdout  {"latencies_ms": summary, "lost": n, "dup": n}  when all arrived or timed out
  stdin   {"reconnected": k, "timeout": s}               (--reconnect) wait until every
  stdout  {"all_back_at": t, "statuses": {...}, ...}     stream has opened k times
Each event's data is JSON with "seq" and "t" (publish time, time.time()).

With --reconnect each connection behaves as a browser's EventSource driven by
django-sse.js: a dropped or refused connection is retried after the
stream's ``retry:`` hint with ``Last-Event-ID``; an HTTP error answer is
retried with django-sse.js's backoff (doubling from the hint, up to 30 s,
each wait 50-100% of it).
"""

import argparse
import asyncio
import contextlib
import json
import random
import re
import resource
import sys
import time

EVENT = re.compile(rb'"seq":\s*(\d+),\s*"t":\s*([0-9.]+)')
FIELD = re.compile(rb"(?m)^(id|retry): ?(.*)$")
MAX_DELAY_S = 30.0  # django-sse.js's MAX_DELAY_MS
STATUSES: dict[str, int] = {}  # --reconnect: every answer's status ("refused": no answer)


class Conn:
    __slots__ = (
        "seen",
        "latencies",
        "dups",
        "buf",
        "ok",
        "last_id",
        "retry",
        "opens",
        "opened_at",
        "source",
    )

    def __init__(self, source: str | None = None):
        self.source = source  # the local address it connects from (None: any)
        self.ok = False
        self.seen: set[int] = set()
        self.latencies: list[float] = []
        self.dups = 0
        self.buf = b""
        self.last_id: bytes | None = None
        self.retry = 2.0  # EventSource's reconnection time until the stream sets it
        self.opens = 0
        self.opened_at = 0.0


async def open_stream(host, port, path, headers, conn):
    """(reader, writer) of a 200 event stream; raises with the status line if not."""
    local = (conn.source, 0) if conn.source else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if conn.last_id is not None:
        extra += f"Last-Event-ID: {conn.last_id.decode()}\r\n"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
    writer.write(f"{request}{extra}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
    if status != "200":
        writer.close()
        raise HTTPStatus(status)
    return reader, writer


class HTTPStatus(Exception):
    pass


async def run_conn(host, port, path, headers, conn, opened, failures, progress, reconnect):
    first, attempt = True, 0
    while True:
        try:
            reader, writer = await open_stream(host, port, path, headers, conn)
        except Exception as exc:  # noqa: BLE001
            if not reconnect:
                failures.append(repr(exc))
                opened()
                return
            if isinstance(exc, HTTPStatus):
                STATUSES[exc.args[0]] = STATUSES.get(exc.args[0], 0) + 1
                base = min(MAX_DELAY_S, conn.retry * 2**attempt)
                attempt += 1
                await asyncio.sleep(base * (0.5 + random.random() / 2))
            else:  # refused or reset: EventSource waits its reconnection time
                STATUSES["refused"] = STATUSES.get("refused", 0) + 1
                await asyncio.sleep(conn.retry)
            continue
        if reconnect:
            STATUSES["200"] = STATUSES.get("200", 0) + 1
        attempt = 0
        conn.ok = True
        conn.opens += 1
        conn.opened_at = time.time()
        if first:
            first = False
            opened()
        await read_events(reader, conn, progress, reconnect)
        writer.close()
        if not reconnect:
            return
        conn.buf = b""
        await asyncio.sleep(conn.retry)


async def read_events(reader, conn, progress, fields):
    """Reads the stream until it ends or breaks; ``fields``: keep its
    ``id:`` and ``retry:`` as EventSource does."""
    while True:
        try:
            data = await reader.read(65536)
        except OSError:
            return
        if not data:
            return
        now = time.time()
        conn.buf += data
        cut = conn.buf.rfind(b"\n\n")
        if cut < 0:
            continue
        complete, conn.buf = conn.buf[: cut + 2], conn.buf[cut + 2 :]
        if fields:
            for name, value in FIELD.findall(complete):
                if name == b"id":
                    conn.last_id = value
                elif value.isdigit():
                    conn.retry = int(value) / 1000
        for match in EVENT.finditer(complete):
            seq = int(match[1])
            if seq in conn.seen:
                conn.dups += 1
                continue
            conn.seen.add(seq)
            conn.latencies.append((now - float(match[2])) * 1000)
            progress()


def summary(values):
    if not values:
        return {}
    values = sorted(values)
    pick = lambda q: round(values[min(len(values) - 1, int(q * len(values)))], 2)  # noqa: E731
    return {"p50": pick(0.5), "p99": pick(0.99), "max": round(values[-1], 2), "n": len(values)}


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--paths", default="", help="file with one path per connection")
    parser.add_argument("--reconnect", action="store_true", help="reconnect as EventSource does")
    parser.add_argument(
        "--per-source",
        type=int,
        default=20_000,
        help="connections per loopback source address (127.0.0.1, .2, ...): one address "
        "has 28,232 ephemeral ports to one server port here",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host_port, _, path = args.url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    if args.paths:
        with open(args.paths) as f:
            paths = f.read().split()
    else:
        paths = ["/" + path] * args.n
    headers = {"Cookie": args.cookie} if args.cookie else {}

    def source(i: int) -> str | None:
        """Where connection ``i`` connects from: the first ``--per-source`` from
        wherever the system picks, the next from 127.0.0.2, and so on."""
        block = i // args.per_source
        return f"127.0.0.{1 + block}" if block and host.startswith("127.") else None

    conns = [Conn(source(i)) for i in range(args.n)]
    failures: list[str] = []
    received = 0
    arrived = asyncio.Event()
    target = 0

    def progress():
        nonlocal received
        received += 1
        if received >= target:
            arrived.set()

    started = time.monotonic()
    gate = asyncio.Semaphore(args.concurrency)
    all_open = asyncio.Event()
    opened_count = 0

    def opened():
        nonlocal opened_count
        opened_count += 1
        gate.release()
        if opened_count == args.n:
            all_open.set()

    tasks = []
    for conn, p in zip(conns, paths, strict=True):
        await gate.acquire()
        tasks.append(
            asyncio.create_task(
                run_conn(
                    host,
                    int(port),
                    p,
                    headers,
                    conn,
                    opened,
                    failures,
                    progress,
                    args.reconnect,
                )
            )
        )
    await all_open.wait()
    open_seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "ready": args.n - len(failures),
                "open_seconds": round(open_seconds, 3),
                "failed": len(failures),
                "errors": failures[:3],
            }
        ),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        command = json.loads(line)
        if "reconnected" in command:
            print(json.dumps(await reconnected(conns, command)), flush=True)
            continue
        expect = set(command["expect"])
        per_conn = command.get("per_conn", len(expect))
        target = received + per_conn * (args.n - len(failures))
        arrived.clear()
        if received < target:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), command["timeout"])
        await asyncio.sleep(0.2)  # late duplicates
        latencies = [lat for c in conns for lat in c.latencies]
        wanted = command.get("wanted")  # targeted: {conn_index: seq}
        if wanted:
            lost = sum(1 for i, seq in wanted.items() if seq not in conns[int(i)].seen)
        else:
            lost = sum(len(expect - c.seen) for c in conns if c.ok)
        print(
            json.dumps(
                {
                    "latencies_ms": summary(latencies),
                    **({"raw_ms": latencies} if command.get("raw") else {}),
                    "lost": lost,
                    "dup": sum(c.dups for c in conns),
                }
            ),
            flush=True,
        )
        for c in conns:
            c.latencies = []


async def reconnected(conns, command):
    """Waits until every stream has opened ``command["reconnected"]`` times."""
    wanted, deadline = command["reconnected"], time.monotonic() + command["timeout"]
    while time.monotonic() < deadline:
        back = sum(1 for c in conns if c.opens >= wanted)
        if back == len(conns):
            break
        await asyncio.sleep(0.05)
    return {
        "back": back,
        "all_back_at": max(c.opened_at for c in conns) if back == len(conns) else None,
        "statuses": dict(STATUSES),
    }


if __name__ == "__main__":
    asyncio.run(main())
