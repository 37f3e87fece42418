"""The other pages in Chromium with axe-core: the widget on a hostile third-party page (isolated
styles, full screen on a phone, ×, Esc, aria-expanded, the unread badge), the feedback form by
keyboard only (errors tied to their fields, focus on the first), the knowledge editor (ranked
search, Markdown preview, long texts wrap, sign-out) and analytics (titles, no sideways scroll)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Frame, Page, expect

from intents.replies import Incoming
from kernel.clock import utcnow

from .conftest import ADMIN_PASSWORD, AgentAccount, Server, new_agent
from .test_browser_flow import NewContext, new_context, open_console
from .test_chat_ui import DESKTOP, PHONE, assert_axe_clean, picture

pytestmark = [pytest.mark.timeout(240), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
__all__ = ["new_context"]  # the fixture, used here too

HOSTILE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  iframe { display: block !important; width: 10px !important; height: 10px !important; position: static !important; }
  button { all: unset !important; color: red !important; font-size: 40px !important; }
  * { font-family: serif !important; letter-spacing: 3px !important; }
  div { display: none !important; }
  .buy { position: fixed; right: 10px; bottom: 10px; }
</style></head>
<body><main><h1>Our shop</h1><p>Hello.</p><a class="buy" href="#buy">Buy</a></main>
<script src="{url}/widget.js" data-lang="en" data-position="left" data-color="#0b57d0"></script></body></html>"""


async def chat_frame(page: Page) -> Frame:
    for _ in range(300):  # the widget's frame, once it has navigated to the chat
        found = [f for f in page.frames if "/chat?embed=1" in f.url]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no chat frame among {[f.url for f in page.frames]}")


async def test_widget_on_a_hostile_page_on_a_phone(server: Server, new_context: NewContext) -> None:
    context = await new_context()
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    # a third-party site on an origin of its own (another port), with hostile CSS
    async def front_page(request: web.Request) -> web.Response:
        return web.Response(text=HOSTILE.replace("{url}", server.url), content_type="text/html")

    shop = web.Application()
    shop.router.add_get("/", front_page)
    shop_server = TestServer(shop, host="127.0.0.1")
    await shop_server.start_server()
    try:
        await widget_journey(server, page, str(shop_server.make_url("/")))
    finally:
        await shop_server.close()


async def widget_journey(server: Server, page: Page, shop_url: str) -> None:
    await page.goto(shop_url)
    host = page.locator("[data-supportbot-widget]")
    launcher = host.locator("button.launcher")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(launcher).to_have_text("Support chat")
    box = await launcher.bounding_box()
    assert box and box["x"] < PHONE["width"] / 2  # data-position="left"
    assert await launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 87, 208)"  # data-color
    await assert_axe_clean(page)

    # open: the whole screen, the host's rules do not reach the frame
    await launcher.click()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    panel = host.locator(".panel")
    await expect(panel).to_be_visible()
    assert await panel.bounding_box() == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    frame_box = await host.locator("iframe").bounding_box()
    assert frame_box and frame_box["width"] == PHONE["width"] and frame_box["height"] > PHONE["height"] - 60
    chat = await chat_frame(page)
    await chat.wait_for_selector("body[data-ready='1']")
    await expect(chat.locator("#messages li.greeting")).to_have_count(1)
    await expect(host.locator("button.close")).to_have_attribute("aria-label", "Close the chat")

    # Esc inside the chat closes it; the × too
    await chat.locator("#input").focus()
    await page.keyboard.press("Escape")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(panel).to_be_hidden()
    await launcher.click()
    await host.locator("button.close").click()
    await expect(panel).to_be_hidden()

    # a reply while it is closed: a badge on the launcher, gone once opened
    visitor = (await chat.evaluate("localStorage.getItem('sb_visitor')")).split(".", 1)[0]
    conversation = server.conversation_of(visitor)
    await server.runtime.conversations.add_message(conversation, "agent", "Мы перезвоним вам", utcnow(), author="Оля")
    server.runtime.events.publish(f"conv:{conversation}", {"type": "message"})
    await expect(host.locator(".badge")).to_have_text("1")
    await expect(launcher).to_have_attribute("aria-label", "Support chat, 1 new replies")
    await launcher.click()
    await expect(host.locator(".badge")).to_be_hidden()
    await expect(chat.locator("#messages li.agent .text")).to_have_text("Мы перезвоним вам")


async def test_feedback_form_by_keyboard_only(server: Server, new_context: NewContext) -> None:
    page = await (await new_context()).new_page()
    await page.set_viewport_size(PHONE)
    await page.goto(server.url + "/feedback")
    await page.wait_for_selector("body[data-ready='1']")
    await assert_axe_clean(page)
    await page.locator("#phone").focus()
    await page.keyboard.type("12345")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Ирина")
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the first region
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the first topic
    await page.keyboard.press("Tab")
    await page.keyboard.type("Не работает мобильный интернет с утра")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "submit"
    await page.keyboard.press("Enter")
    # the error is tied to its field and the focus goes there
    await expect(page.locator("#e-phone")).to_have_text("Укажите номер мобильного в формате +7 900 123-45-67.")
    await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#phone")).to_have_attribute("aria-describedby", "e-phone")
    assert await page.evaluate("document.activeElement.id") == "phone"
    await expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    await assert_axe_clean(page)
    await page.keyboard.press("Control+a")
    await page.keyboard.type("+7 900 555-12-34")
    await page.keyboard.press("Enter")
    await expect(page.locator("#done")).to_be_visible()
    await expect(page.locator("#done")).to_contain_text("+79005551234")


async def test_editor_and_analytics_pages(server: Server, new_context: NewContext) -> None:
    editor = await new_agent(server, name="Вера Редакторова", role="editor")
    context = await new_context()
    page = await context.new_page()
    await page.set_viewport_size(DESKTOP)
    await page.goto(server.url + "/console/login")
    await assert_axe_clean(page)  # the sign-in page too
    await page.fill("input[name=login]", editor.login)
    await page.fill("input[name=password]", editor.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(server.url + "/console")

    # a long unbroken message the bot did not understand: it wraps on the Unanswered page
    long = "а" * 600
    await server.runtime.core.handle(Incoming(channel="web", user_id="v-long", chat_id="v-long", text=long))

    await page.goto(server.url + "/editor")
    await page.wait_for_selector("body[data-ready='1']")
    await page.fill("#search", "611")
    await expect(page.locator("#entries li").first).to_have_attribute("data-id", "support-611")  # ranked
    await page.locator("#entries li").first.click()
    await expect(page.locator("#f-id")).to_have_value("support-611")
    await expect(page.locator("#preview-text strong").first).to_have_text("611")  # Markdown, not **611**
    assert "**" not in await page.locator("#preview-text").inner_text()
    await expect(page.locator("#logout button")).to_have_text("Sign out")
    await assert_axe_clean(page)
    await picture(page, "editor")
    await page.click("#tabs button[data-tab='unanswered']")
    await expect(page.locator("#unanswered li", has_text=long[:50])).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert await page.evaluate("document.documentElement.scrollHeight") < 4000
    await assert_axe_clean(page)

    # analytics: entry titles on the chart, every label, nothing wider than a phone
    await page.goto(server.url + "/analytics")
    await page.wait_for_selector("body[data-ready='1']")
    labels = await page.evaluate("Chart.getChart('c-entries').data.labels")
    data = await (await page.request.get(server.url + "/api/analytics")).json()
    assert labels == [e["title"] for e in data["top_entries"]]
    assert all(e["title"] != e["entry"] for e in data["top_entries"] if e["entry"] in server.runtime.knowledge.kb.by_id)
    assert await page.evaluate("Chart.getChart('c-entries').options.scales.y.ticks.autoSkip") is False
    per_day = [sum(counts) for counts in zip(*data["conversations"].values(), strict=True)] or [0] * len(data["days"])
    assert all(rate is None for rate, n in zip(data["handoff_rate"], per_day, strict=True) if n == 0)  # a gap, not 0
    await expect(page.locator("#logout button")).to_have_text("Sign out")
    await assert_axe_clean(page)
    await page.set_viewport_size(PHONE)
    width = 0
    for _ in range(100):  # the charts resize to the new width
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width <= PHONE["width"]:
            break
        await asyncio.sleep(0.05)
    assert width <= PHONE["width"]


async def test_admin_console_tabs_and_canned_replies(server: Server, new_context: NewContext) -> None:
    admin = AgentAccount(1, "admin", "Administrator", "admin", ADMIN_PASSWORD)
    console = await open_console(await new_context(), server, admin)
    await console.set_viewport_size(DESKTOP)
    await expect(console.locator("#queue-empty, #queue li").first).to_be_visible()
    await assert_axe_clean(console)  # the queue (empty or not)

    # canned replies: an admin adds one in English; agents get it in English conversations
    await console.click("#tabs button[data-tab='canned']")
    await expect(console.locator("#canned-table tbody tr").first).to_be_visible()
    form = console.locator("#canned-form")
    await form.locator("select[name=lang]").select_option("en")
    await form.locator("input[name=title]").fill("Refund time")
    await form.locator("textarea[name=text]").fill("A refund reaches your card within **3 working days**.")
    await form.locator("button[type=submit]").click()
    row = console.locator("#canned-table tbody tr", has_text="Refund time")
    await expect(row.locator("td").first).to_have_text("English")
    await assert_axe_clean(console)
    await row.get_by_role("button", name="Delete Refund time (en)").click()
    await expect(row).to_have_count(0)

    for tab in ("agents", "tickets", "search", "ratings"):
        await console.click(f"#tabs button[data-tab='{tab}']")
        await expect(console.locator(f"#tab-{tab}")).to_be_visible()
        await expect(console.locator(f"#tabs button[data-tab='{tab}']")).to_have_attribute("aria-current", "page")
        await assert_axe_clean(console)
