"""Chat protocol v2, the server side: a message with a client id is acknowledged only once
stored, a repeated id is not processed again (the same ack), errors carry the id and a line in
the user's language; frames without an id still work; agents' replies deduplicate the same way."""

from __future__ import annotations

import aiohttp
import pytest
from clients import ChatClient, ConsoleClient, new_agent, queued_chat
from servers import AppServer

pytestmark = pytest.mark.timeout(120)


async def test_a_message_with_an_id_is_acked_after_it_is_stored(server: AppServer, http: aiohttp.ClientSession) -> None:
    chat = await ChatClient.open(http, server)
    cid = await chat.send("что такое личный кабинет", "cid-first-0001")
    ack = await chat.acked(cid)
    assert ack["type"] == "ack" and isinstance(ack["message_id"], int) and ack["at"].endswith("Z")
    rows = server.query("SELECT id, client_id, direction FROM messages WHERE conversation_id = ? ORDER BY id",
                        (chat.conversation_id(),))
    assert [r["id"] for r in rows if r["client_id"] == cid] == [ack["message_id"]]
    mine = await chat.wait_message(lambda m: m["id"] == ack["message_id"])
    assert mine["client_id"] == cid and mine["direction"] == "in"
    await chat.close()


async def test_a_repeated_id_is_not_processed_again(server: AppServer, http: aiohttp.ClientSession) -> None:
    chat = await ChatClient.open(http, server)
    first = await chat.acked(await chat.send("как пополнить баланс", "cid-repeat-0001"))
    await chat.close()
    again = await ChatClient.open(http, server, chat.token)  # a reconnect: the page sends its unacked message again
    second = await again.acked(await again.send("как пополнить баланс", "cid-repeat-0001"))
    assert second["type"] == "ack" and second["message_id"] == first["message_id"]
    turns = server.query("SELECT count(*) AS n FROM turns_log WHERE conversation_id = ?", (chat.conversation_id(),))
    ins = server.query("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND direction = 'in'",
                       (chat.conversation_id(),))
    assert turns[0]["n"] == 1 and ins[0]["n"] == 1
    await again.close()


async def test_frames_without_an_id_still_work_without_an_ack(server: AppServer, http: aiohttp.ClientSession) -> None:
    chat = await ChatClient.open(http, server)
    replies = await chat.ask("что такое личный кабинет")
    assert replies and not [f for f in chat.frames if f.get("type") == "ack"]
    assert all(m["client_id"] is None for m in chat.messages)
    await chat.close()


async def test_a_pressed_button_shows_its_title_not_its_payload(server: AppServer, http: aiohttp.ClientSession) -> None:
    chat = await ChatClient.open(http, server)
    await chat.ws.send_json({"type": "press", "id": "cid-press-0001", "payload": "menu", "title": "Меню"})
    ack = await chat.acked("cid-press-0001")
    row = server.query("SELECT text, payload FROM messages WHERE id = ?", (ack["message_id"],))[0]
    assert row == {"text": "Меню", "payload": "menu"}
    await chat.close()


@pytest.mark.parametrize("lang, word", [("ru", "символов"), ("en", "characters")])
async def test_errors_carry_the_id_and_a_line_in_the_users_language(server: AppServer, http: aiohttp.ClientSession,
                                                                   lang: str, word: str) -> None:
    chat = await ChatClient.open(http, server, lang=lang)
    error = await chat.acked(await chat.send("x" * 2001, "cid-long-" + lang))
    assert error["type"] == "error" and error["error"] == "too_long" and error["limit"] == 2000 and word in error["text"]
    await chat.ws.send_json({"type": "say", "id": "bad id!", "text": "hi"})
    bad = await chat.wait_for(lambda f: f.get("type") == "error" and f.get("error") == "bad_frame")
    assert bad["id"] is None and bad["text"]
    await chat.close()


async def test_agent_replies_with_an_id_are_stored_once(server: AppServer, http: aiohttp.ClientSession) -> None:
    visitor = await queued_chat(http, server)
    conversation_id = visitor.conversation_id()
    agent = await new_agent(server)
    console = await ConsoleClient.open(server, agent)
    handoff = server.handoff_of(conversation_id)
    await console.ok("take", handoff_id=handoff["id"])
    first = await console.ok("reply", conversation_id=conversation_id, text="Здравствуйте!", client_id="agent-cid-0001")
    again = await console.ok("reply", conversation_id=conversation_id, text="Здравствуйте!", client_id="agent-cid-0001")
    assert first["message_id"] == again["message_id"] and again["duplicate"] is True
    rows = server.query("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND direction = 'agent'",
                        (conversation_id,))
    assert rows[0]["n"] == 1
    await console.close()
    await visitor.close()


async def test_finding_14_a_100kb_frame_gets_too_long_and_the_socket_stays(server: AppServer,
                                                                            http: aiohttp.ClientSession) -> None:
    chat = await ChatClient.open(http, server, lang="en")
    await chat.ws.send_json({"type": "say", "id": "cid-huge-0001", "text": "x" * 100_000})
    error = await chat.acked("cid-huge-0001")
    assert error["error"] == "too_long" and "characters" in error["text"]
    assert (await chat.acked(await chat.send("hello", "cid-after-huge")))["type"] == "ack"
    await chat.close()
