"""Profile a benchmark server with py-spy while it works, and print where
its time goes (the hottest functions, inclusive and self).

    python bench/profile.py broadcast --streams 5000     # 5 broadcasts
    python bench/profile.py open --streams 3000          # an open burst
    python bench/profile.py broadcast --server sse-plain
    python bench/profile.py idle --streams 5000          # streams open, no events

Samples include threads waiting on locks (py-spy --nonblocking); frames of
an idle event loop (select) are left out.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import LoadClient, Server, prepare_database, publish  # noqa: E402

PY_SPY = Path(sys.executable).parent / "py-spy"


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    command = [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "-o", str(out)]
    command += ["--rate", "250", "--nonblocking", "-d", str(seconds)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hottest(raw: Path, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if any("selectors.py" in frame for frame in frames[-2:]):
            continue  # the event loop waiting for work
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
    lines = [f"busy samples: {total}", "", "inclusive %:"]
    lines += [f"{100 * n / total:6.1f}  {f}" for f, n in inclusive.most_common(top)]
    lines += ["", "self %:"]
    lines += [f"{100 * n / total:6.1f}  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", choices=["broadcast", "open", "idle"])
    parser.add_argument("--server", default="sse")
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    prepare_database()
    raw = Path(tempfile.mkdtemp(prefix="django-sse-profile-")) / "profile.raw"
    server = Server(args.server)
    try:
        LoadClient(server.url + server.path, 1).stop()  # warm up
        time.sleep(0.5)
        if args.scenario == "open":
            spy = record(server.proc.pid, 8, raw)
            time.sleep(0.5)
            client = LoadClient(server.url + server.path, args.streams)
            print(client.ready)
        elif args.scenario == "idle":
            client = LoadClient(server.url + server.path, args.streams)
            time.sleep(0.5)
            spy = record(server.proc.pid, 5, raw)
        else:
            client = LoadClient(server.url + server.path, args.streams)
            time.sleep(1)
            spy = record(server.proc.pid, 7, raw)
            time.sleep(1)
            seqs = [1, 2, 3, 4, 5]
            publisher = publish(server, seqs, interval=1.0)
            print(client.expect(seqs, timeout=40)["latencies_ms"])
            publisher.wait()
        spy.wait()
        client.stop()
    finally:
        server.stop()
    print(hottest(raw, args.top))


if __name__ == "__main__":
    main()
