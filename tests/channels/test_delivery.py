"""Delivery guarantees of the messenger channels against the real server: redeliveries answered
once, nothing lost when the process dies, pacing under the platforms' limits, "retry after",
permanent refusals kept as failed, operator messages relayed, and the set-up commands."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from kernel.clock import stamp, utcnow
from knowledge.model import KnowledgeBase

from .conftest import (
    TG_SECRET,
    VIBER_TOKEN,
    Call,
    Console,
    FakePlatform,
    ProcessServer,
    Server,
    channels_server,
    new_chat,
    new_viber_user,
    post_telegram,
    post_viber,
    post_vk,
    tg_press,
    tg_sent,
    tg_text,
    viber_sent,
    viber_text,
    vk_sent,
    vk_text,
)

pytestmark = pytest.mark.timeout(120)
QUESTION = "как позвонить в поддержку"
ENTRIES = ["support-611", "operator-via-611", "support-other-phone", "lk-general", "web-chat"]
CHAT_INTERVAL = 1 / 20  # the shared server's per_chat_per_second


def visible(call: Call) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", call.text))


def answer_of(kb: KnowledgeBase, entry: str) -> str:
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", kb.entry(entry).answer.get("ru")).strip()


def gaps(calls: list[Call]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(calls)]


def assert_paced(calls: list[Call], interval: float, slack: float = 0.15) -> None:
    """Arrivals at the fake follow the pacer's slots, one `interval` apart.

    The pacer reserves slots, so a send that leaves late (the server's loop busy with a turn, or
    this process busy) arrives late while the next one keeps its slot: the gap after a late message
    looks short although nothing was sent early. So: the k-th message after any message i comes
    at least k intervals after it, less `slack` (how late message i may have been); most
    consecutive gaps are ≥ 45 ms (at 20 a second); the typical gap is the interval."""
    spacing = gaps(calls)
    offsets = " ".join(f"{(c.at - calls[0].at - j * interval) * 1000:.0f}" for j, c in enumerate(calls))
    earliest = float("-inf")  # max over i < j of (at_i - i * interval)
    for j, call in enumerate(calls):
        assert call.at - j * interval >= earliest - slack, f"message {j} came early; lateness (ms): {offsets}"
        earliest = max(earliest, call.at - j * interval)
    assert statistics.median(spacing) >= interval * 0.95, statistics.median(spacing)
    wide = sum(1 for g in spacing if g >= interval * 0.9)
    assert wide >= 0.6 * len(spacing), f"{wide} of {len(spacing)} gaps ≥ {interval * 0.9:.3f} s; lateness (ms): {offsets}"


# -- redelivery -------------------------------------------------------------------------------------


async def test_a_redelivered_telegram_update_is_answered_once(server: Server, fake: FakePlatform,
                                                               http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    update = tg_text(chat, QUESTION)
    results = await asyncio.gather(*(post_telegram(http, server, update) for _ in range(2)))  # side by side
    await fake.wait(tg_sent(chat))
    results.append(await post_telegram(http, server, update))  # and once more after the answer went out
    assert [status for status, _ in results] == [200, 200, 200]
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == 1
    assert len(server.query("SELECT id FROM inbound_updates WHERE channel = 'telegram' AND update_key = ?",
                            (str(update["update_id"]),))) == 1


async def test_a_redelivered_vk_event_is_answered_once(server: Server, fake: FakePlatform,
                                                        http: aiohttp.ClientSession) -> None:
    peer = new_chat()
    update = vk_text(peer, QUESTION)
    for _ in range(3):  # VK repeats an event it got no "ok" for in time, with the same event_id
        assert await post_vk(http, server, update) == (200, "ok")
    await fake.wait(vk_sent(peer))
    await server.settled(peer)
    assert len(fake.matching(vk_sent(peer, ok=None))) == 1


async def test_a_redelivered_viber_message_is_answered_once(server: Server, fake: FakePlatform,
                                                             http: aiohttp.ClientSession) -> None:
    user = new_viber_user()
    update = viber_text(user, QUESTION)
    results = await asyncio.gather(*(post_viber(http, server, update) for _ in range(3)))
    assert [status for status, _ in results] == [200, 200, 200]
    await fake.wait(viber_sent(user))
    await server.settled(user)
    assert len(fake.matching(viber_sent(user, ok=None))) == 1


# -- a process that dies ---------------------------------------------------------------------------


@pytest.mark.timeout(180)
async def test_nothing_is_lost_or_doubled_when_the_process_is_killed(
        process_server: ProcessServer, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    """(1) accepted and answered, but the reply could not be sent (the API answers 500), then
    SIGKILL; (2) SIGKILL right after the webhook's 200, whether or not the update was processed yet;
    (3) an update stored while the server was down and never processed. After a restart each is
    answered exactly once. (The API refuses (1) and (2) until the kill: a reply the platform took
    just before a SIGKILL, not yet marked sent, would be sent again — Telegram has no idempotency key.)

    The server is a process of its own here: what is tested is a process dying."""
    server = process_server
    unsent, just_accepted, stored = new_chat(), new_chat(), new_chat()
    for chat in (unsent, just_accepted):
        fake.rule(tg_sent(chat, ok=None), 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    assert (await post_telegram(http, server, tg_text(unsent, QUESTION)))[0] == 200
    await fake.wait(tg_sent(unsent, ok=False))  # tried and failed: the reply waits in the outbox
    [row] = await server.wait_rows("SELECT status, error FROM outbox WHERE chat_id = ?", (str(unsent),),
                                   lambda rows: bool(rows) and rows[0]["error"] is not None)
    assert row["status"] == "pending" and "Internal Server Error" in row["error"]
    accepted = tg_text(just_accepted, QUESTION)
    assert (await post_telegram(http, server, accepted))[0] == 200
    server.kill()
    # a reply it sent just before it died may still be on its way into the fake: refused too (else the
    # platform took it, it was never marked sent, and it is sent again — Telegram has no idempotency key)
    await fake.settle()
    fake.reset()  # the platform works again
    update = tg_text(stored, QUESTION)
    server.execute("INSERT INTO inbound_updates (channel, update_key, payload, status, received_at) "
                   "VALUES ('telegram', ?, ?, 'received', ?)",
                   (str(update["update_id"]), json.dumps(update, ensure_ascii=False), stamp(utcnow())))
    server.start()
    for chat in (unsent, just_accepted, stored):
        [reply] = await fake.wait(tg_sent(chat), timeout=40)
        assert visible(reply) == answer_of(kb, "support-611")
    await server.settled()  # everything handled and sent: a second reply would be in the fake by now
    for chat in (unsent, just_accepted, stored):
        assert len(fake.matching(tg_sent(chat))) == 1, chat
    keys = (str(accepted["update_id"]), str(update["update_id"]))
    rows = server.query("SELECT status FROM inbound_updates WHERE channel = 'telegram' AND update_key IN (?, ?)", keys)
    assert [r["status"] for r in rows] == ["done", "done"]
    chats = tuple(str(c) for c in (unsent, just_accepted, stored))
    rows = server.query("SELECT status FROM outbox WHERE chat_id IN (?, ?, ?)", chats)
    assert [r["status"] for r in rows] == ["sent"] * 3


# -- pacing, retry-after, refusals ------------------------------------------------------------------------


@pytest.mark.timeout(60)
async def test_a_burst_to_one_chat_arrives_complete_in_order_and_paced(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    burst = 40  # two seconds of sending at the chat's pace
    presses = [ENTRIES[i % len(ENTRIES)] for i in range(burst)]
    for entry in presses:
        assert (await post_telegram(http, server, tg_press(chat, f"kb:{entry}")))[0] == 200
    calls = await fake.wait(tg_sent(chat), burst, timeout=60)
    assert [visible(c) for c in calls] == [answer_of(kb, e) for e in presses]
    assert_paced(calls, CHAT_INTERVAL)
    # departures are paced; arrivals carry the HTTP latency of each request (the first one can be
    # tens of milliseconds slower on a busy machine), hence two intervals of slack
    assert calls[-1].at - calls[0].at >= (burst - 3) * CHAT_INTERVAL
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == burst


@pytest.mark.timeout(60)
async def test_two_chats_are_paced_separately_and_interleave(server: Server, fake: FakePlatform,
                                                             http: aiohttp.ClientSession) -> None:
    a, b = new_chat(), new_chat()
    for i in range(40):
        for chat in (a, b):
            assert (await post_telegram(http, server, tg_press(chat, f"kb:{ENTRIES[i % len(ENTRIES)]}")))[0] == 200
    both = lambda c: tg_sent(a)(c) or tg_sent(b)(c)  # noqa: E731
    calls = await fake.wait(both, 80, timeout=30)
    order = [c.params["chat_id"] for c in calls]
    switches = sum(1 for x, y in itertools.pairwise(order) if x != y)
    assert switches >= 30, order
    for chat in (a, b):  # each chat paced on its own; the switches above show they went side by side
        assert_paced([c for c in calls if c.params["chat_id"] == str(chat)], CHAT_INTERVAL)


@pytest.mark.timeout(60)
async def test_a_chat_with_a_backlog_does_not_hold_up_other_chats(server: Server, fake: FakePlatform,
                                                                  http: aiohttp.ClientSession) -> None:
    busy, other = new_chat(), new_chat()
    fake.slow(tg_sent(busy, ok=None), 1.0)  # the API is slow once: meanwhile the whole backlog is queued
    backlog_size = 30  # 30 replies at 20 a second: a second and a half of sending to `busy`
    for i in range(backlog_size):
        assert (await post_telegram(http, server, tg_press(busy, f"kb:{ENTRIES[i % len(ENTRIES)]}")))[0] == 200
    await fake.wait(tg_sent(busy), 10)
    assert (await post_telegram(http, server, tg_text(other, QUESTION)))[0] == 200
    [reply] = await fake.wait(tg_sent(other), timeout=10)
    backlog = await fake.wait(tg_sent(busy), backlog_size, timeout=20)
    # the other chat's reply overtook the busy chat's backlog: it arrived while most of it was still to come
    after = [c for c in backlog if c.at > reply.at]
    assert len(after) >= backlog_size // 2, \
        f"the other chat's reply came after {backlog_size - len(after)} of the busy chat's {backlog_size}"


async def test_retry_after_is_honoured_and_the_message_delivered_once(server: Server, fake: FakePlatform,
                                                                      http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    fake.tg_retry_after(chat, times=1, seconds=1)
    assert (await post_telegram(http, server, tg_text(chat, QUESTION)))[0] == 200
    [limited] = await fake.wait(tg_sent(chat, ok=False))
    assert limited.status == 429
    [delivered] = await fake.wait(tg_sent(chat), timeout=10)
    assert delivered.at - limited.at >= 1.0
    assert delivered.text == limited.text
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == 2
    [row] = server.query("SELECT status FROM outbox WHERE chat_id = ?", (str(chat),))
    assert row["status"] == "sent"


async def test_retry_after_keeps_the_chats_order(server: Server, fake: FakePlatform, http: aiohttp.ClientSession,
                                                 kb: KnowledgeBase) -> None:
    chat = new_chat()
    fake.tg_retry_after(chat, times=1, seconds=1)
    entries = ENTRIES[:3]
    for entry in entries:
        assert (await post_telegram(http, server, tg_press(chat, f"kb:{entry}")))[0] == 200
    calls = await fake.wait(tg_sent(chat), 3, timeout=15)
    assert [visible(c) for c in calls] == [answer_of(kb, e) for e in entries]


async def test_a_permanent_refusal_is_kept_as_failed_and_not_retried(server: Server, fake: FakePlatform,
                                                                     http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    fake.rule(tg_sent(chat, ok=None), 403, {"ok": False, "error_code": 403,
                                            "description": "Forbidden: bot was blocked by the user"})
    assert (await post_telegram(http, server, tg_text(chat, QUESTION)))[0] == 200
    await fake.wait(tg_sent(chat, ok=None))
    [row] = await server.wait_rows("SELECT status, attempts, error FROM outbox WHERE chat_id = ?", (str(chat),),
                                   lambda rows: bool(rows) and rows[0]["status"] not in ("pending", "sending"))
    assert row["status"] == "failed"
    assert "blocked by the user" in row["error"]
    assert row["attempts"] == 1
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == 1  # no retry ('failed' is final)


# -- the operator's messages ------------------------------------------------------------------------------


async def test_an_agents_reply_from_the_console_reaches_the_telegram_chat(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    assert (await post_telegram(http, server, tg_text(chat, "/operator")))[0] == 200
    [queued] = await fake.wait(tg_sent(chat))
    assert "очеред" in queued.text
    conversation = server.conversation("telegram", chat)
    assert conversation["status"] == "queued"
    console = await Console.open(server)
    try:
        items = (await console.op("queue"))["items"]
        [item] = [i for i in items if i["conversation_id"] == conversation["id"]]
        await console.op("take", handoff_id=item["handoff_id"])
        await console.op("reply", conversation_id=conversation["id"], text="Здравствуйте! Проверю: 2 < 3 & **всё** ок")
    finally:
        await console.close()
    [_, joined, reply] = await fake.wait(tg_sent(chat), 3)
    assert visible(joined) == kb.message("operator_joined", "ru", name="Administrator")
    assert reply.text == "Здравствуйте! Проверю: 2 &lt; 3 &amp; <b>всё</b> ок"
    assert reply.params["parse_mode"] == "HTML"
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == 3


# -- configuration and set-up commands --------------------------------------------------------------------


@pytest.mark.storage_free  # the start stops at the configuration, before any storage
async def test_a_half_configured_channel_stops_the_start(fake: FakePlatform, tmp_path: Path) -> None:
    server = channels_server(ProcessServer, tmp_path, fake, ("telegram",), secrets={"TELEGRAM_WEBHOOK_SECRET": ""})
    result = await asyncio.to_thread(server.run, "serve", "--db", str(server.db))
    assert result.returncode == 2, result.stderr
    assert "channel configuration error" in result.stderr and "TELEGRAM_WEBHOOK_SECRET" in result.stderr
    assert "serving on" not in result.stderr


@pytest.fixture
def supportbot(fake: FakePlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """`supportbot --config … ARGS` through its entry point, in process (a subprocess costs seconds of
    imports), with the channel tokens in the environment."""
    from supportbot.cli import main

    server = channels_server(ProcessServer, tmp_path, fake, ("telegram", "viber"))
    for name, value in server.env.items():
        if name.startswith(("TELEGRAM_", "VIBER_", "VK_")):
            monkeypatch.setenv(name, value)
    return lambda *args: main(["--config", str(server.config_file), *args])


@pytest.mark.storage_free  # the set-up commands call the platforms only
@pytest.mark.xdist_group("aiogram")  # on one test process: importing aiogram costs ~5 s of CPU
def test_telegram_set_webhook_registers_our_address_and_secret(fake: FakePlatform, supportbot: Callable[..., int],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    since = time.monotonic()
    assert supportbot("telegram", "set-webhook", "--url", "https://example.org") == 0
    assert capsys.readouterr().out.strip() == "ok"
    [call] = fake.matching(lambda c: c.method == "setWebhook" and c.at >= since)
    assert call.path == "/bot123456:TEST/setWebhook"
    assert call.params["url"] == "https://example.org/webhooks/telegram"
    assert call.params["secret_token"] == TG_SECRET
    assert set(call.params["allowed_updates"]) >= {"message", "callback_query"}


@pytest.mark.storage_free  # the set-up commands call the platforms only
@pytest.mark.xdist_group("aiogram")  # on one test process: importing aiogram costs ~5 s of CPU
def test_the_other_set_up_commands(fake: FakePlatform, supportbot: Callable[..., int],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    since = time.monotonic()
    assert supportbot("telegram", "set-webhook", "--url", "http://example.org") == 2  # not https
    assert "https://" in capsys.readouterr().err
    assert not fake.matching(lambda c: c.method == "setWebhook" and c.at >= since)
    assert supportbot("telegram", "delete-webhook") == 0
    [deleted] = fake.matching(lambda c: c.method == "deleteWebhook" and c.at >= since)
    assert deleted.path == "/bot123456:TEST/deleteWebhook"
    assert supportbot("viber", "set-webhook", "--url", "https://example.org/") == 0
    assert capsys.readouterr().out.startswith("ok")
    [call] = fake.matching(lambda c: c.platform == "viber" and c.method == "set_webhook" and c.at >= since)
    assert call.path == "/pa/set_webhook"
    assert call.params["url"] == "https://example.org/webhooks/viber"
    assert call.params["auth_token"] == VIBER_TOKEN
    assert "conversation_started" in call.params["event_types"]


async def test_the_consoles_reply_result_answers_the_request(server: Server, fake: FakePlatform,
                                                             http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    assert (await post_telegram(http, server, tg_text(chat, "/operator")))[0] == 200
    await fake.wait(tg_sent(chat))
    conversation = server.conversation("telegram", chat)
    console = await Console.open(server)
    try:
        items = (await console.op("queue"))["items"]
        [item] = [i for i in items if i["conversation_id"] == conversation["id"]]
        await console.op("take", handoff_id=item["handoff_id"])
        result = await console.op("reply", conversation_id=conversation["id"], text="Сейчас посмотрю")
    finally:
        await console.close()
    assert result["id"] == console.seq and result["op"] == "reply"  # console.js matches results by the request's id
