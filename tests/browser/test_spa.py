"""The SPA guide's front end on another origin of the same site
(app.example.localhost), as the guide writes it, against the API
(api.example.localhost): the session cookie and CSRF token get a stream
token through CORS, and the private stream is live. An origin that is not
in DJANGO_SSE_CORS_ORIGINS gets nothing."""

import subprocess

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from tests.browser.conftest import open_tab, signed_in
from tests.servers import ROOT, Server, npm_client_env
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def spa_server(test_db_url):
    subprocess.run(
        ["node", "build.js"], cwd=ROOT / "clients" / "js", env=npm_client_env(), check=True
    )
    srv = Server("uvicorn", test_db_url)
    origin = f"http://app.example.localhost:{srv.port}"
    srv.env.update(DJANGO_SSE_CORS_ORIGINS=origin, CSRF_TRUSTED_ORIGINS=origin)
    srv.start()
    yield srv
    srv.stop()


async def front_end(browser, spa_server, user, host):
    api = f"http://api.example.localhost:{spa_server.port}"
    context = await signed_in(browser, api, user)
    url = f"http://{host}:{spa_server.port}/spa-page/?api={api}&me={user.pk}"
    return context, await open_tab(context, url), f"user:{user.pk}"


async def test_a_front_end_on_an_allowed_origin_streams_with_a_token(browser, spa_server):
    user = await User.objects.acreate(username="spa-user")
    context, tab, topic = await front_end(browser, spa_server, user, "app.example.localhost")
    await tab.until("window.spa?.status === 'live'")
    await sync_to_async(publish)(topic, {"n": 1}, event="notification")
    await tab.until("window.got.length === 1")
    assert await tab.page.evaluate("window.got") == [{"n": 1}]
    assert tab.errors == []
    stream = [url for url in tab.stream_requests if "token=" in url]
    assert stream and "api.example.localhost" in stream[0]
    await context.close()


async def test_an_origin_not_allowed_gets_no_token(browser, spa_server):
    user = await User.objects.acreate(username="spa-other")
    context, tab, topic = await front_end(browser, spa_server, user, "evil.example.localhost")
    await tab.page.wait_for_timeout(1500)
    assert await tab.page.evaluate("window.spa?.status") != "live"
    assert await tab.page.evaluate("window.got") == []
    assert not [url for url in tab.stream_requests if "token=" in url]
    await context.close()
