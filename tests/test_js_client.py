"""The npm client (clients/js) and its React hooks, run by Node's test
runner against a real django-sse server (uvicorn) with real users, a job
and notifications; its TypeScript declarations are checked by tsc."""

import shutil
import subprocess

import pytest
from django.test import Client

from django_sse.contrib.notifications import notify
from django_sse.contrib.progress import Progress
from tests.servers import ROOT, Server, npm_client_env
from tests.users import User

PACKAGE = ROOT / "clients" / "js"
CSRF = "a" * 32

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def short_lived_server(test_db_url):
    """Streams end after 2 s: the client must resume from its cursor."""
    srv = Server("uvicorn", test_db_url, DJANGO_SSE_MAX_DURATION="2").start()
    yield srv
    srv.stop()


def test_the_npm_client_and_hooks_against_a_real_server(short_lived_server):
    node = shutil.which("node")
    if node is None or not (PACKAGE / "node_modules").is_dir():
        raise pytest.UsageError(
            "The JS client tests need Node and `make clients/js/node_modules/.installed`."
        )
    user = User.objects.create_user("spa")
    client = Client()
    client.force_login(user)
    job = Progress.create(owner=user, label="export")
    notify(user, "first")
    notify(user, "second")
    # The SPA guide's blocks (test/guide.test.js) sign in as a user of their own.
    reader = User.objects.create_user("guide")
    guide = Client()
    guide.force_login(reader)
    env = dict(
        npm_client_env(),
        SSE_TEST_SERVER=short_lived_server.url,
        SSE_TEST_USER_ID=str(user.pk),
        SSE_TEST_SESSION=client.cookies["sessionid"].value,
        SSE_TEST_CSRF=CSRF,
        SSE_TEST_JOB_ID=str(job.id),
        SSE_TEST_GUIDE_USER_ID=str(reader.pk),
        SSE_TEST_GUIDE_SESSION=guide.cookies["sessionid"].value,
        SSE_TEST_GUIDE_JOB_ID=str(Progress.create(owner=reader, label="guide export").id),
    )
    result = subprocess.run(
        ["npm", "test"], cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 9" in result.stdout, result.stdout


def test_the_packed_client_installs_and_imports_in_an_empty_folder(tmp_path):
    """As the SPA guide says: ``npm pack`` in a checkout's clients/js (which
    holds no built parse.js), then ``npm install`` of the tarball."""
    checkout = tmp_path / "checkout"
    source = checkout / "clients" / "js"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("node_modules", "parse.js"))
    parser = ROOT / "django_sse" / "static" / "django_sse" / "sse-parse.js"
    (checkout / "django_sse" / "static" / "django_sse").mkdir(parents=True)
    shutil.copy(parser, checkout / "django_sse" / "static" / "django_sse")
    packed = subprocess.run(
        ["npm", "pack", "--silent"], cwd=source, capture_output=True, text=True, check=True
    )
    tarball = source / packed.stdout.strip().splitlines()[-1]
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", str(tarball)],
        cwd=app,
        check=True,
        capture_output=True,
    )
    code = (
        'const m = await import("django-sse-hub");'
        'const c = m.createClient({url: "http://127.0.0.1:1/sse/stream/"});'
        "console.log(typeof c.subscribe, m.ANY);"
    )
    ran = subprocess.run(
        ["node", "--input-type=module", "-e", code], cwd=app, capture_output=True, text=True
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "function *", ran.stderr
    readme = (app / "node_modules" / "django-sse-hub" / "README.md").read_text()
    assert "npm pack" in readme
