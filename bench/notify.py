"""notify() to 10,000 recipients: wall time and queries (bench database),
free-form, and typed with preferences (half the users switched the type
off in the app, a fifth muted the target); then with web push on (each
user one subscribed browser), and how fast the outbox is sent to a local
push service in another process that checks and decrypts every message.

python bench/notify.py [--users 10000] [--pushes 2000]
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
    parser.add_argument("--pushes", type=int, default=2_000)
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
    web_push(users, args.pushes)


# The local push service (tests/push_service.py) in a process of its own:
# it makes the subscriptions, prints them, serves until stdin closes, then
# prints how many messages it took and refused.
SERVICE = """
import json, sys
from tests.push_service import PushService
service = PushService().start()
key, count = sys.argv[1], int(sys.argv[2])
print(json.dumps([service.subscribe(key).as_json() for _ in range(count)]), flush=True)
sys.stdin.read()
print(json.dumps({"delivered": len(service.delivered), "refused": len(service.refused)}))
"""


def web_push(users: list[int], pushes: int) -> None:
    import json
    import subprocess

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_sse.contrib.notifications import notify
    from django_sse.contrib.notifications.models import PushMessage, PushSubscription
    from django_sse.contrib.notifications.push import keys as push_keys
    from django_sse.contrib.notifications.push import sending as push_sending
    from tests.push_service import PUSH_SETTINGS

    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)
    settings.DJANGO_SSE_PUSH_POLICY = "always"
    settings.DJANGO_SSE_PUSH_SENDER = "command"  # sent below, timed on its own
    root = Path(__file__).resolve().parent.parent
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE, push_keys.application_server_key(), str(len(users))],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert service.stdout is not None and service.stdin is not None
    made = json.loads(service.stdout.readline())
    PushSubscription.objects.bulk_create(
        [
            PushSubscription(
                user_id=pk,
                endpoint=m["endpoint"],
                p256dh=m["keys"]["p256dh"],
                auth=m["keys"]["auth"],
            )
            for pk, m in zip(users, made, strict=True)
        ],
        batch_size=1000,
    )
    for attempt in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            notify(User.objects.all(), f"Deploy {attempt} finished")
            elapsed = time.perf_counter() - started
        queued = PushMessage.objects.count()
        print(
            f"notify() with web push to {len(users):,} users ({queued:,} messages queued): "
            f"{elapsed:.2f} s, {len(queries)} queries"
        )
        PushMessage.objects.all().delete()
    notify(User.objects.filter(pk__in=users[:pushes]), "Pushed")
    started = time.perf_counter()
    taken = push_sending.send_all()
    elapsed = time.perf_counter() - started
    service.stdin.close()
    counts = json.loads(service.stdout.readline())
    service.wait(10)
    print(
        f"sent {taken:,} pushes in {elapsed:.2f} s ({taken / elapsed:,.0f}/s, "
        f"{push_sending.CONCURRENCY} posts at once); the push service took "
        f"{counts['delivered']:,}, refused {counts['refused']}"
    )


if __name__ == "__main__":
    main()
