"""kill -9 under load, counted: the scenarios the fault tests run once each and `bench/kill9.py`
runs ten times each.

Web chat: `n` messages from raw WebSocket clients that behave as chat.js does (each message
has a client id; kept until acknowledged; after a reconnect every unacknowledged one is sent
again with the same id). The server is killed with SIGKILL while messages are in flight,
started again, and the clients reconnect and resend. Lost = a message never stored; doubled =
a message stored (answered) more than once.

Telegram: `n` updates (one private chat each) posted to the webhook; SIGKILL once some replies
have reached the fake Bot API; an update whose POST got no 200 is posted again after the
restart (as Telegram redelivers). Lost = an update never answered; doubled = a chat that got
its answer more than once. The server counts the replies it was sending when it died
(attempt marked, not confirmed): the only ones that may arrive twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from fakes import TG_SECRET, FakePlatform, body_of, new_chat, tg_text
from servers import ProcessServer

QUESTION = "как пополнить баланс"
IN_DOUBT = re.compile(r"telegram: (\d+) messages were being sent when an instance stopped")


@dataclass
class Run:
    kind: str
    sent: int
    lost: int
    doubled: int
    in_doubt: int = 0  # Telegram: replies being sent at the kill (the documented duplicate window)
    acked_before_kill: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        extra = f", in doubt at the kill {self.in_doubt}" if self.kind == "telegram" else ""
        return (f"{self.kind}: {self.sent} in flight, {self.acked_before_kill} done before the kill, "
                f"lost {self.lost}, doubled {self.doubled}{extra}" + (f" {self.details}" if self.details else ""))


# -- web chat ------------------------------------------------------------------------------------------


class Visitor:
    """A chat.js-like client: keeps its messages until acknowledged, resends them after a reconnect."""

    def __init__(self, http: aiohttp.ClientSession, server: ProcessServer, name: str) -> None:
        self.http, self.server, self.name = http, server, name
        self.token = ""
        self.pending: dict[str, str] = {}  # cid → text, in order
        self.acked: dict[str, int] = {}
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        if not self.token:
            async with self.http.post(self.server.url + "/api/chat/session", json={},
                                      headers=self.server.origin) as response:
                self.token = (await response.json())["token"]
        self.ws = await self.http.ws_connect(self.server.url + "/ws/chat", params={"token": self.token, "lang": "ru"},
                                             headers=self.server.origin, heartbeat=None)
        self.reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame.get("type") == "ack" and frame.get("id") in self.pending:
                self.acked[frame["id"]] = frame["message_id"]
                self.pending.pop(frame["id"])

    async def say(self, text: str) -> None:
        cid = f"{self.name}-{secrets.token_hex(6)}"
        self.pending[cid] = text
        await self._send(cid, text)

    async def _send(self, cid: str, text: str) -> None:
        if self.ws is not None and not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
                await self.ws.send_json({"type": "say", "id": cid, "text": text})

    async def resend(self) -> None:
        for cid, text in list(self.pending.items()):
            await self._send(cid, text)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


async def _until(pred: Any, timeout: float, step: float = 0.05) -> bool:
    """Poll `pred` (what other tasks and the fake's thread change) until it holds."""
    async with asyncio.timeout(timeout):
        while not pred():  # noqa: ASYNC110
            await asyncio.sleep(step)
    return True


async def webchat_run(server: ProcessServer, n: int = 200, visitors: int = 20, kill_after: int | None = None,
                      timeout: float = 120) -> Run:
    """`server` started; it is killed and started again. `kill_after`: acks seen before the kill."""
    kill_after = n // 4 if kill_after is None else kill_after
    async with aiohttp.ClientSession() as http:
        people = [Visitor(http, server, f"v{i}") for i in range(visitors)]
        await asyncio.gather(*(p.connect() for p in people))
        texts: dict[str, str] = {}
        for i in range(n):  # all of them in flight at once
            person = people[i % visitors]
            text = f"{QUESTION} ({person.name} #{i})"
            await person.say(text)
            texts[next(reversed(person.pending))] = text
        await _until(lambda: sum(len(p.acked) for p in people) >= kill_after, 60, 0.002)
        server.kill()
        acked_before = sum(len(p.acked) for p in people)
        for person in people:
            await person.close()
        server.start()
        for person in people:  # reconnect and send again whatever was not acknowledged
            await person.connect()
            await person.resend()
        with contextlib.suppress(TimeoutError):  # what was never acknowledged is counted below
            await _until(lambda: all(not p.pending for p in people), timeout, 0.05)
        for person in people:
            await person.close()
    rows = server.query("SELECT m.text, m.client_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE c.channel = 'web' AND m.direction = 'in'")
    stored: dict[str, int] = {}
    for row in rows:
        stored[row["text"]] = stored.get(row["text"], 0) + 1
    lost = sum(1 for text in texts.values() if text not in stored)
    doubled = sum(max(0, stored.get(text, 0) - 1) for text in texts.values())
    return Run("web chat", n, lost, doubled, acked_before_kill=acked_before)


# -- Telegram ------------------------------------------------------------------------------------------


async def telegram_run(server: ProcessServer, fake: FakePlatform, n: int = 200, kill_after: int | None = None,
                       timeout: float = 120) -> Run:
    """`server` started with Telegram pointed at `fake`; it is killed and started again."""
    kill_after = n // 4 if kill_after is None else kill_after
    chats = [new_chat() for _ in range(n)]
    updates = {chat: tg_text(chat, QUESTION) for chat in chats}
    mine = set(str(c) for c in chats)
    delivered: set[int] = set()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET}

    async def post(http: aiohttp.ClientSession, chat: int) -> None:
        with contextlib.suppress(aiohttp.ClientError, ConnectionError, asyncio.TimeoutError):
            async with http.post(server.url + "/webhooks/telegram", data=body_of(updates[chat]), headers=headers,
                                 timeout=aiohttp.ClientTimeout(total=20)) as response:
                if response.status == 200:
                    delivered.add(chat)

    def replied() -> int:
        return len({c.chat_id for c in fake.sent(answered(mine))})

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as http:
        posting = asyncio.gather(*(post(http, chat) for chat in chats))
        await _until(lambda: replied() >= kill_after, 60, 0.002)
        server.kill()
        done_before = replied()
        await posting
        server.start()
        await asyncio.gather(*(post(http, chat) for chat in chats if chat not in delivered))  # Telegram redelivers
        with contextlib.suppress(TimeoutError):  # what never came is counted as lost
            await _until(lambda: replied() >= n, timeout, 0.05)
        with contextlib.suppress(AssertionError):  # every update handled, every message out: a double is in too
            await server.settled(timeout=30)
    per_chat: dict[str, int] = {}
    for call in fake.sent(answered(mine)):
        per_chat[call.chat_id] = per_chat.get(call.chat_id, 0) + 1
    lost = sum(1 for c in chats if per_chat.get(str(c), 0) == 0)
    doubled = sum(max(0, k - 1) for k in per_chat.values())
    in_doubt = sum(int(k) for k in IN_DOUBT.findall(server.log_tail(2000)))  # logged by the restarted server
    details: dict[str, Any] = {}
    if lost:
        details["inbox"] = server.query("SELECT status, count(*) AS n FROM inbound_updates GROUP BY status")
        details["outbox"] = server.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        details["never posted"] = sum(1 for c in chats if c not in delivered)
    return Run("telegram", n, lost, doubled, in_doubt=in_doubt, acked_before_kill=done_before, details=details)


def answered(chats: set[str]) -> Any:
    """sendMessage calls the fake accepted, to one of these chats."""
    return lambda c: c.method == "sendMessage" and c.ok and c.chat_id in chats
