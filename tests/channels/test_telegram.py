"""Telegram end to end: webhook updates (the Bot API's own Update shapes) posted to the real
server, the replies as the fake Bot API receives them (`POST /bot{token}/sendMessage`)."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
import pytest

from bots.base import PAYLOAD_RE
from bots.telegram import LIMIT, TelegramAdapter
from intents.replies import Button, Reply
from knowledge.model import KnowledgeBase

from .conftest import (
    ONLY_TEXT,
    PHONE,
    TG_SECRET,
    TG_TOKEN,
    Call,
    FakePlatform,
    Server,
    new_chat,
    post_telegram,
    tg_contact,
    tg_payload,
    tg_press,
    tg_sent,
    tg_text,
    to_chat,
)

pytestmark = pytest.mark.timeout(120)
QUESTION = "как позвонить в поддержку"


def visible(call: Call) -> str:
    """The text a user sees (HTML tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", call.text))


def markdown_plain(text: str) -> str:
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text).strip()


def inline_buttons(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup")
    assert isinstance(markup, dict) and "inline_keyboard" in markup, f"no inline keyboard: {markup!r}"
    return [b for row in markup["inline_keyboard"] for b in row]


async def ask(http: aiohttp.ClientSession, server: Server, fake: FakePlatform, chat: int, text: str,
              replies: int = 1) -> list[Call]:
    """Post a text message from `chat`; the `replies` new sendMessage calls it caused."""
    before = len(fake.matching(tg_sent(chat)))
    status, _ = await post_telegram(http, server, tg_text(chat, text))
    assert status == 200
    return (await fake.wait(tg_sent(chat), before + replies))[before:]


async def test_text_message_gets_one_html_answer_with_an_inline_keyboard(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    status, body = await post_telegram(http, server, tg_text(chat, QUESTION))
    assert (status, body) == (200, "")
    [call] = await fake.wait(tg_sent(chat))
    assert call.path == f"/bot{TG_TOKEN}/sendMessage"
    assert call.params["chat_id"] == str(chat)
    assert call.params["parse_mode"] == "HTML"
    assert "<b>611</b>" in call.text and "**" not in call.text
    assert visible(call) == markdown_plain(kb.entry("support-611").answer.get("ru"))
    buttons = inline_buttons(call)
    assert buttons, "the answer's follow-up topics are buttons"
    for button in buttons:
        assert PAYLOAD_RE.match(button["callback_data"]), button
        assert len(button["callback_data"].encode()) <= 64 and button["text"]
    assert "kb:operator-via-611" in {b["callback_data"] for b in buttons}
    await server.settled(chat)
    assert len(fake.matching(tg_sent(chat, ok=None))) == 1  # one question, one message


async def test_button_press_is_acknowledged_in_the_webhook_response_then_answered(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    [first] = await ask(http, server, fake, chat, QUESTION)
    pressed = inline_buttons(first)[0]
    data = pressed["callback_data"]
    assert data.startswith("kb:")
    update = tg_press(chat, data)
    update["callback_query"]["message"]["reply_markup"] = first.params["reply_markup"]  # the message it was under
    async with http.post(server.url + "/webhooks/telegram", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {"method": "answerCallbackQuery",
                                         "callback_query_id": update["callback_query"]["id"]}
    [_, answer] = await fake.wait(tg_sent(chat), 2)
    assert visible(answer) == markdown_plain(kb.entry(data[3:]).answer.get("ru"))
    # the webhook response answered the query: no separate answerCallbackQuery request
    assert not fake.matching(lambda c: c.method == "answerCallbackQuery")
    # what the subscriber "said" is the button's title; the payload is kept apart
    conversation = server.conversation("telegram", chat)["id"]
    said = server.query("SELECT text, payload FROM messages WHERE conversation_id = ? AND direction = 'in' ORDER BY id",
                        (conversation,))
    assert said[-1] == {"text": pressed["text"], "payload": data}


async def test_own_contact_logs_in_and_the_balance_is_sent(server: Server, fake: FakePlatform,
                                                           http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    [ask_phone] = await ask(http, server, fake, chat, "какой у меня баланс")
    markup = ask_phone.params.get("reply_markup")
    assert isinstance(markup, dict) and "keyboard" in markup, markup
    share = [b for row in markup["keyboard"] for b in row if b.get("request_contact")]
    assert len(share) == 1 and share[0]["request_contact"] is True and share[0]["text"]
    assert "войти" in ask_phone.text
    status, _ = await post_telegram(http, server, tg_contact(chat, PHONE.lstrip("+"), owner=chat))
    assert status == 200
    replies = await fake.wait(tg_sent(chat), 3)
    texts = [visible(c) for c in replies[1:]]
    assert texts[0] == kb.message("login_ok", "ru")
    assert "баланс" in texts[1].lower() and "352,40" in texts[1], texts  # the demo subscriber's 352.40 ₽
    assert server.conversation("telegram", chat)["subscriber_id"] is not None
    [logout] = await ask(http, server, fake, chat, "/logout")
    assert visible(logout) == kb.message("logout_done", "ru")
    assert server.conversation("telegram", chat)["subscriber_id"] is None


async def test_someone_elses_contact_does_not_log_in(server: Server, fake: FakePlatform,
                                                     http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    await ask(http, server, fake, chat, "какой у меня баланс")
    status, _ = await post_telegram(http, server, tg_contact(chat, "+79990000002", owner=new_chat()))
    assert status == 200
    [_, reply] = await fake.wait(tg_sent(chat), 2)
    assert "код" in reply.text and "352,40" not in reply.text  # an SMS code is needed instead
    assert server.conversation("telegram", chat)["subscriber_id"] is None


async def test_commands(server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    chat = new_chat()
    [welcome] = await ask(http, server, fake, chat, "/start")
    assert visible(welcome) == kb.message("welcome", "ru")
    menu = [b["callback_data"] for b in inline_buttons(welcome)]
    assert menu[-1] == "operator" and all(p.startswith("kb:") for p in menu[:-1])
    [help_] = await ask(http, server, fake, chat, "/help")
    assert visible(help_) == kb.message("help", "ru")
    [logout] = await ask(http, server, fake, chat, "/logout")
    assert visible(logout) == kb.message("logout_not_logged_in", "ru")
    [queued] = await ask(http, server, fake, chat, "/operator")
    assert "очеред" in queued.text
    assert server.conversation("telegram", chat)["status"] == "queued"


@pytest.mark.parametrize("kind", ["message_sticker", "message_photo"])
async def test_sticker_and_photo_get_the_only_text_reply(server: Server, fake: FakePlatform,
                                                         http: aiohttp.ClientSession, kind: str) -> None:
    chat = new_chat()
    status, _ = await post_telegram(http, server, tg_payload(kind, chat))
    assert status == 200
    [reply] = await fake.wait(tg_sent(chat))
    assert ONLY_TEXT in reply.text


async def test_edited_messages_and_group_chats_get_nothing(server: Server, fake: FakePlatform,
                                                          http: aiohttp.ClientSession) -> None:
    chat = new_chat()
    edited = tg_payload("edited_message", chat)
    group = tg_payload("group_message", chat)
    group_chat = group["message"]["chat"]["id"]
    for update in (edited, group):
        assert (await post_telegram(http, server, update))[0] == 200
    keys = (str(edited["update_id"]), str(group["update_id"]))
    await server.wait_rows("SELECT status FROM inbound_updates WHERE channel = 'telegram' AND update_key IN (?, ?)", keys,
                           lambda rows: len(rows) == 2 and all(r["status"] == "done" for r in rows))
    assert not server.query("SELECT id FROM outbox WHERE chat_id IN (?, ?)", (str(chat), str(group_chat)))
    await server.settled()
    assert not fake.matching(lambda c: to_chat(chat)(c) or to_chat(group_chat)(c))


@pytest.mark.parametrize("secret", ["wrong-secret", None, TG_SECRET.upper(), TG_SECRET + "x", ""])
async def test_a_wrong_or_missing_secret_token_is_refused_and_nothing_is_stored(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, secret: str | None) -> None:
    chat = new_chat()
    before = server.query("SELECT count(*) AS n FROM inbound_updates")[0]["n"]
    update = tg_text(chat, QUESTION)
    status, _ = await post_telegram(http, server, update, secret=secret)
    assert status == 401
    await server.settled()
    assert not fake.matching(to_chat(chat))
    assert not server.query("SELECT id FROM inbound_updates WHERE channel = 'telegram' AND update_key = ?",
                            (str(update["update_id"]),))
    assert server.query("SELECT count(*) AS n FROM inbound_updates")[0]["n"] == before
    assert not server.query("SELECT id FROM conversations WHERE channel = 'telegram' AND user_key = ?", (str(chat),))


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2, 3]", b'{"message": {"text": "no update_id"}}', b"\xff\xfe"])
async def test_malformed_updates_are_400_and_not_stored(server: Server, http: aiohttp.ClientSession, raw: bytes) -> None:
    before = server.query("SELECT count(*) AS n FROM inbound_updates")[0]["n"]
    status, _ = await post_telegram(http, server, raw=raw)
    assert status == 400
    assert server.query("SELECT count(*) AS n FROM inbound_updates")[0]["n"] == before


@pytest.mark.storage_free
async def test_render_splits_a_long_reply_and_keeps_the_keyboard_on_the_last_part() -> None:
    adapter = TelegramAdapter(TG_TOKEN, "http://127.0.0.1:9")
    try:
        sentence = "Абонент может проверить **баланс** командой *105# & узнать <остаток> пакета. "
        text = (sentence * 120).strip()
        assert len(text) > 9000
        reply = Reply(text, [Button("Баланс", "kb:balance"), Button("Сайт", "url:https://tele2.ru")])
        requests = adapter.render("42", reply, "ru")
    finally:
        await adapter.close()
    assert len(requests) >= 3
    for request in requests:
        shown = html.unescape(re.sub(r"<[^>]+>", "", request["text"]))
        assert 0 < len(shown) <= LIMIT
        assert request["chat_id"] == "42" and request["parse_mode"] == "HTML"
        assert "<остаток>" not in request["text"]  # escaped, not sent as a tag
    assert [("reply_markup" in r) for r in requests] == [False] * (len(requests) - 1) + [True]
    assert requests[-1]["reply_markup"] == {"inline_keyboard": [[{"text": "Баланс", "callback_data": "kb:balance"}],
                                                                [{"text": "Сайт", "url": "https://tele2.ru"}]]}
    rejoined = " ".join(html.unescape(re.sub(r"<[^>]+>", "", r["text"])) for r in requests)
    assert rejoined.split() == markdown_plain(text).split()  # nothing lost, nothing repeated
