"""{% sse_jobs %} in real Chromium: three jobs in worker processes, live on
one page over its one stream, through a reload and a network drop."""

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.progress import Progress
from tests.browser.conftest import open_tab, signed_in
from tests.servers import Server
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

BARS = "[...document.querySelectorAll('.sse-jobs__list .sse-progress')]"


@pytest.fixture
def owner(transactional_db):
    return User.objects.create_user("owner")


async def bars(tab) -> list[dict]:
    return await tab.page.evaluate(
        f"""() => {BARS}.map((bar) => ({{
            label: bar.querySelector('.sse-progress__label').textContent,
            status: bar.dataset.status,
            value: bar.querySelector('progress').value,
            topic: bar.dataset.sseTopic,
            link: bar.querySelector('.sse-progress__result').getAttribute('href'),
        }}))"""
    )


async def test_three_live_bars_survive_a_reload_and_a_network_drop(
    browser, test_db_url, owner, start_worker
):
    server = Server("uvicorn", test_db_url).start()  # its own: the test cuts it off
    try:
        await three_live_bars(browser, server, owner, start_worker)
    finally:
        server.stop()


async def three_live_bars(browser, server, owner, start_worker):
    other = await sync_to_async(User.objects.create_user)("other")
    create = sync_to_async(Progress.create)
    old = [await create(owner=owner, label=f"Old {i}") for i in range(3)]
    for job in old:
        await sync_to_async(job.succeed)()
    await create(owner=other, label="Not mine")
    first = await create(owner=owner, label="First")
    second = await create(owner=owner, label="Second")

    context = await signed_in(browser, server.url, owner)
    tab = await open_tab(context, f"{server.url}/jobs-page/")
    await tab.live()
    # Two pending jobs and the two newest finished ones (limit=2); never another user's.
    assert [bar["label"] for bar in await bars(tab)] == ["Second", "First", "Old 2", "Old 1"]

    third = await create(owner=owner, label="Third")  # started after the page was rendered
    await tab.until(f"{BARS}.length === 5")
    assert (await bars(tab))[0]["label"] == "Third"

    workers = [await start_worker(server.db_url, job.id, 60, 0.1) for job in (first, second, third)]
    moving = "bar.querySelector('progress').value > 10"
    await tab.until(f"{BARS}.slice(0, 3).every((bar) => {moving})", 20)
    # One stream carries every live bar.
    assert all(t in tab.stream_requests[-1] for t in ("jobs%3A", str(third.id), str(first.id)))

    before = {bar["label"]: bar["value"] for bar in await bars(tab)}
    await tab.page.reload()
    await tab.live()
    after = await bars(tab)
    assert [bar["label"] for bar in after][:3] == ["Third", "Second", "First"]
    for bar in after[:3]:  # rendered at their current state, not from zero
        assert bar["value"] >= before[bar["label"]] and bar["status"] == "running"

    server.stop(kill=True)  # the network drops: no goodbye to the browser
    await tab.until("document.documentElement.dataset.sseStatus !== 'live'", 10)
    server.start()  # same port
    await tab.live(20)
    await tab.until(f"{BARS}.slice(0, 3).every((bar) => bar.dataset.status === 'succeeded')", 30)
    done = await bars(tab)
    assert [bar["value"] for bar in done[:3]] == [100, 100, 100]
    assert [bar["link"] for bar in done[:3]] == ["/reports/1/"] * 3
    assert len(done) == 5  # nothing shown twice
    for worker in workers:
        assert worker.wait(10) == 0
    # The only console errors are Chromium's notes on the drop: the stream it
    # cut, and a reconnect tried while the server was down.
    expected = ("net::ERR_INCOMPLETE_CHUNKED_ENCODING", "net::ERR_CONNECTION_REFUSED")
    assert [e for e in tab.errors if not e.endswith(expected)] == []


async def test_the_admin_page_of_a_job_refreshes_live(browser, server, owner, start_worker):
    staff = await sync_to_async(User.objects.create_superuser)("boss", "boss@example.com", "x")
    job = await sync_to_async(Progress.create)(owner=owner, label="Nightly export")
    context = await signed_in(browser, server.url, staff)
    tab = await open_tab(context, f"{server.url}/admin/sse_progress/taskprogress/{job.id}/change/")
    await tab.live()
    bar = "document.querySelector('.sse-progress')"
    assert await tab.page.evaluate(f"{bar}.dataset.status") == "pending"
    worker = await start_worker(server.db_url, job.id, 20, 0.1)
    await tab.until(f"{bar}.querySelector('progress').value > 10", 20)
    await tab.until(f"{bar}.dataset.status === 'succeeded'", 20)
    assert await tab.page.text_content(".sse-progress__state") == "Done"
    assert worker.wait(10) == 0
    assert tab.errors == []
