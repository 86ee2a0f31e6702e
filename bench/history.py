"""The notification history of one user with 1,000,000 notifications: the
queries of a page (first, deep in the history by cursor, unread only, a
rare level) and of the unread count, each timed and explained by
PostgreSQL (EXPLAIN ANALYZE: which index, how many rows read).

    bench/.env/bin/python bench/history.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import RESULTS, ROOT, env_for, prepare_database  # noqa: E402

SCRIPT = r"""
import json, sys, time
from django.contrib.auth.models import User
from django.db import connection
from django_sse.contrib.notifications.models import UNREAD_CAP, Notification

rows = int(sys.argv[1])
user, _ = User.objects.get_or_create(username="reader")
other, _ = User.objects.get_or_create(username="other")
table = Notification._meta.db_table
started = time.monotonic()
with connection.cursor() as cursor:
    # 1 in 10 unread, 1 in 1,000 an error; another user's rows in between.
    cursor.execute(
        f'''INSERT INTO {table} (recipient_id, title, body, level, url, data, created_at,
                                 read_at, deleted)
            SELECT CASE WHEN i %% 50 = 0 THEN %s ELSE %s END, 'n' || i, '',
                   CASE WHEN i %% 1000 = 0 THEN 'error' ELSE 'info' END, '', '{{}}', now(),
                   CASE WHEN i %% 10 = 0 THEN NULL ELSE now() END, false
            FROM generate_series(1, %s) AS i''',
        [other.pk, user.pk, rows],
    )
    cursor.execute(f"ANALYZE {table}")
loaded = time.monotonic() - started
mine = Notification.objects.filter(recipient=user)
middle = mine.order_by("id").values_list("id", flat=True)[mine.count() // 2]


def explain(queryset):
    plan = json.loads(queryset.explain(format="json", analyze=True))[0]
    nodes, stack = [], [plan["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node.get("Index Name") or node["Node Type"])
        stack += node.get("Plans", [])
    return {"ms": round(plan["Execution Time"], 2), "plan": nodes}


def timed(run):
    times = []
    for _ in range(5):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return round(sorted(times)[2], 2)


def page(query):
    qs = mine.history(**query)[:21]
    return {**explain(qs), "wall_ms_median_of_5": timed(lambda: list(qs.all()))}


def explain_count(queryset):
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM ({sql}) AS q", params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node.get("Index Name") or node["Node Type"])
        stack += node.get("Plans", [])
    return {"ms": round(plan[0]["Execution Time"], 2), "plan": nodes}


base = {"before": None, "unread": False, "level": None}
result = {
    "rows_for_the_user": mine.count(),
    "load_s": round(loaded, 1),
    "first page": page(base),
    "deep page (cursor at the middle)": page({**base, "before": middle}),
    "unread only": page({**base, "unread": True}),
    "unread only, deep": page({**base, "unread": True, "before": middle}),
    "level=error (1 in 1,000)": page({**base, "level": "error"}),
    "level=error, deep": page({**base, "level": "error", "before": middle}),
    "unread count, exact": {
        **explain_count(mine.unread()),
        "wall_ms_median_of_5": timed(lambda: mine.unread().count()),
        "value": mine.unread().count(),
    },
    "unread count, capped (what pages use)": {
        **explain_count(mine.unread()[:UNREAD_CAP]),
        "wall_ms_median_of_5": timed(mine.unread_count),
        "value": mine.unread_count(),
    },
}
print(json.dumps(result))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    prepare_database()
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SCRIPT, str(args.rows)],
        env=env_for("sse"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(out.stderr)
    result = json.loads(out.stdout)
    print(json.dumps(result, indent=1))
    os.makedirs(RESULTS, exist_ok=True)
    (RESULTS / "history.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
