"""The errors a new user meets say what to do: publishing before
``migrate``, a payload that is not JSON, a contrib app without the core."""

import subprocess
import sys

import pytest
from django.db import DatabaseError, connection

from django_sse import publish, publish_many
from tests.servers import ROOT


class Thing:
    pass


def test_data_that_is_not_json_says_what_to_send():
    with pytest.raises(TypeError, match=r"JSON-serialisable.*\{\"id\": obj\.pk\}"):
        publish("news", {"thing": Thing()})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["publish", "publish_many"])
def test_publishing_before_migrate_says_run_migrate(how):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_sse_event RENAME TO django_sse_event_away")
    try:
        with pytest.raises(DatabaseError, match=r"run `python manage.py migrate`"):
            if how == "publish":
                publish("news", "x")
            else:
                publish_many([("news", "x", None)])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE django_sse_event_away RENAME TO django_sse_event")


@pytest.mark.parametrize("app", ["django_sse.contrib.notifications", "django_sse.contrib.progress"])
def test_a_contrib_app_without_the_core_says_to_add_it(app):
    code = (
        "import django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.auth', "
        f"'django.contrib.contenttypes', {app!r}])\n"
        "django.setup()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured")
    assert 'add "django_sse" to INSTALLED_APPS' in last, last
