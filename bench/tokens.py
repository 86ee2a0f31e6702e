"""Token streams from one producer process: ``stream_to()`` with answers
running at once, each a generator of tokens as fast as it can yield, on the
bench database (PostgreSQL). Tokens per second, in all and per answer, and
the rows written; beside it the same answers written a row per token (what
``stream_to()`` did before it batched).

python bench/tokens.py [--tokens 2000] [--answers 1,10,50]
"""

import argparse
import asyncio
import os
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(BENCH_KIND="sse", DJANGO_SETTINGS_MODULE="bench.site.settings")


async def tokens(n: int):
    for i in range(n):
        yield f"t{i} "
        await asyncio.sleep(0)  # a producer that awaits between tokens, as a model client does


async def row_per_token(topic: str, chunks) -> int:
    from django_sse import publish
    from django_sse.hubs import get_hub

    hub = await get_hub()
    count = 0
    async for chunk in chunks:
        await hub.query(partial(publish, event="token"), topic, chunk)
        count += 1
    return count


async def run(kind: str, answers: int, n: int) -> dict:
    from asgiref.sync import sync_to_async

    from django_sse import stream_to
    from django_sse.models import Event

    write = stream_to if kind == "batched" else row_per_token
    count_rows = sync_to_async(Event.objects.count)
    before = await count_rows()
    started = time.perf_counter()
    prefix = "batched" if kind == "batched" else "rows"
    counts = await asyncio.gather(*(write(f"{prefix}:{a}", tokens(n)) for a in range(answers)))
    seconds = time.perf_counter() - started
    return {
        "writes": kind,
        "answers": answers,
        "tokens": sum(counts),
        "seconds": round(seconds, 2),
        "tokens_per_s": round(sum(counts) / seconds),
        "per_answer_per_s": round(n / seconds),
        "rows": await count_rows() - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--answers", default="1,10,50")
    args = parser.parse_args()
    from bench.run import prepare_database

    prepare_database()
    import django

    django.setup()
    print("| writes | answers | tokens | s | tokens/s | per answer/s | rows |")
    print("|---|---|---|---|---|---|---|")
    for answers in [int(a) for a in args.answers.split(",")]:
        for kind in ("batched", "row per token"):
            if kind != "batched" and answers > 10:
                continue  # minutes, and the point is made
            r = asyncio.run(run(kind, answers, args.tokens))
            print(
                f"| {r['writes']} | {r['answers']} | {r['tokens']} | {r['seconds']} | "
                f"{r['tokens_per_s']:,} | {r['per_answer_per_s']:,} | {r['rows']:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
