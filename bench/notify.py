"""notify() to 10,000 recipients: wall time and queries (bench database),
free-form, and typed with preferences (half the users switched the type
off in the app, a fifth muted the target).

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

    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from django_sse.contrib.notifications.models import Mute, NotificationPreference
    from django_sse.contrib.notifications.types import register_type

    register_type("comment", "Comments", title="{actor} commented on {post}")
    users = list(User.objects.values_list("pk", flat=True))
    post = User.objects.first()
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=pk, type="comment", channel="inapp", enabled=pk % 2 == 0)
            for pk in users
        ]
    )
    Mute.objects.bulk_create(
        [
            Mute(
                user_id=pk,
                target_content_type=ContentType.objects.get_for_model(User),
                target_object_id=str(post.pk),
                until=timezone.now() + timedelta(days=1),
            )
            for pk in users[::5]
        ]
    )
    for attempt in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = notify(
                User.objects.all(),
                "comment",
                context={"actor": "ann", "post": f"p{attempt}"},
                target=post,
            )
            elapsed = time.perf_counter() - started
        print(
            f"typed notify() with preferences to {len(users):,} users -> {len(created):,} "
            f"delivered: {elapsed:.2f} s, {len(queries)} queries"
        )


if __name__ == "__main__":
    main()
