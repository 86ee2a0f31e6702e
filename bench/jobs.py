"""100 jobs at once under a real Celery worker pool, each watched by its
own client on a real django-sse server: events delivered, none lost,
server and worker CPU.

The jobs are sent first (their rows exist, their tasks wait in Redis), the
clients connect to /sse/progress/<id>/, then the worker starts with one
thread per job, so all of them run at once. Each update is a real write and
NOTIFY from the worker; the server fans them out. Afterwards every client's
event ids are compared with the event log: an id in the log after the
client connected that the client did not get is lost.

    bench/.env/bin/python bench/jobs.py [--jobs 100 --steps 100 --delay 0.05]

Needs PostgreSQL's max_connections above jobs + 20 (one connection per
running job, as in any Django worker): the script says how if not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    RESULTS,
    ROOT,
    Server,
    django,
    env_for,
    prepare_database,
    session_cookie,
)

SEND = """
import json, sys
from django.contrib.auth.models import User
from django_sse.contrib.progress.celery import send
from bench.site.jobs import job
jobs, steps, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
owner = User.objects.get(username="bench")
ids = [str(send(job, steps, delay, owner=owner, label=f"job {i}").pk) for i in range(jobs)]
print(json.dumps(ids))
"""

AUDIT = """
import json, sys
from django_sse.models import Event
from django_sse.contrib.progress.models import TaskProgress
ids = json.loads(sys.stdin.read())
events = Event.objects.order_by("id")
log = {i: list(events.filter(topic=f"progress:{i}").values_list("id", flat=True)) for i in ids}
rows = TaskProgress.objects.filter(pk__in=ids)
states = dict(rows.values_list("pk", "status"))
runs = [(r.started_at, r.finished_at) for r in rows]
first, last = min(s for s, _ in runs), max(f for _, f in runs)
durations = sorted((f - s).total_seconds() for s, f in runs)
print(json.dumps({
    "log": log,
    "states": {str(k): v for k, v in states.items()},
    "first_start_to_last_finish_s": (last - first).total_seconds(),
    "job_s_median": durations[len(durations) // 2],
    "job_s_max": durations[-1],
}))
"""


def max_connections() -> int:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show max_connections"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out)


async def watch(port: int, job_id: str, cookie: str) -> dict:
    """One client on the job's stream, to its end: event ids and types."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /sse/progress/{job_id}/ HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    ids: list[int] = []
    types: list[str] = []
    buffer = b""
    while data := await reader.read(65536):
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"id: "):  # "<log id> <topic>" (a bare id is a cursor)
                log_id, _, topic = line[4:].decode().strip().partition(" ")
                if topic:
                    ids.append(int(log_id))
            elif line.startswith(b"event: "):
                types.append(line[7:].decode().strip())
    writer.close()
    return {"ids": ids, "types": types}


def tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


async def scenario(jobs: int, steps: int, delay: float) -> dict:
    cookie = session_cookie()
    server = Server("sse")
    worker = None
    try:
        ids = json.loads(django(SEND, str(jobs), str(steps), str(delay)))
        clients = [asyncio.create_task(watch(server.port, i, cookie)) for i in ids]
        await asyncio.sleep(2.0)  # every client connected and holding the pending state
        cpu0, started = server.cpu(), time.monotonic()
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "bench.site.celery_app", "worker"),
                *("--pool", "threads", "-c", str(jobs), "-Q", "bench-jobs", "-l", "warning"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            env=env_for("sse"),
            cwd=ROOT,
        )
        ps = psutil.Process(worker.pid)
        results = await asyncio.wait_for(asyncio.gather(*clients), steps * delay * 10 + 60)
        elapsed = time.monotonic() - started
        server_cpu = server.cpu() - cpu0
        worker_cpu = tree_cpu(ps)
    finally:
        if worker is not None:
            worker.kill()
            worker.wait()
        server.stop()
    audit = json.loads(django(AUDIT, stdin=json.dumps(ids)))
    lost = 0
    delivered = 0
    for job_id, seen in zip(ids, results, strict=True):
        first = seen["ids"][0] if seen["ids"] else 0
        expected = [i for i in audit["log"][job_id] if i >= first]
        lost += len(set(expected) - set(seen["ids"]))
        delivered += len(seen["ids"])
    finals = [seen["types"][-1] if seen["types"] else None for seen in results]
    return {
        "jobs": jobs,
        "steps": steps,
        "delay_s": delay,
        "events_delivered": delivered,
        "events_lost": lost,
        "clients_that_got_complete": finals.count("complete"),
        "jobs_succeeded": list(audit["states"].values()).count("succeeded"),
        "wall_s_from_worker_start": round(elapsed, 2),
        "first_start_to_last_finish_s": round(audit["first_start_to_last_finish_s"], 2),
        "job_s_median": round(audit["job_s_median"], 2),
        "job_s_max": round(audit["job_s_max"], 2),
        "ideal_job_s": round(steps * delay, 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_share": round(server_cpu / elapsed, 3),
        "server_cpu_per_event_us": round(1e6 * server_cpu / max(1, delivered), 1),
        "worker_cpu_s": round(worker_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    if max_connections() < args.jobs + 20:
        sys.exit(
            f"PostgreSQL allows {max_connections()} connections; {args.jobs} running jobs "
            f"need about {args.jobs + 20}. Raise it and restart PostgreSQL, e.g.\n"
            "  psql -h 127.0.0.1 -U postgres -c 'ALTER SYSTEM SET max_connections = 300'\n"
            "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart"
        )
    prepare_database()
    result = asyncio.run(scenario(args.jobs, args.steps, args.delay))
    print(json.dumps(result, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "jobs.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
