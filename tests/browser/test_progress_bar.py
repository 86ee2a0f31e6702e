"""The progress bar in real Chromium, driven by a job in a worker process."""

import pytest
from asgiref.sync import sync_to_async

from django_sse.contrib.progress import Progress
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

BAR = "document.querySelector('.sse-progress')"


@pytest.fixture
def owner(transactional_db):
    return User.objects.create_user("owner")


async def open_job(browser, server, owner):
    job = await sync_to_async(Progress.create)(owner=owner, label="Quarterly report")
    context = await signed_in(browser, server.url, owner)
    tab = await open_tab(context, f"{server.url}/progress-page/{job.id}/")
    await tab.live()
    return job, tab


async def test_bar_moves_and_ends_in_success(browser, server, owner, start_worker):
    job, tab = await open_job(browser, server, owner)
    assert await tab.page.evaluate(f"{BAR}.dataset.status") == "pending"
    worker = await start_worker(server.db_url, job.id, 12, 0.15)
    await tab.until(f"{BAR}.querySelector('progress').value > 20")
    assert await tab.page.evaluate(f"{BAR}.dataset.status") == "running"
    assert "Step" in await tab.page.text_content(".sse-progress__stage")
    await tab.until(f"{BAR}.dataset.status === 'succeeded'", timeout=20)
    assert await tab.page.evaluate(f"{BAR}.querySelector('progress').value") == 100
    assert await tab.page.get_attribute(".sse-progress__result", "href") == "/reports/1/"
    assert await tab.page.is_hidden(".sse-progress__cancel")
    assert worker.wait(10) == 0
    assert tab.errors == []


async def test_failing_job_shows_its_error_as_text(browser, server, owner, start_worker):
    job, tab = await open_job(browser, server, owner)
    worker = await start_worker(server.db_url, job.id, 6, 0.1, "fail")
    await tab.until(f"{BAR}.dataset.status === 'failed'", timeout=20)
    assert await tab.page.text_content(".sse-progress__error") == "disk full <b>really</b>"
    assert await tab.page.locator(".sse-progress__error b").count() == 0
    assert worker.wait(10) != 0


async def test_cancel_button_stops_the_job(browser, server, owner, start_worker):
    job, tab = await open_job(browser, server, owner)
    worker = await start_worker(server.db_url, job.id, 200, 0.1)
    await tab.until(f"{BAR}.dataset.status === 'running'")
    async with tab.page.expect_response(lambda r: r.url.endswith("/cancel/")) as answer:
        await tab.page.click(".sse-progress__cancel")
    assert (await answer.value).status == 200
    await tab.until(f"{BAR}.dataset.status === 'cancelled'", timeout=20)
    assert await tab.page.text_content(".sse-progress__state") == "Cancelled"
    assert worker.wait(10) == 0
