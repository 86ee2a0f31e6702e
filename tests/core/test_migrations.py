from io import StringIO

import pytest
from django.core.management import call_command

APPS = ["django_sse", "sse_notifications", "sse_progress", "sse_dashboards"]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", *APPS, "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_one_migration_per_app_before_the_first_release():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = {app: sorted(n for a, n in loader.disk_migrations if a == app) for app in APPS}
    assert names == {app: ["0001_initial"] for app in APPS}


@pytest.mark.django_db
def test_notify_trigger_is_installed_on_postgres():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = 'django_sse_event_notify'")
        assert cursor.fetchall() == [("django_sse_event_notify",)]
