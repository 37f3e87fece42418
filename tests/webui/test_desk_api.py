"""The console desk's ops and the chat's extras over the real socket and HTTP (no browser): canned
replies per language that only admins change, the agent's status and limit of open conversations
with the queue's next conversation, labels and notes, search over conversations and tickets, the
assist's suggestions, the greeting, and the rating's comment."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from .conftest import ADMIN_PASSWORD, AgentAccount, ChatClient, ConsoleClient, Server, new_agent, queued_chat

pytestmark = pytest.mark.timeout(120)
ADMIN = AgentAccount(1, "admin", "Administrator", "admin", ADMIN_PASSWORD)


async def test_canned_replies_per_language_only_admins_change_them(server: Server) -> None:
    agent = await new_agent(server)
    console = await ConsoleClient.open(server, agent)
    admin = await ConsoleClient.open(server, ADMIN)
    try:
        replies = (await console.ok("canned_list"))["replies"]
        assert {r["lang"] for r in replies} == {"ru", "en"}  # the knowledge base's, in both languages
        assert any(r["title"] == "Приветствие" and r["lang"] == "ru" for r in replies)
        assert any(r["title"] == "Greeting" and r["lang"] == "en" for r in replies)
        refused = await console.op("canned_save", lang="en", title="Refund", text="Refunds take 3 days.")
        assert refused["ok"] is False and "admin" in refused["error"]
        saved = (await admin.ok("canned_save", lang="en", title="Refund", text="Refunds take 3 days."))["replies"]
        mine = [r for r in saved if r["title"] == "Refund"]
        assert [(r["lang"], r["text"]) for r in mine] == [("en", "Refunds take 3 days.")]
        bad = await admin.op("canned_save", lang="de", title="X", text="Y")
        assert bad["ok"] is False and "lang" in bad["error"]
        after = (await admin.ok("canned_delete", canned_id=mine[0]["id"]))["replies"]
        assert not any(r["title"] == "Refund" for r in after)
    finally:
        await console.close()
        await admin.close()


async def test_status_and_the_limit_of_open_conversations(server: Server, http: aiohttp.ClientSession) -> None:
    agent = await new_agent(server)
    console = await ConsoleClient.open(server, agent)
    admin = await ConsoleClient.open(server, ADMIN)
    chats: list[ChatClient] = []
    try:
        refused = await console.op("status", max_open=1)
        assert refused["ok"] is False and "admin" in refused["error"]  # an agent does not raise their own limit
        await admin.ok("status", agent_id=agent.id, max_open=1)
        available = await server.runtime.handoff.presence()
        await console.ok("status", status="away")
        assert await server.runtime.handoff.presence() == available - 1  # the wait is not estimated from them
        chats = [await queued_chat(http, server), await queued_chat(http, server)]
        away = await console.op("next")
        assert away["ok"] is False and "away" in away["error"]
        await console.ok("status", status="online")
        taken = await console.ok("next")  # the one waiting longest
        waiting = [c for c in (await console.ok("queue"))["items"] if c["status"] == "waiting"]
        assert taken["conversation_id"] not in {c["conversation_id"] for c in waiting}
        assert server.handoff_of(taken["conversation_id"])["agent_id"] == agent.id
        over = await console.op("take", handoff_id=server.handoff_of(chats[1].conversation_id())["id"])
        assert over["ok"] is False and "limit" in over["error"]
        agents = {a["id"]: a for a in (await console.ok("agents"))["agents"]}
        assert (agents[agent.id]["status"], agents[agent.id]["max_open"]) == ("online", 1)
        bad = await console.op("status", status="asleep")
        assert bad["ok"] is False
    finally:
        for chat in chats:
            await chat.close()
        await console.close()
        await admin.close()


async def test_labels_notes_search_and_suggestions(server: Server, http: aiohttp.ClientSession) -> None:
    agent = await new_agent(server)
    console = await ConsoleClient.open(server, agent)
    chat = await queued_chat(http, server, "позовите оператора")
    try:
        conversation = chat.conversation_id()
        question = "как подключить автоплатёж по расписанию"
        await chat.say(question)
        for _ in range(100):  # stored (the queue keeps what the subscriber writes for the agent)
            if server.query("SELECT id FROM messages WHERE conversation_id = ? AND text = ?", (conversation, question)):
                break
            await asyncio.sleep(0.05)
        suggestions = (await console.ok("suggest", conversation_id=conversation))["suggestions"]
        assert "lk-autopay" in [s["entry_id"] for s in suggestions], suggestions
        assert all(s["text"] and s["title"] for s in suggestions)
        # what the agent is typing counts too
        drafted = (await console.ok("suggest", conversation_id=conversation, draft="как пополнить счёт картой"))["suggestions"]
        assert drafted[0]["entry_id"] != suggestions[0]["entry_id"], drafted
        assert not (await console.op("suggest", conversation_id=conversation, draft=5))["ok"]
        assert not (await console.op("assist_used", conversation_id=conversation, entry_id="no-such-entry"))["ok"]
        await console.ok("assist_used", conversation_id=conversation, entry_id=suggestions[0]["entry_id"])
        used = server.query("SELECT entry_id FROM assist_usage WHERE conversation_id = ?", (conversation,))
        assert [r["entry_id"] for r in used] == [suggestions[0]["entry_id"]]

        assert (await console.ok("label", conversation_id=conversation, label="Billing"))["labels"] == ["billing"]
        await console.ok("label", conversation_id=conversation, label="billing")  # once
        assert (await console.ok("label", conversation_id=conversation, label="vip"))["labels"] == ["billing", "vip"]
        assert (await console.ok("label", conversation_id=conversation, label="vip", on=False))["labels"] == ["billing"]
        notes = (await console.ok("note", conversation_id=conversation, text="перезвонить после 18:00"))["notes"]
        assert [(n["text"], n["author"]) for n in notes] == [("перезвонить после 18:00", agent.name)]
        assert not (await console.op("note", conversation_id=conversation, text="  "))["ok"]
        for op, extra in (("note", {"text": "x"}), ("label", {"label": "x"}), ("assist_used", {"entry_id": "lk-autopay"})):
            missing = await console.op(op, conversation_id=2**62, **extra)
            assert (missing["ok"], missing["error"]) == (False, "no such conversation")
        details = await console.ok("details", conversation_id=conversation)
        assert details["labels"] == ["billing"] and len(details["notes"]) == 1 and details["earlier"] == []
        assert "перезвонить" not in str(server.query("SELECT text FROM messages WHERE conversation_id = ?",
                                                     (conversation,)))  # notes are not messages

        found = await console.ok("search", q="Автоплатёж по расписанию")  # any case
        assert conversation in {c["id"] for c in found["conversations"]}
        assert not (await console.op("search", q="a"))["ok"]

        # tickets: by the subscriber's words, name or number
        async with http.get(server.url + "/api/feedback/options") as response:
            options = await response.json()
        ticket = {"phone": "+7 900 321-65-87", "name": "Тамара Поисковая", "region": options["regions"][0]["id"],
                  "topic": "internet", "description": "Пропадает связь в лифте бизнес-центра", "email": ""}
        async with http.post(server.url + "/api/feedback", json=ticket, headers={"X-CSRF-Token": options["csrf"]}) as response:
            number = (await response.json())["number"]
        for words in ("лифте бизнес", "тамара", number):
            tickets = (await console.ok("search", q=words))["tickets"]
            assert [t["number"] for t in tickets] == [number], (words, tickets)
    finally:
        await chat.close()
        await console.close()


async def test_greeting_and_the_rating_comment(server: Server, http: aiohttp.ClientSession) -> None:
    async with http.get(server.url + "/api/chat/greeting?lang=en") as response:
        greeting = await response.json()
    assert greeting["text"].startswith("Hello! I am the Tele2 support bot.")
    assert greeting["buttons"][-1] == {"title": "Talk to an operator", "payload": "operator"}
    assert all(b["payload"].startswith("kb:") for b in greeting["buttons"][:-1])
    async with http.get(server.url + "/api/chat/greeting?lang=de") as response:
        assert response.status == 400

    url = server.url + "/api/chat/rating-comment"
    async with http.post(url, json={"token": "forged.token", "comment": "x"}, headers=server.origin) as response:
        assert response.status == 401
    chat = await ChatClient.open(http, server)
    try:
        async with http.post(url, json={"token": chat.token, "comment": "Спасибо"}, headers=server.origin) as response:
            assert response.status == 409  # nothing rated yet
        async with http.post(url, json={"token": chat.token, "comment": ""}, headers=server.origin) as response:
            assert response.status == 400
        async with http.post(url, data=b"not json", headers=server.origin) as response:
            assert response.status == 400
    finally:
        await chat.close()


async def assigned_to(server: Server, agent_id: int, count: int) -> list[dict]:
    for _ in range(200):
        rows = server.query("SELECT id, conversation_id FROM handoffs WHERE agent_id = ? AND status = 'assigned' "
                            "ORDER BY id", (agent_id,))
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"{agent_id} has {rows} assigned, not {count}")


async def test_the_queue_gives_conversations_to_agents_who_ask_for_them(server: Server, http: aiohttp.ClientSession) -> None:
    agent = await new_agent(server)
    console = await ConsoleClient.open(server, agent)
    admin = await ConsoleClient.open(server, ADMIN)
    chats = [await queued_chat(http, server), await queued_chat(http, server)]
    try:
        await admin.ok("status", agent_id=agent.id, max_open=1)
        waiting = server.query("SELECT id FROM handoffs WHERE status = 'waiting' ORDER BY enqueued_at, id")
        await console.ok("status", status="auto")
        [given] = await assigned_to(server, agent.id, 1)
        assert given["id"] == waiting[0]["id"]  # the one waiting longest
        await console.quiet(0.5)
        assert len(await assigned_to(server, agent.id, 1)) == 1  # not over the limit
        await console.ok("close", conversation_id=given["conversation_id"], resolution="done")
        second = await assigned_to(server, agent.id, 1)
        assert second[0]["id"] == waiting[1]["id"]  # a free place: the next one
    finally:
        await console.ok("status", status="online")
        for chat in chats:
            await chat.close()
        await console.close()
        await admin.close()
