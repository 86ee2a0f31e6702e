from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
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
            ],
            options={
                "indexes": [models.Index(fields=["topic", "id"], name="django_sse_topic_id")],
            },
        ),
        migrations.CreateModel(
            name="HubPresence",
            fields=[
                ("process", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("topics", models.JSONField(default=dict)),
                ("streams", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name_plural": "hub presence",
            },
        ),
    ]
