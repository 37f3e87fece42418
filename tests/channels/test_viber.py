"""Viber end to end: REST API callbacks (signed with X-Viber-Content-Signature) posted to the real
server, the replies as the fake Viber API receives them (`POST /pa/send_message`)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import pytest

from bots.base import PAYLOAD_RE
from knowledge.model import KnowledgeBase

from .conftest import (
    ONLY_TEXT,
    PHONE,
    VIBER_SENDER,
    VIBER_TOKEN,
    Call,
    FakePlatform,
    Server,
    body_of,
    load,
    new_viber_user,
    post_viber,
    to_chat,
    viber_sent,
    viber_sign,
    viber_text,
    viber_update,
)

pytestmark = pytest.mark.timeout(120)
QUESTION = "как позвонить в поддержку"


def markdown_plain(text: str) -> str:
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text).strip()


def buttons(call_or_message: Call | dict[str, Any]) -> list[dict[str, Any]]:
    message = call_or_message.params if isinstance(call_or_message, Call) else call_or_message
    keyboard = message.get("keyboard")
    assert isinstance(keyboard, dict) and keyboard.get("Type") == "keyboard", f"no keyboard: {keyboard!r}"
    return list(keyboard["Buttons"])


async def ask(http: aiohttp.ClientSession, server: Server, fake: FakePlatform, user: str, text: str,
              replies: int = 1) -> list[Call]:
    before = len(fake.matching(viber_sent(user)))
    assert (await post_viber(http, server, viber_text(user, text)))[0] == 200
    return (await fake.wait(viber_sent(user), before + replies))[before:]


async def test_a_signed_message_is_answered_with_send_message(server: Server, fake: FakePlatform,
                                                              http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    user = new_viber_user()
    [call] = await ask(http, server, fake, user, QUESTION)
    assert call.path == "/pa/send_message"
    p = call.params
    assert p["receiver"] == user and p["type"] == "text" and p["auth_token"] == VIBER_TOKEN
    assert p["sender"]["name"] == VIBER_SENDER
    assert p["text"] == markdown_plain(kb.entry("support-611").answer.get("ru"))
    reply_buttons = buttons(call)
    assert reply_buttons
    for button in reply_buttons:
        assert button["ActionType"] == "reply" and button["Text"]
        assert button["Silent"] is True, button  # else Viber posts the ActionBody as the subscriber's message
        payload, title = button["ActionBody"].split("\n", 1)
        assert PAYLOAD_RE.match(payload) and title == button["Text"], button
    assert "kb:operator-via-611" in {b["ActionBody"].split("\n")[0] for b in reply_buttons}
    await server.settled(user)
    assert len(fake.matching(viber_sent(user, ok=None))) == 1


async def test_pressing_a_reply_button_answers_that_entry(server: Server, fake: FakePlatform,
                                                          http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    user = new_viber_user()
    [first] = await ask(http, server, fake, user, QUESTION)
    pressed = buttons(first)[0]
    body = pressed["ActionBody"]
    assert body.startswith("kb:") and pressed["Silent"] is True
    [answer] = await ask(http, server, fake, user, body)  # a reply button sends its ActionBody as text
    payload = body.split("\n")[0]
    assert answer.params["text"] == markdown_plain(kb.entry(payload[3:]).answer.get("ru"))
    said = server.query("SELECT text, payload FROM messages WHERE conversation_id = ? AND direction = 'in' ORDER BY id",
                        (server.conversation("viber", user)["id"],))
    assert said[-1] == {"text": pressed["Text"], "payload": payload}
    [old_style] = await ask(http, server, fake, user, payload)  # a keyboard sent before titles rode along
    assert old_style.params["text"] == answer.params["text"]


async def test_conversation_started_is_answered_in_the_response(server: Server, fake: FakePlatform,
                                                                http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    user = new_viber_user()
    update = viber_update("conversation_started", user)
    status, body = await post_viber(http, server, update)
    assert status == 200
    welcome = json.loads(body)
    assert welcome["type"] == "text"
    assert welcome["text"] == markdown_plain(kb.message("welcome", "ru"))
    assert welcome["sender"]["name"] == VIBER_SENDER
    menu = buttons(welcome)
    assert [b["ActionType"] for b in menu] == ["reply"] * len(menu)
    assert all(b["Silent"] is True for b in menu)
    assert menu[-1]["ActionBody"] == "operator\n" + menu[-1]["Text"]
    assert "receiver" not in welcome and "auth_token" not in welcome  # a response, not an API call
    assert (await post_viber(http, server, update)) == (200, "")  # Viber's retry: no second welcome
    [row] = server.query("SELECT status FROM inbound_updates WHERE channel = 'viber' AND update_key = ?",
                         (f"conversation_started:{update['message_token']}",))
    assert row["status"] == "done"
    # (that the welcome is not also sent through the API is test_conversation_started_is_welcomed_once_…)


async def test_shared_phone_gets_a_code_not_a_login(server: Server, fake: FakePlatform, http: aiohttp.ClientSession,
                                                    kb: KnowledgeBase) -> None:
    """Viber cannot tell "share my number" from a forwarded contact card: the number is where
    the login code goes, never a login by itself."""
    user = new_viber_user()
    [ask_phone] = await ask(http, server, fake, user, "какой у меня баланс")
    share = [b for b in buttons(ask_phone) if b["ActionType"] == "share-phone"]
    assert len(share) == 1
    assert ask_phone.params["min_api_version"] >= 3  # share-phone needs API version 3
    status, _ = await post_viber(http, server, viber_update("message_contact", user))
    assert status == 200
    [_, code_sent] = await fake.wait(viber_sent(user), 2)
    assert "код" in code_sent.params["text"]
    assert server.conversation("viber", user)["subscriber_id"] is None
    assert PHONE.endswith(load("viber/message_contact.json")["message"]["contact"]["phone_number"][-10:])


@pytest.mark.parametrize("signature", ["wrong", None, "", "other-token", "truncated"])
async def test_a_wrong_or_missing_signature_is_403_and_nothing_is_done(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, signature: str | None) -> None:
    user = new_viber_user()
    update = viber_text(user, QUESTION)
    body = body_of(update)
    given = {"other-token": viber_sign(body, "another-token"), "truncated": viber_sign(body)[:32]}.get(signature or "",
                                                                                                   signature)
    status, _ = await post_viber(http, server, raw=body, signature=given)
    assert status == 403
    started = viber_update("conversation_started", user)
    status, text = await post_viber(http, server, started, signature=given)
    assert status == 403 and "keyboard" not in text
    await server.settled()
    assert not fake.matching(to_chat(user))
    assert not server.query("SELECT id FROM inbound_updates WHERE channel = 'viber' AND update_key LIKE ?",
                            (f"%:{update['message_token']}",))
    assert not server.query("SELECT id FROM conversations WHERE channel = 'viber' AND user_key = ?", (user,))


async def test_a_body_changed_after_signing_is_refused(server: Server, fake: FakePlatform,
                                                       http: aiohttp.ClientSession) -> None:
    user = new_viber_user()
    signed = body_of(viber_text(user, QUESTION))
    tampered = signed.replace("поддержку".encode(), "поддержкy".encode())
    status, _ = await post_viber(http, server, raw=tampered, signature=viber_sign(signed))
    assert status == 403
    await server.settled()
    assert not fake.matching(to_chat(user))


async def test_the_webhook_check_and_status_callbacks_are_200_without_a_reply(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession) -> None:
    assert await post_viber(http, server, load("viber/webhook.json")) == (200, "")
    user = new_viber_user()
    for name in ("subscribed", "delivered"):
        assert (await post_viber(http, server, viber_update(name, user)))[0] == 200
    await server.settled()
    assert not fake.matching(to_chat(user))


@pytest.mark.parametrize("kind", ["message_sticker", "message_picture"])
async def test_sticker_and_picture_get_the_only_text_reply(server: Server, fake: FakePlatform,
                                                           http: aiohttp.ClientSession, kind: str) -> None:
    user = new_viber_user()
    assert (await post_viber(http, server, viber_update(kind, user)))[0] == 200
    [reply] = await fake.wait(viber_sent(user))
    assert ONLY_TEXT in reply.params["text"]


@pytest.mark.timeout(60)
async def test_conversation_started_is_welcomed_once_while_other_users_write(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession) -> None:
    newcomers = [new_viber_user() for _ in range(30)]
    writers: list[str] = []
    opened = asyncio.Event()

    async def others_write() -> None:  # other users keep writing while the newcomers arrive (at most 80 of them:
        while not opened.is_set() and len(writers) < 80:  # the server shares this process, it must keep up)
            batch = [new_viber_user() for _ in range(4)]
            writers.extend(batch)
            await asyncio.gather(*(post_viber(http, server, viber_text(user, QUESTION)) for user in batch))

    async def newcomers_open_the_chat() -> list[tuple[int, str]]:
        try:
            return [await post_viber(http, server, viber_update("conversation_started", user)) for user in newcomers]
        finally:
            opened.set()

    _, welcomes = await asyncio.gather(others_write(), newcomers_open_the_chat())
    assert all(status == 200 and json.loads(body)["type"] == "text" for status, body in welcomes)
    wrote = set(writers)
    await fake.wait(lambda c: c.method == "send_message" and c.params.get("receiver") in wrote, len(wrote), timeout=30)
    await server.settled()  # every update handled, no message to anyone still to go
    again = fake.matching(lambda c: c.method == "send_message" and c.params.get("receiver") in newcomers)
    assert not again, f"{len({c.params['receiver'] for c in again})} of {len(newcomers)} newcomers got the welcome twice"
