"""VK end to end: Callback API events (API 5.199 shapes) posted to the real server, the replies
as the fake VK API receives them (`POST /method/messages.send`, form-encoded as vk-api sends)."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest

from bots.base import PAYLOAD_RE
from knowledge.model import KnowledgeBase

from .conftest import (
    ONLY_TEXT,
    VK_CONFIRMATION,
    VK_GROUP,
    VK_TOKEN,
    Call,
    FakePlatform,
    Server,
    load,
    new_chat,
    post_vk,
    to_chat,
    vk_press,
    vk_sent,
    vk_text,
    vk_update,
)

pytestmark = pytest.mark.timeout(120)
QUESTION = "как позвонить в поддержку"


def markdown_plain(text: str) -> str:
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text).strip()


def callback_buttons(call: Call) -> list[dict[str, Any]]:
    keyboard = call.params.get("keyboard")
    assert isinstance(keyboard, dict), f"no keyboard JSON: {keyboard!r}"
    assert keyboard["inline"] is True
    return [b["action"] for row in keyboard["buttons"] for b in row]


async def ask(http: aiohttp.ClientSession, server: Server, fake: FakePlatform, peer: int, text: str) -> Call:
    before = len(fake.matching(vk_sent(peer)))
    assert await post_vk(http, server, vk_text(peer, text)) == (200, "ok")
    return (await fake.wait(vk_sent(peer), before + 1))[before]


async def test_confirmation_returns_the_configured_string(server: Server, http: aiohttp.ClientSession) -> None:
    assert await post_vk(http, server, load("vk/confirmation.json")) == (200, VK_CONFIRMATION)
    status, _ = await post_vk(http, server, {**load("vk/confirmation.json"), "group_id": VK_GROUP + 1})
    assert status == 403


async def test_message_new_is_answered_with_messages_send_and_callback_buttons(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    peer = new_chat()
    call = await ask(http, server, fake, peer, QUESTION)
    assert call.path == "/method/messages.send"
    assert call.params["peer_id"] == str(peer)
    assert call.params["access_token"] == VK_TOKEN and call.params["v"] == "5.199"
    assert call.params["message"] == markdown_plain(kb.entry("support-611").answer.get("ru"))
    assert re.fullmatch(r"[1-9]\d*", call.params["random_id"]), call.params["random_id"]
    actions = callback_buttons(call)
    assert actions
    for action in actions:
        assert action["type"] == "callback" and action["label"]
        payload = json.loads(action["payload"])
        assert set(payload) == {"p", "t"} and PAYLOAD_RE.match(payload["p"]) and payload["t"] == action["label"], payload
        assert len(action["payload"]) <= 255  # VK's limit
    await server.settled(peer)
    assert len(fake.matching(vk_sent(peer, ok=None))) == 1


async def test_message_event_is_acknowledged_and_answered(server: Server, fake: FakePlatform,
                                                          http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    peer = new_chat()
    first = await ask(http, server, fake, peer, QUESTION)
    button = callback_buttons(first)[0]
    payload = json.loads(button["payload"])
    assert payload["t"] == button["label"]  # the title comes back with the press
    event = vk_press(peer, payload)
    assert await post_vk(http, server, event) == (200, "ok")
    [ack] = await fake.wait(lambda c: c.method == "messages.sendMessageEventAnswer" and to_chat(peer)(c))
    assert ack.params["event_id"] == event["object"]["event_id"]
    assert ack.params["user_id"] == str(peer) and ack.params["peer_id"] == str(peer)
    [_, answer] = await fake.wait(vk_sent(peer), 2)
    assert answer.params["message"] == markdown_plain(kb.entry(payload["p"][3:]).answer.get("ru"))
    assert answer.params["random_id"] != first.params["random_id"]
    said = server.query("SELECT text, payload FROM messages WHERE conversation_id = ? AND direction = 'in' ORDER BY id",
                        (server.conversation("vk", peer)["id"],))
    assert said[-1] == {"text": button["label"], "payload": payload["p"]}


async def test_a_text_keyboard_button_payload_in_message_new_is_a_press(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, kb: KnowledgeBase) -> None:
    peer = new_chat()
    update = vk_update("message_new", peer, text="Оператор по телефону", payload='{"p":"kb:operator-via-611"}')
    assert await post_vk(http, server, update) == (200, "ok")
    [answer] = await fake.wait(vk_sent(peer))
    assert answer.params["message"] == markdown_plain(kb.entry("operator-via-611").answer.get("ru"))
    said = server.query("SELECT text, payload FROM messages WHERE conversation_id = ? AND direction = 'in'",
                        (server.conversation("vk", peer)["id"],))
    assert said == [{"text": "Оператор по телефону", "payload": "kb:operator-via-611"}]


@pytest.mark.parametrize("secret", ["wrong", None, ""])
async def test_a_wrong_secret_is_403_and_nothing_reaches_the_platform(
        server: Server, fake: FakePlatform, http: aiohttp.ClientSession, secret: str | None) -> None:
    peer = new_chat()
    update = vk_text(peer, QUESTION)
    if secret is None:
        del update["secret"]
    else:
        update["secret"] = secret
    status, _ = await post_vk(http, server, update)
    assert status == 403
    await server.settled()
    assert not fake.matching(to_chat(peer))
    assert not server.query("SELECT id FROM inbound_updates WHERE channel = 'vk' AND update_key = ?",
                            (update["event_id"],))


async def test_a_wrong_group_is_403(server: Server, fake: FakePlatform, http: aiohttp.ClientSession) -> None:
    peer = new_chat()
    for group in (VK_GROUP + 1, 1, None):
        update = vk_text(peer, QUESTION)
        update["group_id"] = group
        status, _ = await post_vk(http, server, update)
        assert status == 403, group
    await server.settled()
    assert not fake.matching(to_chat(peer))


async def test_a_group_chat_message_gets_nothing(server: Server, fake: FakePlatform,
                                                 http: aiohttp.ClientSession) -> None:
    user, peer = new_chat(), 2_000_000_000 + new_chat() % 1000
    update = vk_update("message_new", user, peer_id=peer, text=QUESTION)
    assert await post_vk(http, server, update) == (200, "ok")
    await server.wait_rows("SELECT status FROM inbound_updates WHERE channel = 'vk' AND update_key = ?",
                           (update["event_id"],), lambda rows: bool(rows) and rows[0]["status"] == "done")
    await server.settled()
    assert not fake.matching(lambda c: to_chat(peer)(c) or to_chat(user)(c))


@pytest.mark.parametrize("kind", ["message_new_sticker", "message_new_photo"])
async def test_sticker_and_photo_get_the_only_text_reply(server: Server, fake: FakePlatform,
                                                         http: aiohttp.ClientSession, kind: str) -> None:
    peer = new_chat()
    assert await post_vk(http, server, vk_update(kind, peer)) == (200, "ok")
    [reply] = await fake.wait(vk_sent(peer))
    assert ONLY_TEXT in reply.params["message"]


@pytest.mark.timeout(60)
async def test_flood_control_is_retried_with_the_same_random_id(server: Server, fake: FakePlatform,
                                                                http: aiohttp.ClientSession) -> None:
    peer = new_chat()
    fake.fail(vk_sent(peer, ok=None), 1, 200, {"error": {"error_code": 9, "error_msg": "Flood control",
                                                         "request_params": [{"key": "method", "value": "messages.send"}]}})
    assert await post_vk(http, server, vk_text(peer, QUESTION)) == (200, "ok")
    [refused] = await fake.wait(vk_sent(peer, ok=False))
    [delivered] = await fake.wait(vk_sent(peer), timeout=20)
    assert delivered.params["random_id"] == refused.params["random_id"]  # VK drops a repeat with the same id
    assert delivered.params["message"] == refused.params["message"]
    assert delivered.at - refused.at >= 1.0
    await server.settled(peer)
    assert len(fake.matching(vk_sent(peer, ok=None))) == 2
    [row] = server.query("SELECT status, id FROM outbox WHERE channel = 'vk' AND chat_id = ?", (str(peer),))
    assert row["status"] == "sent" and str(row["id"]) == delivered.params["random_id"]
