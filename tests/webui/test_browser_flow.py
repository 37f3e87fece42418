"""The pages in a real browser (Chromium through Playwright): a subscriber in the web chat and an
agent in the console, each in a browser context of their own, talking live; the feedback
form and its ticket in the console; markup sent as text; history after a reload; form errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from backends.sandbox_messaging import SandboxEmail, SandboxSms
from supportbot.config import load_config
from supportbot.database import open_database

from .conftest import AgentAccount, Server, new_agent

pytestmark = [pytest.mark.timeout(120), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
NewContext = Callable[[], Awaitable[BrowserContext]]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>'


@pytest.fixture
async def new_context(browser: Browser) -> AsyncIterator[NewContext]:
    """Makes fresh browser contexts (a subscriber's, an agent's: no shared cookies or storage)."""
    made: list[BrowserContext] = []

    async def make() -> BrowserContext:
        context = await browser.new_context(locale="ru-RU")
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        await context.close()


async def open_chat(context: BrowserContext, server: Server, query: str = "") -> Page:
    page = await context.new_page()
    await page.goto(server.url + "/chat" + query)
    await page.wait_for_selector("body[data-ready='1']")
    return page


async def chat_say(page: Page, text: str) -> None:
    await page.fill("#input", text)
    await page.click("#send")


async def conversation_of(page: Page, server: Server) -> int:
    token = await page.evaluate("localStorage.getItem('sb_visitor')")
    return server.conversation_of(token.split(".", 1)[0])


async def open_console(context: BrowserContext, server: Server, account: AgentAccount) -> Page:
    page = await context.new_page()
    await page.goto(server.url + "/console")
    await page.wait_for_url(server.url + "/console/login")  # not signed in yet
    await page.fill("input[name=login]", account.login)
    await page.fill("input[name=password]", account.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(server.url + "/console")
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.locator("#me")).to_have_text(f"{account.name} ({account.role})")
    return page


async def queue_and_open(console: Page, conversation: int, preview: str) -> None:
    """Find the conversation in the console's queue and open it."""
    item = console.locator(f"#queue li[data-conversation='{conversation}']")
    await expect(item).to_have_class("waiting")
    await expect(item.locator(".preview")).to_have_text(preview)
    await item.click()
    await expect(console.locator("#conversation")).to_be_visible()
    await expect(console.locator("#conv-title")).to_contain_text(f"Conversation #{conversation}")


# -- the whole live conversation ------------------------------------------------------------------


async def test_subscriber_and_agent_talk_live_then_the_subscriber_rates(server: Server, new_context: NewContext) -> None:
    agent = await new_agent(server, name="Мария Кузнецова")
    sub = await open_chat(await new_context(), server)
    await expect(sub.locator("#title")).to_have_text("Поддержка")

    await chat_say(sub, "что такое личный кабинет")
    await expect(sub.locator("#messages li.in .text")).to_have_text(["что такое личный кабинет"])
    await expect(sub.locator("#messages li.out .text").last).to_contain_text("Личный кабинет (ЛК)")

    await chat_say(sub, "позовите оператора")
    await expect(sub.locator("#status")).to_be_visible()
    await expect(sub.locator("#status-text")).to_have_text(
        re.compile(r"^Вы в очереди: \d+-й\.( Примерное ожидание: .+\.| Сейчас нет операторов в сети, .+\.)?$"))
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    conversation = await conversation_of(sub, server)
    await sub.evaluate("window.__sameDocument = 'yes'")  # gone if the page ever reloads

    console = await open_console(await new_context(), server, agent)
    await queue_and_open(console, conversation, "позовите оператора")
    await expect(console.locator("#take-box")).to_be_visible()
    await expect(console.locator("#actions")).to_be_hidden()
    await expect(console.locator("#transcript li.in .text")).to_have_text(["что такое личный кабинет",
                                                                          "позовите оператора"])
    await console.click("#take")
    await expect(console.locator("#actions")).to_be_visible()
    await expect(console.locator("#take-box")).to_be_hidden()
    await expect(console.locator(f"#queue li[data-conversation='{conversation}']")).to_have_class("assigned")
    await console.evaluate("window.__sameDocument = 'yes'")

    # the subscriber is told who joined; the status says an operator is here
    await expect(sub.locator("#messages li.system .text").last).to_have_text(
        f"Оператор {agent.name} подключился к чату и видит вашу переписку.")
    await expect(sub.locator("#status-text")).to_have_text("С вами оператор")

    # both ways, twice, each side seeing the other's message appear
    for question, answer in [("Здравствуйте, у меня не работает интернет", "Сейчас проверю настройки вашего номера"),
                             ("Жду, спасибо", "Готово: перезагрузите телефон")]:
        await chat_say(sub, question)
        await expect(console.locator("#transcript li.in .text").last).to_have_text(question)
        await console.fill("#reply", answer)
        await console.click("#send")
        said = sub.locator("#messages li.agent").last
        await expect(said.locator(".text")).to_have_text(answer)
        await expect(said.locator(".who")).to_have_text(agent.name)
        await expect(console.locator("#transcript li.agent .text").last).to_have_text(answer)
    assert await sub.evaluate("window.__sameDocument") == "yes"  # live, no reload on either side
    assert await console.evaluate("window.__sameDocument") == "yes"
    await expect(console.locator("#conv-error")).to_have_text("")

    # the agent closes with a resolution; the subscriber is asked to rate and presses 4
    await console.fill("#resolution", "Сбросили настройки APN, интернет заработал")
    await console.click("#close")
    await expect(console.locator("#actions")).to_be_hidden()
    await expect(sub.locator("#messages li.system .text").last).to_have_text(
        "Оператор завершил разговор. Оцените, пожалуйста, помощь от 1 до 5.")
    rating = sub.locator("#buttons button.choice")
    await expect(rating).to_have_text(["1", "2", "3", "4", "5"])
    await expect(sub.locator("#status")).to_be_hidden()
    await rating.nth(3).click()
    await expect(sub.locator("#messages li.out .text").last).to_have_text(
        "Спасибо за оценку! Если понадобится помощь — пишите.")
    # a pressed button is shown (and stored) as its title; its payload (rate:4) is kept apart for the core
    await expect(sub.locator("#messages li.in .text").last).to_have_text("4")
    await expect(sub.locator("#csat")).to_be_visible()  # an optional comment to the rating
    await sub.fill("#csat-comment", "Быстро и вежливо")
    await sub.click("#csat-send")
    await expect(sub.locator("#csat")).to_be_hidden()

    # the console's Ratings tab shows it
    await console.click("#tabs button[data-tab='ratings']")
    await expect(console.locator("#tab-ratings")).to_be_visible()
    row = console.locator("#ratings tbody tr").filter(has=console.get_by_role("cell", name=agent.name, exact=True))
    await expect(row.locator("td")).to_have_text([agent.name, "1", "1", "4"])
    await expect(console.locator("#ratings-overall")).to_contain_text("ratings)")

    handoff = server.handoff_of(conversation)
    assert (handoff["status"], handoff["agent_id"], handoff["rating"]) == ("closed", agent.id, 4)
    assert handoff["resolution"] == "Сбросили настройки APN, интернет заработал"
    assert handoff["rating_comment"] == "Быстро и вежливо"


# -- the feedback form and its ticket -------------------------------------------------------------


async def outboxes(server: Server, email: str, phone: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    db = await open_database(load_config(), str(server.db))
    try:
        return await SandboxEmail(db).outbox(email), await SandboxSms(db).outbox(phone)
    finally:
        await db.close()


async def test_feedback_form_ticket_is_answered_in_the_console(server: Server, new_context: NewContext) -> None:
    agent = await new_agent(server, name="Сергей Волков")
    form = await (await new_context()).new_page()
    await form.goto(server.url + "/feedback")
    await form.wait_for_selector("body[data-ready='1']")
    await expect(form.locator("#title")).to_have_text("Форма обратной связи")
    await form.fill("#phone", "8 (900) 765-43-21")
    await form.fill("#name", "Анна Белова")
    assert await form.select_option("#region", label="Москва") == ["moscow"]
    assert await form.select_option("#topic", label="Мобильный интернет") == ["internet"]
    await form.fill("#description", "В центре города пропадает мобильный интернет по вечерам")
    await form.fill("#email", "anna.belova@example.com")
    await form.click("#submit")
    done = form.locator("#done")
    await expect(done).to_be_visible()
    await expect(form.locator("#form")).to_be_hidden()
    number = await done.get_attribute("data-number")
    assert number and re.fullmatch(r"FB-\d{6}", number)
    await expect(done).to_have_text(f"Обращение {number} принято. Ответим в течение суток, обычно звонком на +79007654321.")

    console = await open_console(await new_context(), server, agent)
    await console.click("#tabs button[data-tab='tickets']")
    ticket = console.locator(f"#tickets li[data-number='{number}']")
    await expect(ticket).to_contain_text(f"{number} · ")
    await expect(ticket).to_contain_text("· open")
    await expect(ticket.locator(".meta")).to_have_text(
        "Анна Белова +79007654321 · anna.belova@example.com · Moscow · Mobile internet")  # names, not codes
    await expect(ticket.locator(".text")).to_have_text("В центре города пропадает мобильный интернет по вечерам")
    answer = "Мы заменили оборудование базовой станции, связь восстановлена."
    await ticket.locator("textarea").fill(answer)
    await ticket.get_by_role("button", name="Send answer").click()
    await expect(ticket).to_contain_text("· answered")
    await expect(ticket).to_contain_text("Answer: " + answer)
    await expect(ticket.locator("textarea")).to_have_count(0)

    emails, sms = await outboxes(server, "anna.belova@example.com", "+79007654321")
    assert [e["subject"] for e in emails] == [f"Обращение {number} принято", f"Ответ на обращение {number}"]
    assert emails[1]["body"] == answer
    assert any(number in s["text"] and "дан ответ" in s["text"] for s in sms), sms
    row = server.query("SELECT status, answer, agent_id, channel FROM tickets WHERE id = ?", (int(number[3:]),))[0]
    assert row == {"status": "answered", "answer": answer, "agent_id": agent.id, "channel": "web-form"}


async def test_feedback_form_field_errors_in_russian_and_in_english(server: Server, new_context: NewContext) -> None:
    context = await new_context()
    form = await context.new_page()
    await form.goto(server.url + "/feedback")
    await form.wait_for_selector("body[data-ready='1']")
    await form.fill("#phone", "12345")
    await form.fill("#name", "Иван")
    await form.select_option("#region", "moscow")
    await form.select_option("#topic", "balance")
    await form.fill("#description", "Списали деньги за непонятную услугу")
    await form.click("#submit")
    await expect(form.locator("#e-phone")).to_have_text("Укажите номер мобильного в формате +7 900 123-45-67.")
    for field in ("name", "region", "topic", "description", "email", "form"):
        await expect(form.locator(f"#e-{field}")).to_have_text("")
    await expect(form.locator("#done")).to_be_hidden()
    await expect(form.locator("#submit")).to_be_enabled()

    english = await context.new_page()
    await english.goto(server.url + "/feedback?lang=en")
    await english.wait_for_selector("body[data-ready='1']")
    await expect(english.locator("#title")).to_have_text("Feedback form")
    await expect(english.locator("#l-phone")).to_have_text("Phone number")
    await expect(english.locator("#region option").first).to_have_text("— choose —")
    await english.fill("#phone", "not a phone")
    await english.fill("#email", "anna@")
    await english.click("#submit")
    await expect(english.locator("#e-phone")).to_have_text("Enter a mobile number like +7 900 123-45-67.")
    await expect(english.locator("#e-name")).to_have_text("Enter your name.")
    await expect(english.locator("#e-region")).to_have_text("Choose a region from the list.")
    await expect(english.locator("#e-topic")).to_have_text("Choose a topic from the list.")
    await expect(english.locator("#e-description")).to_have_text("Please describe the question (at least 10 characters).")
    await expect(english.locator("#e-email")).to_have_text("The e-mail address is not valid.")
    assert server.query("SELECT count(*) AS n FROM tickets WHERE name = 'Иван'")[0]["n"] == 0


# -- markup is text -------------------------------------------------------------------------------


async def assert_no_markup(page: Page, scope: str) -> None:
    assert await page.locator(f"{scope} img, {scope} script, {scope} b").count() == 0
    assert await page.evaluate("typeof window.__xss") == "undefined"


async def test_markup_from_the_subscriber_is_shown_as_text_everywhere(server: Server, new_context: NewContext) -> None:
    agent = await new_agent(server)
    sub = await open_chat(await new_context(), server)
    await chat_say(sub, "позовите оператора")
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    await chat_say(sub, XSS)
    mine = sub.locator("#messages li.in").last
    await expect(mine.locator(".text")).to_have_text(XSS)
    assert await mine.locator(".text").evaluate("e => e.textContent") == XSS
    await assert_no_markup(sub, "#messages li.in")

    console = await open_console(await new_context(), server, agent)
    conversation = await conversation_of(sub, server)
    await queue_and_open(console, conversation, XSS)
    shown = console.locator("#transcript li.in").last
    await expect(shown.locator(".text")).to_have_text(XSS)
    assert await shown.locator(".who").evaluate("e => e.firstChild.textContent") == "Subscriber"
    assert await shown.locator(".text").evaluate("e => e.textContent") == XSS
    await assert_no_markup(console, "#transcript")
    await assert_no_markup(console, "#queue")

    # the agent's copy back is text too, on both sides
    await console.click("#take")
    await expect(console.locator("#actions")).to_be_visible()
    await console.fill("#reply", "Вы написали: " + XSS)
    await console.click("#send")
    back = sub.locator("#messages li.agent").last
    await expect(back.locator(".text")).to_have_text("Вы написали: " + XSS)
    await expect(console.locator("#transcript li.agent .text").last).to_have_text("Вы написали: " + XSS)
    await assert_no_markup(sub, "#messages li.in")
    await assert_no_markup(sub, "#messages li.agent")
    await assert_no_markup(console, "#transcript")


# -- reload ---------------------------------------------------------------------------------------


async def test_chat_history_is_restored_after_a_reload(server: Server, new_context: NewContext) -> None:
    sub = await open_chat(await new_context(), server)
    for question, answer in [("что такое обещанный платеж", "Обещанный платёж"),
                             ("как настроить автоплатеж", "Автоплатёж")]:
        await chat_say(sub, question)
        await expect(sub.locator("#messages li.out .text").last).to_contain_text(answer)

    async def shown() -> list[tuple[str | None, str | None, str]]:
        items = sub.locator("#messages li[data-id]")  # the stored messages (not the greeting)
        return [(await li.get_attribute("data-id"), await li.get_attribute("class"), await li.locator(".text").inner_text())
                for li in await items.all()]

    before = await shown()
    assert len(before) == 4
    await sub.reload()
    await sub.wait_for_selector("body[data-ready='1']")
    await expect(sub.locator("#messages li[data-id]")).to_have_count(4)
    after = await shown()
    assert after == before
    assert len({item[0] for item in after}) == len(after)
    # the same conversation goes on
    await chat_say(sub, "что такое личный кабинет")
    await expect(sub.locator("#messages li[data-id]")).to_have_count(6)
    await expect(sub.locator("#messages li.out .text").last).to_contain_text("Личный кабинет")


async def test_the_reply_box_is_emptied_once_the_reply_is_sent(server: Server, new_context: NewContext) -> None:
    agent = await new_agent(server)
    sub = await open_chat(await new_context(), server)
    await chat_say(sub, "позовите оператора")
    await expect(sub.locator("body")).to_have_attribute("data-handoff", "1")
    console = await open_console(await new_context(), server, agent)
    await queue_and_open(console, await conversation_of(sub, server), "позовите оператора")
    await console.click("#take")
    await expect(console.locator("#actions")).to_be_visible()
    await console.fill("#reply", "Добрый день! Чем помочь?")
    await console.click("#send")
    await expect(sub.locator("#messages li.agent .text").last).to_have_text("Добрый день! Чем помочь?")
    await expect(console.locator("#reply")).to_have_value("", timeout=3_000)
