"""The web chat as a subscriber sees it, in Chromium at a desktop (1366×800) and a phone (390×844)
size: the greeting with topics, a pressed button's title as what the subscriber said, times and
delivery states, the bot typing, Markdown lists and links, bubbles sized to their text, the
latest message in view, "start over", a message sent while offline kept and delivered after the
reconnect (once), the queue's honest wait with the form offer; axe-core on every page state."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, WebSocketRoute, expect
from servers import AppServer

from supportbot.runtime import IndexCache

from .conftest import Server
from .test_browser_flow import NewContext, chat_say, conversation_of, new_context

pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
__all__ = ["new_context"]  # the fixture, used here too

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# the README's pictures are taken when asked for (they change with every run: times, ids), so
# that a test run leaves the working tree clean: SUPPORTBOT_SCREENSHOTS=1 pytest tests/webui -n0
TAKE_SCREENSHOTS = os.environ.get("SUPPORTBOT_SCREENSHOTS") == "1"
DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


async def axe_violations(page: Page, frame_selector: str | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules)."""
    assert AXE.exists(), "axe-core is missing: run scripts/setup (it installs the npm package into .cache/npm)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text() + "\n;void 0")  # not a <script> tag: the pages' CSP forbids inline scripts
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def picture(page: Page, name: str, full_page: bool = False) -> None:
    """A picture of the page for the README (docs/screenshots/NAME.png), when asked for."""
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


async def assert_axe_clean(page: Page) -> None:
    bad = await axe_violations(page)
    assert bad == [], bad


async def open_chat_at(context: BrowserContext, server: Server, size: dict[str, int], query: str = "") -> Page:
    page = await context.new_page()
    await page.set_viewport_size(size)
    await page.goto(server.url + "/chat" + query)
    await page.wait_for_selector("body[data-ready='1']")
    return page


async def latest_in_view(page: Page) -> bool:
    return await page.evaluate("""() => {
        const box = document.getElementById('messages');
        const last = box.lastElementChild;
        if (!last) return true;
        const b = box.getBoundingClientRect(), r = last.getBoundingClientRect();
        return r.bottom <= b.bottom + 2 && r.top >= b.top - 2;
    }""")


async def watch_typing(page: Page) -> None:
    await page.evaluate("""() => {
        window.__typing = [];
        const box = document.getElementById('typing');
        new MutationObserver(() => { if (!box.hidden) window.__typing.push(box.textContent); })
            .observe(box, {attributes: true, childList: true, characterData: true, subtree: true});
    }""")


async def test_chat_journey_on_a_desktop(server: Server, new_context: NewContext) -> None:
    context = await new_context()
    sub = await open_chat_at(context, server, DESKTOP)

    # the greeting with topic buttons, before anything is said
    greeting = sub.locator("#messages li.greeting")
    await expect(greeting).to_have_count(1)
    await expect(greeting.locator(".text")).to_contain_text("Здравствуйте! Я бот поддержки Tele2")
    topics = sub.locator("#buttons button.choice")
    assert await topics.count() >= 3
    await expect(topics.last).to_have_text("Связаться с оператором")
    await expect(sub.locator("#input-label")).to_have_text("Сообщение")
    await expect(sub.locator("#send")).to_have_attribute("aria-label", "Отправить")
    await assert_axe_clean(sub)

    # the input comes before the quick replies in the tab order
    await sub.locator("#input").focus()
    await sub.keyboard.press("Tab")
    await sub.keyboard.press("Tab")
    assert await sub.evaluate("document.activeElement.classList.contains('choice')")

    # a topic pressed with the keyboard: its title is what the subscriber said; the focus stays in the chat
    title = await topics.first.inner_text()
    await watch_typing(sub)
    await sub.keyboard.press("Enter")
    mine = sub.locator("#messages li.in").last
    await expect(mine.locator(".text")).to_have_text(title)
    await expect(mine).to_have_attribute("data-state", "sent")
    await expect(mine.locator(".state")).to_have_text("✓ доставлено")
    assert await sub.evaluate("document.activeElement.id") == "input"
    await expect(sub.locator("#messages li.out:not(.greeting)")).to_have_count(1)
    assert "Бот печатает…" in await sub.evaluate("window.__typing")
    await expect(sub.locator("#typing")).to_be_hidden()
    assert re.fullmatch(r"\d\d:\d\d", await mine.locator("time").inner_text())
    conversation = await conversation_of(sub, server)
    said = server.query("SELECT text FROM messages WHERE conversation_id = ? AND direction = 'in'", (conversation,))
    assert [r["text"] for r in said] == [title]

    # Markdown: a list and bold text are rendered as such; links open in a new tab
    await chat_say(sub, "как подключить автоплатёж")
    await expect(sub.locator("#messages li.out:not(.greeting)")).to_have_count(2)
    answer = sub.locator("#messages li.out").last
    await expect(answer.locator(".text")).to_contain_text("Автоплатёж")
    await expect(answer.locator(".text ul li").first).to_be_visible()
    assert await answer.locator(".text strong").count() >= 1
    assert "**" not in await answer.locator(".text").inner_text()
    assert await latest_in_view(sub)

    # bubbles fit their text
    await chat_say(sub, "Привет")
    hello = sub.locator("#messages li.in").last
    await expect(hello).to_have_attribute("data-state", "sent")
    width = await hello.evaluate("e => e.getBoundingClientRect().width")
    whole = await sub.locator("#messages").evaluate("e => e.getBoundingClientRect().width")
    assert width < whole * 0.3, (width, whole)

    # start over: the greeting and the topics again, at the bottom
    await sub.click("#restart")
    await expect(sub.locator("#messages li").last).to_have_class(re.compile(r"\bgreeting\b"))
    await expect(sub.locator("#buttons button.choice").last).to_have_text("Связаться с оператором")
    assert await latest_in_view(sub)

    # offline: the message waits (kept in localStorage), is sent after the reconnect, and stored once
    await context.set_offline(True)
    await server.drop_chat_sockets()
    await expect(sub.locator("#connection")).to_have_text("Нет связи, переподключаюсь…")
    await chat_say(sub, "как пополнить счёт без комиссии")
    waiting = sub.locator("#messages li.in").last
    await expect(waiting).to_have_attribute("data-state", "sending")
    kept = await sub.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sb_pending:'))"
                              ".map(k => JSON.parse(localStorage.getItem(k))).flat().map(p => p.text)")
    assert kept == ["как пополнить счёт без комиссии"]
    await context.set_offline(False)
    await expect(waiting).to_have_attribute("data-state", "sent", timeout=20_000)
    await expect(sub.locator("#connection")).to_have_text("")
    await expect(sub.locator("#messages li.out").last).not_to_have_class(re.compile("greeting"))
    rows = server.query("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = ?",
                        (conversation, "как пополнить счёт без комиссии"))
    assert rows[0]["n"] == 1
    assert await sub.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sb_pending:'))"
                              ".map(k => JSON.parse(localStorage.getItem(k))).flat().length") == 0

    # sent but never acknowledged (the socket swallows it), then the page reloaded: the message is
    # kept and sent again with the same client id once a real socket is there; stored once
    blocked: list[WebSocketRoute] = []

    async def socket(route: WebSocketRoute) -> None:
        if len(blocked) < 2:  # the sockets of this page and of its reload
            blocked.append(route)  # open, but nothing reaches the server and nothing comes back
        else:
            route.connect_to_server()

    await context.route_web_socket(re.compile(r"/ws/chat"), socket)
    await sub.reload()
    await chat_say(sub, "где посмотреть детализацию")
    await expect(sub.locator("#messages li.in").last).to_have_attribute("data-state", "sending")
    await sub.reload()
    kept = await sub.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sb_pending:'))"
                              ".map(k => JSON.parse(localStorage.getItem(k))).flat().map(p => p.text)")
    assert kept == ["где посмотреть детализацию"]
    for _ in range(200):  # the reloaded page's socket too
        if len(blocked) == 2:
            break
        await asyncio.sleep(0.05)
    for route in blocked:
        await route.close(code=1011)
    resent = sub.locator("#messages li.in", has_text="где посмотреть детализацию")
    await expect(resent).to_have_attribute("data-state", "sent", timeout=20_000)
    rows = server.query("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = ?",
                        (conversation, "где посмотреть детализацию"))
    assert rows[0]["n"] == 1

    # after a reload: the history, the title (never the payload), no greeting
    await sub.reload()
    await sub.wait_for_selector("body[data-ready='1']")
    await expect(sub.locator("#messages li.in .text").first).to_have_text(title)
    await expect(sub.locator("#messages li.greeting")).to_have_count(0)
    assert "[kb:" not in await sub.locator("#messages").inner_text()
    await assert_axe_clean(sub)
    await picture(sub, "chat")


@pytest.fixture
async def lonely_server(tmp_path: Path, index_cache: IndexCache) -> AsyncIterator[AppServer]:
    """A server of its own: on the shared one, the console tests' agents may still be online (a console a test left
    open counts until it closes)."""
    srv = await AppServer(tmp_path, cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


async def test_chat_on_a_phone_in_english_with_nobody_online(lonely_server: AppServer, new_context: NewContext) -> None:
    server = lonely_server
    context = await new_context()
    sub = await open_chat_at(context, server, PHONE, "?lang=en")
    await expect(sub.locator("html")).to_have_attribute("lang", "en")
    await expect(sub.locator("#messages li.greeting .text")).to_contain_text("Hello! I am the Tele2 support bot.")
    await expect(sub.locator("#input-label")).to_have_text("Message")
    await expect(sub.locator("#send")).to_have_attribute("aria-label", "Send")
    await expect(sub.locator("#buttons button.choice").last).to_have_text("Talk to an operator")
    assert await sub.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await assert_axe_clean(sub)

    # the operator button: in the queue, and with nobody online no made-up wait but the form instead
    await sub.locator("#buttons button.choice").last.click()
    await expect(sub.locator("#messages li.in .text").last).to_have_text("Talk to an operator")
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    await expect(sub.locator("#status-text")).to_have_text(
        re.compile(r"^You are number \d+ in the queue\. No operators are online right now; we will answer as soon as "
                   r"someone is free\.$"))
    assert "unknown" not in await sub.locator("#status-text").inner_text()
    await expect(sub.locator("#form-offer")).to_be_visible()
    assert await latest_in_view(sub)
    await assert_axe_clean(sub)
    await picture(sub, "chat-phone")
    await sub.click("#form-offer")
    await expect(sub.locator("#messages li.in .text").last).to_have_text("Leave a request in the feedback form")
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "0")
    assert await latest_in_view(sub)
    assert await sub.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # by keyboard only: type and press Enter
    await sub.locator("#input").focus()
    await sub.keyboard.type("+7 900 111-22-33")
    await sub.keyboard.press("Enter")
    typed = sub.locator("#messages li.in").last
    await expect(typed.locator(".text")).to_have_text("+7 900 111-22-33")
    await expect(typed).to_have_attribute("data-state", "sent")
    await expect(sub.locator("#input")).to_have_value("")
    assert await sub.evaluate("document.activeElement.id") == "input"


async def test_a_message_the_server_could_not_store_is_failed_then_retried_or_deleted(
        server: Server, new_context: NewContext) -> None:
    context = await new_context()
    refused: list[str] = []

    def socket(route: WebSocketRoute) -> None:
        to_server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "say" and len(refused) < 2 and frame["id"] not in refused:
                refused.append(frame["id"])  # as the server says when the database cannot store it
                route.send(json.dumps({"type": "error", "id": frame["id"], "error": "storage_unavailable",
                                       "text": "Сейчас не получается сохранить сообщение, оно не отправлено."}))
            else:
                to_server.send(message)

        route.on_message(from_page)

    await context.route_web_socket(re.compile(r"/ws/chat"), socket)
    sub = await open_chat_at(context, server, PHONE)
    await chat_say(sub, "как пополнить счёт")
    first = sub.locator("#messages li.in").last
    await expect(first).to_have_attribute("data-state", "failed")
    await expect(sub.locator("#error")).to_have_text("Сейчас не получается сохранить сообщение, оно не отправлено.")
    await assert_axe_clean(sub)
    await first.get_by_role("button", name="Повторить").click()  # sent again with the same client id
    await expect(first).to_have_attribute("data-state", "sent")
    conversation = await conversation_of(sub, server)
    stored = server.query("SELECT client_id FROM messages WHERE conversation_id = ? AND text = ?",
                          (conversation, "как пополнить счёт"))
    assert stored == [{"client_id": refused[0]}]

    await chat_say(sub, "как узнать баланс")
    second = sub.locator("#messages li.in", has_text="как узнать баланс")
    await expect(second).to_have_attribute("data-state", "failed")
    await second.get_by_role("button", name="Удалить").click()  # given up: gone, and not kept for later
    await expect(second).to_have_count(0)
    assert await sub.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sb_pending:'))"
                              ".map(k => JSON.parse(localStorage.getItem(k))).flat().length") == 0
    assert not server.query("SELECT id FROM messages WHERE conversation_id = ? AND text = ?",
                            (conversation, "как узнать баланс"))
