"""Copy django-notifications' (hq's) stored notifications into django-sse's."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from django_sse.contrib.notifications.hq import from_hq
from django_sse.contrib.notifications.models import Notification


def hq_model() -> Any:
    """hq's notification model (swappable there: NOTIFICATIONS_NOTIFICATION_MODEL)."""
    from django.conf import settings

    label = getattr(settings, "NOTIFICATIONS_NOTIFICATION_MODEL", "notifications.Notification")
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        raise CommandError(
            f"No model {label!r}: keep django-notifications ('notifications') in "
            "INSTALLED_APPS until the import is done."
        ) from None


class Command(BaseCommand):
    help = (
        "Copy django-notifications' notifications (read state, actor, verb, action object, "
        "target, description, level, data, deletion, time) into django-sse's, in batches. "
        "Run it again safely: what was copied is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be copied; write nothing."
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *, dry_run: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        model = hq_model()
        rows = model.objects.order_by("pk")
        copied = skipped = 0
        last = None
        while True:
            batch_rows = rows if last is None else rows.filter(pk__gt=last)
            batch = list(
                batch_rows.prefetch_related("actor", "target", "action_object")[:batch_size]
            )
            if not batch:
                break
            last = batch[-1].pk
            done = set(
                Notification.objects.filter(data__hq_id__in=[row.pk for row in batch]).values_list(
                    "data__hq_id", flat=True
                )
            )
            new = [from_hq(row) for row in batch if row.pk not in done]
            skipped += len(batch) - len(new)
            copied += len(new)
            if new and not dry_run:
                with transaction.atomic(using=Notification.objects.db):
                    Notification.objects.bulk_create(new, batch_size=batch_size)
        verb = "Would copy" if dry_run else "Copied"
        self.stdout.write(
            f"{verb} {copied} notification{'s' * (copied != 1)} from "
            f"{model._meta.label}; {skipped} copied before."
        )
