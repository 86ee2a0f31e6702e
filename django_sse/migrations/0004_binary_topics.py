"""Topics compare exactly on every database: MySQL and MariaDB compare
strings without regard to case by default (``_ci`` collations), so
``user:3`` would match ``USER:3``. The topic column gets a binary
collation there; other databases compare exactly already."""

from django.db import migrations

BINARY = {
    "mysql": "ALTER TABLE {table} MODIFY {column} varchar(200) "
    "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
}


def binary_topics(apps, schema_editor):
    sql = BINARY.get(schema_editor.connection.vendor)
    if sql is None:
        return
    Event = apps.get_model("django_sse", "Event")
    quote = schema_editor.quote_name
    schema_editor.execute(sql.format(table=quote(Event._meta.db_table), column=quote("topic")))


class Migration(migrations.Migration):
    atomic = False  # MySQL cannot run DDL in a transaction
    dependencies = [("django_sse", "0003_presence_health")]

    operations = [migrations.RunPython(binary_topics, migrations.RunPython.noop, elidable=False)]
