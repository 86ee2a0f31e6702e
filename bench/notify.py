"""notify() to 10,000 recipients: wall time and queries (bench database).

python bench/notify.py [--users 10000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(BENCH_KIND="sse", DJANGO_SETTINGS_MODULE="bench.site.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    from bench.run import prepare_database

    prepare_database()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_sse.contrib.notifications import notify

    User.objects.bulk_create([User(username=f"n{i}") for i in range(args.users)])
    for attempt in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = notify(
                User.objects.all(), f"Maintenance tonight ({attempt})", level="warning"
            )
            elapsed = time.perf_counter() - started
        print(f"notify() to {len(created):,} recipients: {elapsed:.2f} s, {len(queries)} queries")


if __name__ == "__main__":
    main()
