"""The diagnosis in the browser: a subscriber whose account shows nothing wrong complains in the web
chat, logs in, is handed to an operator, and the agent's console shows what the bot checked."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from .conftest import Server, new_agent
from .test_browser_flow import NewContext, chat_say, conversation_of, new_context, open_chat, open_console, queue_and_open

pytestmark = [pytest.mark.timeout(120), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
__all__ = ["new_context"]  # the fixture, used here too

PHONE = "+79990000301"


async def test_nothing_found_hands_off_and_the_console_shows_the_checks(server: Server, new_context: NewContext) -> None:
    # in a thread: the server runs in this event loop, and a write it has begun must be able to finish
    await asyncio.to_thread(server.cli, "billing", "add-subscriber", "--phone", PHONE, "--name", "Ирина Диагнозова",
                            "--balance", "300", "--tariff", "moy-online")
    shown = await asyncio.to_thread(server.cli, "billing", "set", "--phone", PHONE, "--region", "moscow")
    assert '"region": "moscow"' in shown
    await asyncio.to_thread(server.cli, "billing", "incident", "add", "--region", "saint-petersburg",
                            "--affects", "internet")  # elsewhere

    sub = await open_chat(await new_context(), server)
    await chat_say(sub, "не работает интернет")
    await expect(sub.locator("#messages li.out .text").last).to_contain_text("Проверю, почему не работает интернет")
    await chat_say(sub, PHONE)
    await expect(sub.locator("#messages li.out .text").last).to_contain_text("отправлен код")  # the SMS is out
    await chat_say(sub, server.sms_code(PHONE))
    await expect(sub.locator("#messages li.out .text").filter(has_text="Передаю разговор оператору")).to_have_count(1)
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    said = await sub.locator("#messages li.out .text").all_inner_texts()
    assert not any("Петербург" in text for text in said)  # the incident is in another region
    conversation = await conversation_of(sub, server)
    assert server.handoff_of(conversation)["reason"] == "diagnose"

    agent = await new_agent(server, name="Олег Диагностов")
    console = await open_console(await new_context(), server, agent)
    await queue_and_open(console, conversation, "••••••")  # the login code is never kept
    box = console.locator("#diagnosis")
    await expect(box).to_be_visible()
    await expect(console.locator("#diagnosis-summary")).to_have_text(
        "Problem: no mobile internet · Found: nothing found on the account — handed to an operator")
    await expect(console.locator("#diagnosis-checks li")).to_have_text([
        "✓ SIM: active", "✓ Balance: 300.00 ₽", "✓ Allowance: 40 of 40 GB left", "✓ Service: mobile-internet on",
        "✓ Line in region: none in moscow"])
    await expect(console.locator("#diagnosis-checks li.failed")).to_have_count(0)
    await expect(console.locator("#account")).to_contain_text("Ирина Диагнозова")
