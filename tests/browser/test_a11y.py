"""The bell for people who do not look at it, or do not use a mouse, in
real Chromium: keyboard, screen-reader announcements, contrast, axe-core,
and the count in a background tab's title and icon, desktop alerts, sound."""

from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from django_sse.contrib.notifications import notify
from django_sse.contrib.notifications.models import Notification, QuietHours
from tests.browser.conftest import open_tab, signed_in
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
LEVELS = ["info", "success", "warning", "error"]


@pytest.fixture
def alice(transactional_db):
    return User.objects.create_user("alice")


async def focused(tab) -> str:
    return await tab.page.evaluate(
        "() => { const el = document.activeElement;"
        " return (el.dataset.action || el.className || el.tagName).toString(); }"
    )


async def bell_page(browser, server, user, query: str = "", **context_options):
    """``/page/`` (or another path) for ``user``, who has a notification of
    every level."""
    await sync_to_async(Notification.objects.bulk_create)(
        [Notification(recipient=user, title=f"Old {level}", level=level) for level in LEVELS]
    )
    context = await signed_in(browser, server.url, user, **context_options)
    path = query if query.startswith("/") else f"/page/{query}"
    tab = await open_tab(context, f"{server.url}{path}")
    await tab.live()
    return context, tab


async def test_the_bell_works_from_the_keyboard(browser, server, alice):
    _, tab = await bell_page(browser, server, alice)
    page = tab.page
    await page.focus(".sse-bell__button")
    await page.keyboard.press("Enter")
    assert await page.get_attribute(".sse-bell__button", "aria-expanded") == "true"
    assert await focused(tab) == "read-all"  # focus moved into the open panel
    controls = await page.evaluate(
        "() => [...document.querySelectorAll('.sse-bell__panel a[href], .sse-bell__panel button')]"
        ".filter((el) => !el.hidden && el.offsetParent).length"
    )
    for _ in range(controls):  # Tab goes round inside the panel, never out of it
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.closest('.sse-bell__panel') !== null")
    assert await focused(tab) == "read-all"
    await page.keyboard.press("Shift+Tab")
    assert await focused(tab) == "dismiss"  # backwards from the first: the last
    await page.keyboard.press("Escape")
    assert await page.is_hidden(".sse-bell__panel")
    assert await focused(tab) == "sse-bell__button"  # focus is back on the bell
    # Focus is visible: an outline of the accent colour on the focused button.
    outline = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert tab.errors == []


async def test_a_new_notification_is_announced_by_the_live_region(browser, server, alice):
    _, tab = await bell_page(browser, server, alice)
    cdp = await tab.page.context.new_cdp_session(tab.page)
    before = (await cdp.send("Accessibility.getFullAXTree"))["nodes"]
    # The region is there before anything is announced: screen readers only
    # announce changes to a live region they already know.
    assert any(
        p["name"] == "live" and p["value"]["value"] == "polite"
        for node in before
        for p in node.get("properties", [])
    )
    await sync_to_async(notify)(alice, "Build 42 failed", level="error")
    await tab.until("document.querySelectorAll('.sse-toast').length === 1")
    tree = (await cdp.send("Accessibility.getFullAXTree"))["nodes"]

    def prop(node, name):
        return next(
            (p["value"]["value"] for p in node.get("properties", []) if p["name"] == name), None
        )

    by_id = {node["nodeId"]: node for node in tree}

    def texts(node) -> list[str]:
        found = []
        for child in node.get("childIds", []):
            child = by_id.get(child)
            if child is None:
                continue
            if child.get("role", {}).get("value") == "StaticText":
                found.append(child.get("name", {}).get("value", ""))
            found += texts(child)
        return found

    regions = [
        node
        for node in tree
        if prop(node, "live") == "polite" and node.get("role", {}).get("value") == "status"
    ]
    assert len(regions) == 1, "one polite status region, present from page load"
    # The level is spoken, not only shown as a colour.
    assert [text.strip() for text in texts(regions[0])] == ["Error:", "Build 42 failed"]
    assert (
        await tab.page.get_attribute(".sse-bell__button", "aria-label") == "Notifications, 5 unread"
    )


async def test_every_level_reads_at_wcag_aa_contrast(browser, server, alice):
    context, tab = await bell_page(browser, server, alice)
    for level in LEVELS:
        await sync_to_async(notify)(alice, f"New {level}", level=level)
    await tab.until("document.querySelectorAll('.sse-toast').length === 4")
    await tab.page.click(".sse-bell__button")
    await tab.page.click("[data-action=toggle-read] >> nth=0")  # one read item too
    await tab.until("document.querySelector('.sse-bell__item[data-read=true]') !== null")
    ratios = await tab.page.evaluate(
        """() => {
          const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
          const lum = (c) => {
            const [r, g, b] = rgb(c).map((v) => {
              v /= 255;
              return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const background = (el) => {
            for (; el; el = el.parentElement) {
              const c = getComputedStyle(el).backgroundColor;
              if (!c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
            }
            return "rgb(255, 255, 255)";
          };
          const selector = ".sse-toast, .sse-bell__title, .sse-bell__body,"
            + " .sse-bell__actions button, .sse-bell__head button, .sse-bell__count";
          const shown = [...document.querySelectorAll(selector)].filter((el) => el.offsetParent);
          return shown.map((el) => {
            const style = getComputedStyle(el);
            const [a, b] = [lum(style.color), lum(background(el))].sort((x, y) => y - x);
            return { what: `${el.className} ${el.textContent.trim().slice(0, 20)}`,
                     ratio: (a + 0.05) / (b + 0.05), opacity: Number(style.opacity) };
          });
        }"""
    )
    assert len(ratios) > 10
    failing = [r for r in ratios if r["ratio"] < 4.5 or r["opacity"] < 1]
    assert failing == [], failing
    await context.close()


async def axe_violations(tab) -> list[dict]:
    await tab.page.add_script_tag(content=AXE.read_text())
    return await tab.page.evaluate(
        "async () => { const r = await axe.run(document, { resultTypes: ['violations'] });"
        " return r.violations.map((v) => ({ id: v.id, impact: v.impact,"
        " where: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })); }"
    )


async def test_axe_finds_no_serious_violation_on_the_bell(browser, server, alice):
    # The page's strict CSP would refuse the injected engine.
    context, tab = await bell_page(browser, server, alice, bypass_csp=True)
    await sync_to_async(notify)(alice, "Fresh", level="warning")
    await tab.until("document.querySelectorAll('.sse-toast').length === 1")
    await tab.page.click(".sse-bell__button")  # the open panel is checked too
    serious = [v for v in await axe_violations(tab) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    await context.close()


@pytest.mark.parametrize("path", ["/widgets-page/", "/dashboard-page/"])
async def test_axe_finds_no_serious_violation_on_every_widget(browser, server, alice, path):
    from django_sse.contrib.notifications.models import Announcement
    from django_sse.contrib.progress import Progress

    running = await sync_to_async(Progress.start)(owner=alice, label="Export")
    done = await sync_to_async(Progress.start)(owner=alice, label="Import")
    await sync_to_async(done.succeed)(result={"url": "/done/"})
    await sync_to_async(Announcement.objects.create)(title="Maintenance at noon", url="/m/")
    context, tab = await bell_page(browser, server, alice, path)
    serious = [v for v in await axe_violations(tab) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    await sync_to_async(running.succeed)()
    await context.close()


async def test_a_background_tab_shows_the_count_in_its_title_and_icon(browser, server, alice):
    context, tab = await bell_page(browser, server, alice)
    page = tab.page
    assert await page.title() == "(4) django-sse test page"
    badge = "document.querySelector('link[rel~=icon]')?.dataset.sseBadge"
    await tab.until(f"{badge} === '4'")
    assert (await page.get_attribute("link[rel~=icon]", "href")).startswith("data:image/png")
    await sync_to_async(notify)(alice, "One more")
    await tab.until("document.title === '(5) django-sse test page'")
    await tab.until(f"{badge} === '5'")
    await page.click(".sse-bell__button")
    await page.click("[data-action=read-all]")
    await tab.until("document.title === 'django-sse test page'")
    await tab.until(f"{badge} === '0'")
    assert await page.get_attribute("link[rel~=icon]", "href") is None  # the page had none
    await context.close()


async def test_desktop_alerts_and_sound_only_when_asked_for(browser, server, alice):
    context, tab = await bell_page(browser, server, alice, "?attention=1")
    page = tab.page
    # Nothing asked for on load: the permission is still the default.
    assert await page.evaluate("Notification.permission") == "default"
    await page.click(".sse-bell__button")
    assert await page.is_visible("[data-action=desktop]")
    await context.grant_permissions(["notifications"])
    await page.click("[data-action=desktop]")  # a user gesture asks
    await tab.until("document.querySelector('[data-action=desktop]').hidden")
    await page.evaluate(
        """() => {
          window.shown = [];
          const Real = window.Notification;
          window.Notification = class extends Real {
            constructor(title, options) { super(title, options); window.shown.push(title); }
          };
          Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
        }"""
    )
    await sync_to_async(notify)(alice, "While you were away")
    await tab.until("window.shown.length === 1")
    assert await page.evaluate("window.shown") == ["While you were away"]
    beeps = "document.querySelector('.sse-bell').sseWidget.attention.beeps"
    assert await page.evaluate(beeps) == 1  # the clicks above let it play
    # In her quiet hours: it is listed, without an alert or a sound.
    now = timezone.now()
    await QuietHours.objects.acreate(
        user=alice,
        starts=(now - timedelta(minutes=30)).time(),
        ends=(now + timedelta(minutes=30)).time(),
    )
    await sync_to_async(notify)(alice, "At night")
    items = "[...document.querySelectorAll('.sse-bell__item')].map((li) => li.textContent)"
    await tab.until(f"{items}.some((text) => text.includes('At night'))")
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.shown") == ["While you were away"]
    assert await page.evaluate(beeps) == 1
    await context.close()
