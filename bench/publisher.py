"""Publishes benchmark events from its own process, the way each stack
supports it: django-sse through PostgreSQL (publish()), django-eventstream
through Redis (send_event()), the floors through an HTTP POST."""

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument(
        "--seqs", required=True, help="comma-separated sequence numbers, or @file holding them"
    )
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--topics", default="", help="file: one topic per seq (targeted)")
    parser.add_argument(
        "--batch", type=int, default=1, help="sse: events per transaction (publish_many)"
    )
    parser.add_argument("--pad", type=int, default=0, help="bytes of padding in each event")
    parser.add_argument(
        "--start-at", type=float, default=0.0, help="time.time() of the first publish, if set"
    )
    args = parser.parse_args()
    pad = {"pad": "x" * args.pad} if args.pad else {}
    raw = Path(args.seqs[1:]).read_text() if args.seqs.startswith("@") else args.seqs
    seqs = [int(s) for s in raw.split(",")]
    topics = Path(args.topics).read_text().split() if args.topics else ["bench"] * len(seqs)

    if args.kind in ("sse", "eventstream"):
        os.environ["BENCH_KIND"] = args.kind
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.site.settings")
        import django

        django.setup()
    if args.kind == "sse":
        from django_sse import publish

        send = lambda topic, data: publish(topic, data)  # noqa: E731
    elif args.kind == "eventstream":
        from django_eventstream import send_event

        send = lambda topic, data: send_event(topic, "message", data)  # noqa: E731
    else:

        def send(topic, data):
            body = json.dumps(data).encode()
            request = urllib.request.Request(args.url + "/publish/", data=body, method="POST")
            urllib.request.urlopen(request).read()

    if args.start_at:  # set up first: the caller times the server from then
        time.sleep(max(0.0, args.start_at - time.time()))
    if args.kind == "sse" and args.batch > 1:
        from django_sse import publish_many

        pairs = list(zip(seqs, topics, strict=True))
        for start in range(0, len(pairs), args.batch):
            now = time.time()
            publish_many(
                [
                    (topic, {"seq": seq, "t": now}, None)
                    for seq, topic in pairs[start : start + args.batch]
                ]
            )
            if args.interval:
                time.sleep(args.interval)
        return
    for seq, topic in zip(seqs, topics, strict=True):
        send(topic, {"seq": seq, "t": time.time(), **pad})
        if args.interval:
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
