from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_sse", "0004_binary_topics"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="trace",
            field=models.CharField(blank=True, editable=False, max_length=55, null=True),
        ),
    ]
