"""On PostgreSQL, every INSERT into the event log sends ``NOTIFY django_sse``.

A trigger (rather than a NOTIFY issued by ``publish()``) wakes listeners for
rows written by any code path: the ORM, ``bulk_create``, raw SQL or another
language. The payload is empty on purpose: PostgreSQL folds identical
notifications of one transaction into one, so a burst of 10,000 events is a
single wake-up, and listeners read the rows themselves.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION django_sse_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('django_sse', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER django_sse_event_notify
AFTER INSERT ON django_sse_event
FOR EACH STATEMENT EXECUTE FUNCTION django_sse_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS django_sse_event_notify ON django_sse_event;
DROP FUNCTION IF EXISTS django_sse_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("django_sse", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
