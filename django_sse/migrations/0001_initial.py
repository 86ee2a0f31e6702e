"""The event log, its state, the hubs' presence and who views which topic.

Beside the tables, two steps for particular databases:

- PostgreSQL: every INSERT into the event log sends ``NOTIFY django_sse``.
  A trigger (rather than a NOTIFY issued by ``publish()``) wakes listeners
  for rows written by any code path: the ORM, ``bulk_create``, raw SQL or
  another language. The payload is empty on purpose: PostgreSQL folds
  identical notifications of one transaction into one, so a burst of
  10,000 events is a single wake-up, and listeners read the rows themselves.
- MySQL and MariaDB: topics compare exactly on every database, and these
  compare strings without regard to case by default (``_ci`` collations),
  so ``user:3`` would match ``USER:3``. The topic columns get a binary
  collation there; other databases compare exactly already.
"""

from django.db import migrations, models

NOTIFY = """
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

NO_NOTIFY = """
DROP TRIGGER IF EXISTS django_sse_event_notify ON django_sse_event;
DROP FUNCTION IF EXISTS django_sse_notify();
"""

BINARY = {
    "mysql": "ALTER TABLE {table} MODIFY {column} varchar(200) "
    "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
}


def notify_on_insert(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOTIFY)


def no_notify(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_NOTIFY)


def binary_topics(apps, schema_editor):
    sql = BINARY.get(schema_editor.connection.vendor)
    if sql is None:
        return
    quote = schema_editor.quote_name
    for name in ("Event", "Viewer", "ViewedTopic"):
        table = apps.get_model("django_sse", name)._meta.db_table
        schema_editor.execute(sql.format(table=quote(table), column=quote("topic")))


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="HubPresence",
            fields=[
                ("process", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("topics", models.JSONField(default=dict)),
                ("streams", models.PositiveIntegerField(default=0)),
                ("health", models.JSONField(default=dict)),
                ("updated_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name_plural": "hub presence",
            },
        ),
        migrations.CreateModel(
            name="LogState",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("pruned_through", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("topic", models.CharField(max_length=200)),
                ("event", models.CharField(blank=True, max_length=100)),
                ("data", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("trace", models.CharField(blank=True, editable=False, max_length=55, null=True)),
            ],
            options={
                "indexes": [models.Index(fields=["topic", "id"], name="django_sse_topic_id")],
            },
        ),
        migrations.CreateModel(
            name="ViewedTopic",
            fields=[
                ("topic", models.CharField(max_length=200, primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name="Viewer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("process", models.CharField(max_length=200)),
                ("topic", models.CharField(max_length=200)),
                ("user_key", models.CharField(blank=True, max_length=64)),
                ("streams", models.PositiveIntegerField(default=1)),
                ("seen_at", models.DateTimeField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["topic", "seen_at"], name="django_sse_viewer_topic")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("process", "topic", "user_key"), name="django_sse_one_viewer_row"
                    )
                ],
            },
        ),
        # MySQL cannot alter a table inside a transaction.
        migrations.RunPython(
            binary_topics, migrations.RunPython.noop, atomic=False, elidable=False
        ),
        migrations.RunPython(notify_on_insert, no_notify, elidable=False),
    ]
