"""Task progress under load: how many update() calls one job can make, how
many events reach a watching client (coalescing), and the server's CPU with
100 jobs each watched by one client. Real server, worker and client processes.

    python bench/progress.py [--seconds 5] [--jobs 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ROOT, Server, env_for, prepare_database  # noqa: E402

WORKER = """
import json, sys, threading, time
import django; django.setup()
from django.contrib.auth.models import User
from django_sse.contrib.progress import Progress
mode, seconds, jobs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
owner, _ = User.objects.get_or_create(username="bench")
handles = [Progress.start(owner=owner, label=f"job {i}") for i in range(jobs)]
print(json.dumps([str(h.id) for h in handles]), flush=True)
sys.stdin.readline()  # the clients are connected
def run(handle, rate):
    calls, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        calls += 1
        handle.update(percent=min(99.0, calls / 1000), message=str(calls))
        if rate:
            time.sleep(1 / rate)
    handle.update(message=f"last {calls}")
    time.sleep(0.3)
    handle.succeed()
    return calls
if mode == "one":
    calls = run(handles[0], 0)
    print(json.dumps({"calls": calls, "published": handles[0].published}), flush=True)
else:
    # All jobs from one thread, in turns, 50 updates/s each: like 100 workers,
    # without 100 database connections in this one process.
    calls, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for handle in handles:
            handle.update(percent=min(99.0, calls / 1000), message=str(calls))
        calls += 1
        time.sleep(0.02)
    time.sleep(0.3)
    for handle in handles:
        handle.succeed()
    print(json.dumps({"published": sum(h.published for h in handles)}), flush=True)
"""


async def watch(port: int, job_id: str, cookie: str, received: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /sse/stream/?topics=progress:{job_id} HTTP/1.1\r\nHost: x\r\n"
        f"Cookie: {cookie}\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    buffer = b""
    while data := await reader.read(65536):
        buffer += data
        for line in buffer.split(b"\n"):
            if line.startswith(b"event: "):
                received.append(line[7:].decode())
        buffer = buffer[buffer.rfind(b"\n") + 1 :]
        if "complete" in received:
            writer.close()
            return


async def scenario(mode: str, seconds: float, jobs: int, cookie: str) -> dict:
    server = Server("sse")
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, mode, str(seconds), str(jobs)],
        env=env_for("sse"),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ids = json.loads(worker.stdout.readline())
        received: list[list[str]] = [[] for _ in ids]
        tasks = [
            asyncio.create_task(watch(server.port, i, cookie, r))
            for i, r in zip(ids, received, strict=True)
        ]
        await asyncio.sleep(1.0)
        cpu0, started = server.cpu(), time.monotonic()
        worker.stdin.write("go\n")
        worker.stdin.flush()
        result = json.loads(await asyncio.to_thread(worker.stdout.readline))
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        elapsed = time.monotonic() - started
        cpu = server.cpu() - cpu0
        events = sum(len([e for e in r if e in ("progress", "complete")]) for r in received)
        return {
            "mode": mode,
            "jobs": len(ids),
            **result,
            "client_events": events,
            "server_cpu_share": round(cpu / elapsed, 3),
        }
    finally:
        worker.kill()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=100)
    args = parser.parse_args()
    prepare_database()
    from bench.run import session_cookie

    cookie = session_cookie()
    one = asyncio.run(scenario("one", args.seconds, 1, cookie))
    one["updates_per_s"] = round(one["calls"] / args.seconds)
    print(json.dumps(one))
    many = asyncio.run(scenario("many", args.seconds, args.jobs, cookie))
    print(json.dumps(many))
    os.makedirs(ROOT / "bench" / "results", exist_ok=True)
    (ROOT / "bench" / "results" / "progress.json").write_text(json.dumps([one, many]))


if __name__ == "__main__":
    main()
