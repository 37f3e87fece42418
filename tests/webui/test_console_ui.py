"""The agent console as an agent coming from Chatwoot would use it, in Chromium: a subscriber who
logged in on Telegram earlier and now in the web chat waits in the queue under their name and
number; the agent sees the earlier Telegram conversation, the pressed button's title, the
subscriber typing, takes a knowledge-base suggestion, edits and sends it (counted), adds a note
and a label, finds the conversation by search, sends a reply while offline that is delivered
once after the reconnect, and the console passes axe at desktop and phone sizes."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp
import pytest
from playwright.async_api import expect

from intents.replies import Contact, Incoming

from .conftest import Server, new_agent, queued_chat
from .test_browser_flow import NewContext, chat_say, conversation_of, new_context, open_console
from .test_chat_ui import DESKTOP, PHONE, assert_axe_clean, open_chat_at, picture

pytestmark = [pytest.mark.timeout(240), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
__all__ = ["new_context"]  # the fixture, used here too

NUMBER = "+79990000417"
NAME = "Пётр Связной"


async def log_in_on_telegram(server: Server, user: str) -> int:
    """The subscriber's earlier conversation: a balance question on Telegram, logged in by sharing
    their own contact (Telegram vouches for the number)."""
    core = server.runtime.core
    assert "номер" in (await core.handle(Incoming(channel="telegram", user_id=user, chat_id=user,
                                                  text="какой у меня баланс"))).text.lower()
    answer = await core.handle(Incoming(channel="telegram", user_id=user, chat_id=user, contact=Contact(NUMBER, user)))
    assert "150" in answer.text
    conversation = server.conversation("telegram", user)
    assert conversation["subscriber_id"] is not None
    return int(conversation["id"])


async def test_agent_console_journey(server: Server, new_context: NewContext, http: aiohttp.ClientSession) -> None:
    # in a thread: the server runs in this event loop, and a write it has begun must be able to finish
    await asyncio.to_thread(server.cli, "billing", "add-subscriber", "--phone", NUMBER, "--name", NAME, "--balance", "150",
                            "--tariff", "moy-online")
    earlier = await log_in_on_telegram(server, "tg-417")

    # the subscriber in the web chat: a topic button, the login, then the operator and a question
    sub_context = await new_context()
    sub = await open_chat_at(sub_context, server, DESKTOP)
    topic = sub.locator("#buttons button.choice").first
    title = await topic.inner_text()
    await topic.click()
    await expect(sub.locator("#messages li.in").last).to_have_attribute("data-state", "sent")
    answers = sub.locator("#messages li.out:not(.greeting)")

    async def ask(text: str) -> str:
        """Say it and wait for the bot's answer to it."""
        before = await answers.count()
        await chat_say(sub, text)
        await expect(answers).not_to_have_count(before)
        return await answers.last.inner_text()

    assert "номер" in await ask("какой у меня баланс")
    assert "код" in await ask(NUMBER)
    assert "150" in await ask(server.sms_code(NUMBER))
    await chat_say(sub, "позовите оператора")
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    question = "как подключить автоплатёж"
    await chat_say(sub, question)
    await expect(sub.locator("#messages li.in").last).to_have_attribute("data-state", "sent")
    conversation = await conversation_of(sub, server)

    agent = await new_agent(server, name="Ольга Смирнова")
    console_context = await new_context()
    console = await open_console(console_context, server, agent)
    await console.set_viewport_size(DESKTOP)

    # the queue: who is waiting, on which channel, in which language, for how long
    item = console.locator(f"#queue li[data-conversation='{conversation}']")
    await expect(item).to_have_class("waiting")
    await expect(item.locator(".name")).to_have_text(NAME)
    await expect(item.locator(".phone")).to_have_text(" " + NUMBER)
    await expect(item.locator(".meta")).to_contain_text("Web chat · Russian · ")
    timer = item.locator(".wait")
    await expect(timer).to_have_class(re.compile(r"\bwait-(ok|warn|long)\b"))  # coloured by how long
    shown = await timer.inner_text()
    await expect(timer).not_to_have_text(shown)  # it ticks
    await expect(item.locator(".preview")).to_have_text(question)
    assert re.search(r"^\(\d+\) Support console$", await console.title())  # the tab title counts who waits

    # someone new in the queue: an alert (sound and desktop notification when switched on)
    alerts = int(await console.evaluate("document.body.dataset.alerts || '0'"))
    other = await queued_chat(http, server)
    await expect(console.locator("body")).to_have_attribute("data-alerts", str(alerts + 1))
    await other.close()

    # by keyboard: the queue item opens with Enter
    await item.focus()
    await console.keyboard.press("Enter")
    await expect(console.locator("#conv-title")).to_contain_text(f"Conversation #{conversation} · Web chat · Russian")
    await expect(console.locator("#conv-who")).to_contain_text(f"{NAME} · {NUMBER} (verified)")

    # the pressed button is its title in the transcript, never its payload
    await expect(console.locator("#transcript li.in .text").first).to_have_text(title)
    assert "[kb:" not in await console.locator("#transcript").inner_text()

    # the same subscriber's earlier conversation on Telegram
    await expect(console.locator("#earlier-box")).to_be_visible()
    await console.click("#earlier-title")
    earlier_item = console.locator(f"#earlier button[data-conversation='{earlier}']")
    await expect(earlier_item).to_contain_text("Telegram")
    await earlier_item.click()
    await expect(console.locator("#earlier-transcript li.in .text").first).to_have_text("какой у меня баланс")

    # take it: the assist suggests the knowledge-base answer to the question, in Russian
    await console.click("#take")
    await expect(console.locator("#actions")).to_be_visible()
    suggestion = console.locator("#suggestions button[data-entry='lk-autopay']")
    await expect(suggestion).to_be_visible()
    await expect(console.locator("#canned option").nth(1)).to_be_attached()
    canned_titles = await console.locator("#canned option").all_inner_texts()
    assert "Приветствие" in canned_titles and "Greeting" not in canned_titles  # the conversation's language

    # the subscriber types: the agent sees it
    await sub.locator("#input").press_sequentially("жду")
    await expect(console.locator("#sub-typing")).to_have_text("The subscriber is typing…")

    # one click inserts the answer; the agent edits it and sends it with Ctrl+Enter
    await suggestion.click()
    reply = console.locator("#reply")
    inserted = await reply.input_value()
    assert inserted.startswith(server.runtime.knowledge.kb.by_id["lk-autopay"].answer.ru[:40])
    assert await console.evaluate("document.activeElement.id") == "reply"
    await console.keyboard.type(" Если что — пишите.")
    await expect(sub.locator("#typing")).to_have_text("Оператор печатает…")  # the agent typing, in the chat
    await console.keyboard.press("Control+Enter")
    said = sub.locator("#messages li.agent").last
    await expect(said.locator(".who")).to_have_text(agent.name)
    await expect(said.locator(".text")).to_contain_text("Если что — пишите.")
    await expect(sub.locator("#typing")).to_be_hidden()
    assert await said.locator(".text ul li, .text ol li").count() >= 1  # the same Markdown as the bot's
    used = server.query("SELECT entry_id, agent_id FROM assist_usage WHERE conversation_id = ?", (conversation,))
    assert used == [{"entry_id": "lk-autopay", "agent_id": agent.id}]

    # an internal note (never shown to the subscriber) and a label (shown in the queue too)
    await console.fill("#note", "Клиент просил перезвонить после 18:00")
    await console.click("#note-form button[type=submit]")
    await expect(console.locator("#notes li .text")).to_have_text(["Клиент просил перезвонить после 18:00"])
    await console.fill("#label-input", "autopay")
    await console.click("#label-form button[type=submit]")
    await expect(console.locator("#labels .chip")).to_contain_text(["autopay"])
    await expect(item.locator(".chip")).to_have_text(["autopay"])
    assert "перезвонить" not in await sub.locator("#messages").inner_text()

    # a reply sent while offline is kept, then delivered once after the reconnect
    await console_context.set_offline(True)
    await server.drop_console_sockets()
    await expect(console.locator("#connection")).to_have_text("Reconnecting…")
    await reply.fill("Проверяю настройки, минуту")
    await console.click("#send")
    pending = console.locator("#transcript li.agent").last
    await expect(pending).to_have_attribute("data-state", "sending")
    await expect(console.locator("#conv-error")).to_contain_text("Offline")
    await console_context.set_offline(False)
    await expect(pending).to_have_attribute("data-state", "sent", timeout=20_000)
    await expect(sub.locator("#messages li.agent .text").last).to_have_text("Проверяю настройки, минуту")
    count = server.query("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = ?",
                         (conversation, "Проверяю настройки, минуту"))
    assert count[0]["n"] == 1
    await expect(console.locator("#transcript li.agent", has_text="Проверяю настройки, минуту")).to_have_count(1)

    await assert_axe_clean(console)
    await picture(console, "console", full_page=True)

    # search by words finds the conversation (Alt+S opens the search)
    await console.keyboard.press("Alt+s")
    await expect(console.locator("#tab-search")).to_be_visible()
    await console.fill("#search-q", "автоплат")
    await console.press("#search-q", "Enter")
    await expect(console.locator(f"#search-conversations li[data-conversation='{conversation}']")).to_be_visible()
    await assert_axe_clean(console)

    # away: the queue gives nothing; on a phone the console fits the screen
    await console.click("#tabs button[data-tab='queue']")
    await console.select_option("#my-status", "away")
    await expect(console.locator("body")).to_have_attribute("data-status", "away")
    await console.click("#next")
    await expect(console.locator("#my-load")).to_contain_text("you are away")
    await console.select_option("#my-status", "online")
    await console.set_viewport_size(PHONE)
    assert await console.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await assert_axe_clean(console)
    await picture(console, "console-phone")


async def test_the_console_reconnects_as_soon_as_the_browser_is_back_online(server: Server,
                                                                            new_context: NewContext) -> None:
    """Back online (Wi-Fi again, a laptop woken), the console reconnects at once, as the chat does, rather
    than at the backoff's next try (up to 5 s later). The page's timers are stopped (Playwright's clock):
    only the browser's "online" can bring the socket back."""
    agent = await new_agent(server, name="Ирина Быстрова")
    context = await new_context()
    console = await open_console(context, server, agent)
    await console.clock.install()
    await console.clock.pause_at(time.time() + 1)  # the page's time (and setTimeout) stands still from here on
    await context.set_offline(True)
    assert await server.drop_console_sockets() >= 1
    await expect(console.locator("#connection")).to_have_text("Reconnecting…")
    await expect(console.locator("body")).to_have_attribute("data-ready", "0")
    await context.set_offline(False)
    await expect(console.locator("body")).to_have_attribute("data-ready", "1")
    await expect(console.locator("#connection")).to_have_text("")
