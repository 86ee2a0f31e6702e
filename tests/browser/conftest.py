"""Real Chromium (Debian's package) driven by Playwright; no browser download."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
async def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        raise pytest.UsageError("Browser tests need Debian's chromium: apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield launched
        await launched.close()


@dataclass
class Tab:
    page: Page
    errors: list[str] = field(default_factory=list)
    stream_requests: list[str] = field(default_factory=list)

    async def until(self, expression: str, timeout: float = 10.0) -> None:
        """Poll a JS expression until truthy. Not wait_for_function: that
        builds its predicate with eval, which the page's strict CSP blocks."""
        async with asyncio.timeout(timeout):
            while not await self.page.evaluate(expression):
                await asyncio.sleep(0.05)

    async def live(self, timeout: float = 10.0) -> None:
        await self.until("document.documentElement.dataset.sseStatus === 'live'", timeout)


async def open_tab(context: BrowserContext, url: str) -> Tab:
    page = await context.new_page()
    tab = Tab(page)
    page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    page.on("request", lambda r: "/sse/stream/" in r.url and tab.stream_requests.append(r.url))
    await page.goto(url)
    return tab


async def signed_in(browser: Browser, server_url: str, user, **options) -> BrowserContext:
    """A browser context with a real session cookie for ``user``."""

    @sync_to_async
    def session_cookie() -> str:
        from django.test import Client

        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    context = await browser.new_context(**options)
    await context.add_cookies(
        [{"name": "sessionid", "value": await session_cookie(), "url": server_url}]
    )
    return context
