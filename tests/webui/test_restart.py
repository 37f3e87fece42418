"""A restart of the server loses nothing: the queue, the assignment, the transcripts (each
message once), the chat's catch-up after `after=`, and the operator relay all survive a
SIGTERM and a start on the same database."""

from __future__ import annotations

import signal
import time
from collections import Counter

import aiohttp
import pytest

from .conftest import ChatClient, ConsoleClient, Server, queued_chat

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def restartable(restart_server: Server) -> Server:
    """This module's server, started again if a test left it stopped."""
    if not restart_server.running():
        restart_server.start()
    return restart_server


def texts(messages: list[dict]) -> Counter[str]:
    return Counter(m["text"] for m in messages)


async def test_queue_assignment_transcripts_and_relay_survive_a_restart(restartable: Server) -> None:
    server = restartable
    agent = server.add_agent(name="Ольга Смирнова")
    before = aiohttp.ClientSession()  # the connections of the first run
    try:
        a = await queued_chat(before, server)  # will be taken by the agent
        b = await queued_chat(before, server)  # stays waiting
        conv_a, conv_b = a.conversation_id(), b.conversation_id()
        console = await ConsoleClient.open(server, agent)
        cookie_jar = console.http.cookie_jar
        handoff_a = (await console.queue_item(conv_a))["handoff_id"]
        handoff_b = (await console.queue_item(conv_b))["handoff_id"]
        await console.ok("take", handoff_id=handoff_a)
        await console.ok("open", conversation_id=conv_a)
        await a.wait_message(lambda m: m["direction"] == "system" and agent.name in m["text"])

        # the relay before the restart, both ways
        await a.say("A1: у меня пропал интернет")
        await console.wait_message(conv_a, lambda m: m["text"] == "A1: у меня пропал интернет")
        await console.ok("reply", conversation_id=conv_a, text="R1: сейчас проверю")
        await a.wait_message(lambda m: m["direction"] == "agent" and m["text"] == "R1: сейчас проверю")
        # mid-way: the subscriber's message arrives, the subscriber goes away, the agent answers
        await a.say("A2: жду")
        await a.wait_message(lambda m: m["text"] == "A2: жду")
        await console.wait_message(conv_a, lambda m: m["text"] == "A2: жду")
        seen_by_a = a.last_id
        await a.close()
        await console.ok("reply", conversation_id=conv_a, text="R2: нашёл причину")

        # a bot-mode visitor and the waiting one each send a message right before the kill
        c = await ChatClient.open(before, server)
        await c.say("что такое личный кабинет")
        await b.say("B: я всё ещё жду")
        server.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    finally:
        # the browsers' connections drop (a server that is stopping no longer reads their frames,
        # not even a close frame: see the shutdown test below)
        await before.close()
        await console.http.close()
    assert server.wait(40) == 0, server.log_tail()
    server.start()

    async with aiohttp.ClientSession() as http:
        # the same session cookie still works: sessions live in the database
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({c.key: c.value for c in cookie_jar})
        console = await ConsoleClient.open(server, agent, http=aiohttp.ClientSession(cookie_jar=jar), owns_http=True)
        items = {i["conversation_id"]: i for i in (await console.ok("queue"))["items"]}
        assert items[conv_b]["status"] == "waiting" and items[conv_b]["handoff_id"] == handoff_b
        assert items[conv_b]["position"] == 1
        assert items[conv_a]["status"] == "assigned" and items[conv_a]["agent_id"] == agent.id
        assert items[conv_a]["handoff_id"] == handoff_a

        transcript_b = (await console.ok("open", conversation_id=conv_b))["messages"]
        assert texts(transcript_b)["B: я всё ещё жду"] == 1
        assert texts(transcript_b)["позовите оператора"] == 1
        transcript_c = (await console.ok("open", conversation_id=c.conversation_id()))["messages"]
        assert [m["direction"] for m in transcript_c] == ["in", "out"]
        assert transcript_c[0]["text"] == "что такое личный кабинет"
        transcript_a = (await console.ok("open", conversation_id=conv_a))["messages"]
        counts = texts(transcript_a)
        for text in ("позовите оператора", "A1: у меня пропал интернет", "R1: сейчас проверю", "A2: жду",
                     "R2: нашёл причину"):
            assert counts[text] == 1, (text, counts)
        assert len({m["id"] for m in transcript_a}) == len(transcript_a)
        assert max(counts.values()) == 1, counts

        # the subscriber catches up with only what it has not seen
        a = await ChatClient.open(http, server, token=a.token, after=seen_by_a)
        assert [(m["direction"], m["text"]) for m in a.history["messages"]] == [("agent", "R2: нашёл причину")]
        assert a.history["operator"] is True and a.history["handoff"] is True

        # the relay goes on, both ways
        await a.say("A3: спасибо, заработало")
        await console.wait_message(conv_a, lambda m: m["text"] == "A3: спасибо, заработало")
        await console.ok("reply", conversation_id=conv_a, text="R3: рада помочь")
        got = await a.wait_message(lambda m: m["direction"] == "agent" and m["text"] == "R3: рада помочь")
        assert got["author"] == agent.name
        final = texts((await console.ok("open", conversation_id=conv_a))["messages"])
        assert max(final.values()) == 1, final
        await a.close()
        await console.close()


async def test_sigterm_with_a_chat_socket_open_closes_it_and_exits_promptly(restartable: Server) -> None:
    server = restartable
    async with aiohttp.ClientSession() as http:
        chat = await ChatClient.open(http, server)
        await chat.ask("что такое личный кабинет")
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            closed_after = None
            try:
                while True:
                    await chat.recv(timeout=max(0.1, 5 - (time.monotonic() - started)))
            except ConnectionError:
                closed_after = time.monotonic() - started
            except TimeoutError:
                pass
            assert closed_after is not None, "the server did not close the chat socket within 5 s"
            assert chat.ws.close_code == 1001
            code = server.wait(max(0.5, 10 - (time.monotonic() - started)))
            assert code == 0, f"the server did not exit within 10 s (exit code {code})"
        finally:
            server.kill()
