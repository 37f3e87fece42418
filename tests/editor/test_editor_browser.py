"""The knowledge editor and the analytics in a real browser (Chromium through Playwright),
checked against what the bot answers in the web chat. The tests of this module share one
server and run in order: each leaves the base as the next one expects it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from knowledge import loader

from .conftest import Api, Chat, Server, ask, open_page

pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("browser")]
expect.set_options(timeout=15_000)
# a save or a rollback rebuilds the knowledge index before it answers: seconds of CPU, more on a busy machine
REINDEX = 60_000
MOSCOW = ZoneInfo("Europe/Moscow")
_KB = loader.load()
FALLBACKS = {_KB.message(key, "ru") for key in ("rephrase", "did_you_mean", "offer_operator", "cant_answer")} | {
    _KB.by_id["out-of-scope"].answer.ru}
NEW_EXAMPLE = "уезжаю зимовать на бали, как держать связь с операторами"  # roaming, in words the base lacks
CLASH = "как позвонить с мегафона"  # clearly "calling from another network", not roaming
TONE = ["как перейти на тон", "подскажите как перейти на тон", "как мне перейти на тон"]


def is_fallback(replies: list[str]) -> bool:
    return any(r in FALLBACKS for r in replies)


async def editor_page(browser: Any, server: Server, **context_options: Any) -> Page:
    page = await open_page(browser, server, server.editor, "/editor", **context_options)
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.locator("#me")).to_have_text("Редактор (editor)")
    return page


async def open_entry(page: Page, search: str, entry_id: str) -> None:
    """Search the entry list and open an entry from it."""
    await page.fill("#search", search)
    item = page.locator(f"#entries li[data-id='{entry_id}']")
    await expect(item).to_be_visible()
    await expect(page.locator("#entries li")).not_to_have_count(len(_KB.entries))  # the list is filtered
    await item.click()
    # values set by the page's script are properties: to_have_value reads the property (polling
    # wait_for_function strings would be eval'd in the page, which its CSP forbids)
    await expect(page.locator("#f-id")).to_have_value(entry_id)
    await expect(page.locator("#entry-heading")).to_have_text(entry_id)


async def add_example(page: Page, text: str) -> None:
    examples = await page.input_value("#f-examples-ru")
    assert text not in examples.splitlines()
    await page.fill("#f-examples-ru", examples + "\n" + text)


def answer(entry_id: str) -> str:
    return _KB.by_id[entry_id].answer.ru


async def test_new_example_is_answered_at_once(server: Server, browser: Any) -> None:
    replies = await ask(server, NEW_EXAMPLE)
    assert is_fallback(replies) and answer("roaming-support") not in replies, replies

    page = await editor_page(browser, server)
    await open_entry(page, "роуминг", "roaming-support")
    await add_example(page, NEW_EXAMPLE)
    await page.fill("#f-message", "пример про зимовку за границей")
    await page.click("#save")
    await expect(page.locator("#saved")).to_contain_text("Saved: revision", timeout=REINDEX)
    await expect(page.locator("#conflicts")).to_be_hidden()
    await expect(page.locator("#save-anyway")).to_be_hidden()
    await expect(page.locator("#errors")).to_have_text("")

    # a new visitor, no restart: the new wording gets the roaming answer
    assert answer("roaming-support") in await ask(server, NEW_EXAMPLE)


async def test_clashing_example_warns_and_needs_save_anyway(server: Server, browser: Any, editor_api: Api) -> None:
    page = await editor_page(browser, server)
    await open_entry(page, "роуминг", "roaming-support")
    await add_example(page, CLASH)
    revision = await editor_api.revision()

    await page.click("#save")
    await expect(page.locator("#save-anyway")).to_be_visible()
    await expect(page.locator("#conflicts")).to_be_visible()
    warning = page.locator("#conflict-list li", has_text=CLASH).first
    await expect(warning).to_contain_text("support-other-phone")
    await expect(warning).to_contain_text(re.compile(r"would be answered with «support-other-phone» \(\d+% sure\)"))
    assert " vs " not in await warning.inner_text()  # plain words, not "(0.92 vs 0.00)"
    await expect(page.locator("#saved")).to_have_text("")
    assert await editor_api.revision() == revision  # not saved without the confirmation

    await page.click("#save-anyway")
    await expect(page.locator("#saved")).to_contain_text("Saved: revision", timeout=REINDEX)
    await expect(page.locator("#conflicts")).to_be_hidden()
    assert await editor_api.revision() == revision + 1
    assert CLASH in (await editor_api.entry("roaming-support"))["examples"]["ru"]


async def test_rollback_from_the_revisions_tab(server: Server, browser: Any) -> None:
    old = answer("social-networks")
    first = old.splitlines()[0]
    new = old.replace(first, first + " А ещё мы в Дзене.")
    question = "теле2 в соцсетях"
    assert old in await ask(server, question)

    page = await editor_page(browser, server)
    await open_entry(page, "соцсет", "social-networks")
    await expect(page.locator("#f-answer-ru")).to_have_value(old)
    await page.fill("#f-answer-ru", new)
    await expect(page.locator("#preview-text")).to_contain_text("А ещё мы в Дзене.")
    await page.fill("#f-message", "соцсети: Дзен")
    await page.click("#save")
    await expect(page.locator("#saved")).to_contain_text("Saved: revision", timeout=REINDEX)
    replies = await ask(server, question)
    assert new in replies and old not in replies

    await page.click("#tabs button[data-tab='revisions']")
    item = page.locator("#revisions li", has_text="соцсети: Дзен")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("social-networks")
    await item.click()
    await expect(page.locator("#diff")).to_contain_text("А ещё мы в Дзене.")
    await expect(page.locator("#diff-title")).to_contain_text("соцсети: Дзен")
    await page.click("#rollback")
    await expect(page.locator("#diff-title")).to_contain_text("Rolled back", timeout=REINDEX)
    await expect(page.locator("#revisions li").first).to_contain_text("rollback of revision")

    replies = await ask(server, question)
    assert old in replies and new not in replies


async def test_unanswered_group_added_as_an_example(server: Server, browser: Any, editor_api: Api) -> None:
    tone = answer("tone-dialling")
    first, second = await ask_many(server, TONE[:2]), await ask_many(server, TONE[2:])  # two visitors
    for replies in first + second:
        assert is_fallback(replies) and tone not in replies, replies

    page = await editor_page(browser, server)
    await page.click("#tabs button[data-tab='unanswered']")
    await page.wait_for_load_state("networkidle")
    group = page.locator("#unanswered li", has_text=TONE[2])
    await expect(group).to_have_count(1)
    await expect(group.locator("div").first).to_have_text(f"3 × {TONE[2]}")  # the newest wording first
    await expect(group).to_contain_text(TONE[0])
    await expect(group).to_contain_text(TONE[1])
    await expect(group).to_contain_text("web")
    select = group.locator("select")
    await expect(select.locator("option[value='tone-dialling']")).to_have_count(1)
    assert await select.input_value() != "tone-dialling"  # the bot's own guess is another entry
    await select.select_option("tone-dialling")
    revision = await editor_api.revision()
    await group.locator("button.add-example").click()
    await expect(group).to_have_count(0)
    assert await editor_api.revision() == revision + 1

    status, data = await editor_api.get("/api/kb/unanswered")
    assert status == 200
    assert not any(set(TONE) & set(g["texts"]) for g in data["groups"]), data["groups"]
    assert TONE[2] in (await editor_api.entry("tone-dialling"))["examples"]["ru"]
    for text in TONE:  # the added wording, and its neighbours with it
        assert tone in await ask(server, text), text


async def ask_many(server: Server, texts: list[str]) -> list[list[str]]:
    """One visitor saying each text in turn; the replies to each."""
    chat = await Chat.open(server)
    try:
        return [await chat.ask(text) for text in texts]
    finally:
        await chat.close()


async def test_agent_gets_403_and_anonymous_401(server: Server, browser: Any) -> None:
    page = await open_page(browser, server, server.agent, None)
    response = await page.goto(server.url + "/editor")
    assert response is not None and response.status == 403
    await expect(page.locator("body")).to_contain_text("The editor role is needed")
    response = await page.goto(server.url + "/analytics")
    assert response is not None and response.status == 403

    agent = await Api.login(server, server.agent)
    anonymous = Api.anonymous(server)
    try:
        status, data = await agent.get("/api/kb/entries")
        assert status == 403, data
        status, data = await agent.get("/api/kb/entries/roaming-support")
        assert status == 403, data
        entry = _KB.by_id["refund"].model_dump()
        entry["answer"]["ru"] += " Правка агента."
        status, data = await agent.save(entry)  # a valid session and CSRF token: only the role is missing
        assert status == 403 and data == {"error": "the editor role is needed"}, data
        status, data = await anonymous.get("/api/kb/entries")
        assert status == 401, data
        status, data = await anonymous.save(entry)
        assert status == 401, data
    finally:
        await agent.close()
        await anonymous.close()

    anonymous_page = await open_page(browser, server, None, "/editor")
    await anonymous_page.wait_for_url(server.url + "/console/login")


def moscow_today() -> date:
    return datetime.now(MOSCOW).date()


async def test_analytics_page_data_and_csv(server: Server, browser: Any, editor_api: Api) -> None:
    assert answer("social-networks") in await ask(server, "теле2 в соцсетях")
    assert is_fallback(await ask(server, "как приготовить борщ из свёклы"))
    praise = "спасибо вашей девушке из поддержки, очень выручила"
    assert any(t.startswith(answer("praise")) for t in await ask(server, praise))
    today = moscow_today()
    start = today - timedelta(days=6)
    days = [(start + timedelta(days=i)).isoformat() for i in range(7)]

    page = await open_page(browser, server, server.editor, "/analytics")
    await page.wait_for_selector("body[data-ready='1']")
    charts = ["c-messages", "c-conversations", "c-rates", "c-waits", "c-entries"]
    await expect(page.locator("canvas")).to_have_count(len(charts))
    assert await page.evaluate(f"{charts}.every(id => !!Chart.getChart(id))")
    assert all(box and box["width"] > 0 and box["height"] > 0
               for box in [await page.locator(f"#{c}").bounding_box() for c in charts])

    # the range as a Moscow editor means it: the last seven Moscow days
    await page.fill("#from", start.isoformat())
    await page.fill("#to", today.isoformat())
    await page.evaluate("delete document.body.dataset.ready")
    await page.click("#range button[type=submit]")
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.locator("#totals")).to_contain_text("fallback rate:")
    await expect(page.locator("#praise li")).to_have_count(1)  # praise is recorded for the team
    await expect(page.locator("#praise li")).to_contain_text(praise)
    totals = await page.locator("#totals").text_content()
    assert totals and not totals.startswith("Messages: 0 ")

    async with page.expect_download() as info:
        await page.click("#csv-daily")
    download = await info.value
    assert download.suggested_filename == f"supportbot-daily-{start.isoformat()}-{today.isoformat()}.csv"
    text = (await download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert header[0] == "day" and "messages_web" in header and "fallback_rate" in header
    assert [r[0] for r in body] == days
    assert all(len(r) == len(header) for r in body)
    assert int(body[-1][header.index("messages_web")]) > 0
    assert float(body[-1][header.index("fallback_rate")]) > 0

    status, data = await editor_api.get("/api/analytics", **{"from": start.isoformat(), "to": today.isoformat()})
    assert status == 200, data
    assert data["days"] == days
    assert "web" in data["channels"] and sum(data["messages"]["web"]) > 0 and data["messages"]["web"][-1] > 0
    assert data["totals"]["messages"] > 0 and data["totals"]["fallbacks"] > 0
    assert 0 < data["totals"]["fallback_rate"] < 1
    assert data["fallback_rate"][-1] is not None and data["fallback_rate"][-1] > 0
    assert any(e["entry"] == "social-networks" for e in data["top_entries"])
    assert data["praise"]["count"] == 1 and [v["text"] for v in data["praise"]["recent"]] == [praise]
    assert data["complaints"] == {"count": 0, "recent": []}
    status, text, headers = await editor_api.get_text("/api/analytics.csv", table="daily",
                                                      **{"from": start.isoformat(), "to": today.isoformat()})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "day" and [r[0] for r in rows[1:]] == days


async def test_default_range_ends_today_in_moscow(server: Server, browser: Any) -> None:
    # the browser's own clock and zone say nothing: the server picks the last 30 Moscow days
    page = await open_page(browser, server, server.editor, None, timezone_id="UTC")
    await page.clock.set_fixed_time(datetime(2026, 3, 10, 1, 30, tzinfo=MOSCOW))
    await page.goto(server.url + "/analytics")
    await page.wait_for_selector("body[data-ready='1']")
    today = datetime.now(MOSCOW).date()
    assert await page.input_value("#to") == today.isoformat()
    assert await page.input_value("#from") == (today - timedelta(days=29)).isoformat()
