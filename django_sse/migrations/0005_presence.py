from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_sse", "0004_task_progress"),
    ]

    operations = [
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
        migrations.CreateModel(
            name="SamplerLease",
            fields=[
                ("name", models.CharField(max_length=300, primary_key=True, serialize=False)),
                ("next_run", models.DateTimeField()),
            ],
        ),
    ]
