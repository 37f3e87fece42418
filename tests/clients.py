"""Clients of the product's web side that read like the pages do: a web-chat visitor
(`ChatClient`, as chat.js), a signed-in agent (`ConsoleClient`, as console.js), and helpers to
make agents and queued visitors. They talk to any server with a `url` and an `origin` (an
in-process `servers.AppServer`, a `servers.ProcessServer`, an instance of a deployment).

    chat = await ChatClient.open(http, server)            # a new visitor on /ws/chat
    replies = await chat.ask("что такое личный кабинет")  # the bot's answer messages
    agent = await new_agent(server, name="Ольга")         # made by the admin through the console socket
    console = await ConsoleClient.open(server, agent)     # login form + /ws/console
    result = await console.ok("queue")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp
from servers import ADMIN_PASSWORD, AGENT_PASSWORD, AgentAccount

Server = Any  # anything with .url and .origin (and .conversation_of for ChatClient.conversation_id)
_logins = itertools.count(1)


class FrameReader:
    """Reads JSON frames from a WebSocket and keeps them all, so a wait never loses a frame
    that arrived while the test was doing something else."""

    ws: aiohttp.ClientWebSocketResponse

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
            self.frames.append(frame)
            return frame
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                        aiohttp.WSMsgType.ERROR):
            raise ConnectionError(f"socket closed ({self.ws.close_code})")
        raise ConnectionError(f"unexpected frame {msg.type}: {msg.data!r}")

    async def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10, since: int = 0
                       ) -> dict[str, Any]:
        """The first frame (from index `since` of everything received) for which `pred` holds."""
        for frame in self.frames[since:]:
            if pred(frame):
                return frame
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = await self.recv(timeout)
                    if pred(frame):
                        return frame
        except TimeoutError:
            raise AssertionError(f"no such frame within {timeout} s; got {self.frames[since:][-8:]}") from None

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives in the next `seconds`."""
        got = []
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    got.append(await self.recv(seconds))
        return got

    async def read_until(self, done: Callable[[], bool], timeout: float = 5) -> None:
        """Read frames until `done()` holds, or `timeout` passes, or the socket closes (no error:
        the caller looks at what came)."""
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError, ConnectionError):
            async with asyncio.timeout(timeout):
                while not done():
                    await self.recv(timeout)

    async def drain(self, seconds: float = 0.5) -> None:
        """Read whatever arrives in the next `seconds` (a closed socket ends it)."""
        with contextlib.suppress(ConnectionError):
            await self.quiet(seconds)

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()


class ChatClient(FrameReader):
    """A web-chat visitor on /ws/chat, as chat.js is."""

    def __init__(self, http: aiohttp.ClientSession, server: Server, token: str, lang: str = "ru") -> None:
        super().__init__()
        self.http = http
        self.server = server
        self.token = token
        self.lang = lang
        self.history: dict[str, Any] = {}

    @staticmethod
    async def new_token(http: aiohttp.ClientSession, server: Server) -> str:
        async with http.post(server.url + "/api/chat/session", json={}, headers=server.origin) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["token"])

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, server: Server, token: str | None = None, lang: str = "ru",
                   after: int | None = None) -> ChatClient:
        client = cls(http, server, token or await cls.new_token(http, server), lang)
        await client.connect(after)
        return client

    @property
    def instance(self) -> Server:
        """The server (an instance of a deployment) the socket is open on."""
        return self.server

    @property
    def visitor(self) -> str:
        return self.token.split(".", 1)[0]

    def conversation_id(self) -> int:
        return self.server.conversation_of(self.visitor)

    async def connect(self, after: int | None = None) -> dict[str, Any]:
        query = {"token": self.token, "lang": self.lang}
        if after is not None:
            query["after"] = str(after)
        self.ws = await self.http.ws_connect(self.server.url + "/ws/chat", params=query, headers=self.server.origin)
        self.frames = []
        self.history = await self.recv()
        assert self.history["type"] == "history", self.history
        return self.history

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message received on this socket (history and pushes), by id, once each."""
        seen: dict[int, dict[str, Any]] = {}
        for frame in self.frames:
            if frame.get("type") in ("history", "messages"):
                for m in frame["messages"]:
                    seen.setdefault(m["id"], m)
        return [seen[k] for k in sorted(seen)]

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every message frame's messages in the order they came, repeats included (to see none came twice)."""
        return [m for f in self.frames if f.get("type") in ("history", "messages") for m in f["messages"]]

    @property
    def last_id(self) -> int:
        return max((m["id"] for m in self.messages), default=0)

    async def say(self, text: str) -> None:
        await self.ws.send_json({"type": "say", "text": text})

    async def press(self, payload: str) -> None:
        await self.ws.send_json({"type": "press", "payload": payload})

    async def send(self, text: str, cid: str | None = None) -> str:
        """Say `text` with a client id (protocol v2: acknowledged once stored); the id."""
        cid = cid or secrets.token_hex(8)
        await self.ws.send_json({"type": "say", "id": cid, "text": text})
        return cid

    async def acked(self, cid: str, timeout: float = 15, since: int = 0) -> dict[str, Any]:
        """The ack (or error) frame answering the message sent with `cid` (the first from frame `since`)."""
        return await self.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("id") == cid, timeout, since)

    async def wait_message(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        def has(frame: dict[str, Any]) -> bool:
            return frame.get("type") in ("history", "messages") and any(pred(m) for m in frame["messages"])

        frame = await self.wait_for(has, timeout)
        return next(m for m in frame["messages"] if pred(m))

    async def ask(self, text: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Say `text`; the messages that answered it (bot or system), in order."""
        since = len(self.frames)
        await self.say(text)
        frame = await self.wait_for(
            lambda f: f.get("type") == "error" or (f.get("type") == "messages" and any(m["direction"] != "in"
                                                                                    for m in f["messages"])),
            timeout, since)
        assert frame["type"] == "messages", frame
        return [m for m in frame["messages"] if m["direction"] != "in"]

    async def status(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        return await self.wait_for(lambda f: f.get("type") in ("status", "history") and pred(f), timeout)


async def console_login(http: aiohttp.ClientSession, server: Server, login: str, password: str,
                        csrf: str | None = "from-page", headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
    """Submit the console's login form as a browser does (the CSRF token from the page, unless given)."""
    if csrf == "from-page":
        async with http.get(server.url + "/console/login", headers=headers) as page:
            assert page.status == 200
            found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert found, "no CSRF field in the login page"
            csrf = found.group(1)
    form = {"login": login, "password": password}
    if csrf is not None:
        form["csrf"] = csrf
    response = await http.post(server.url + "/console/login", data=form, allow_redirects=False, headers=headers)
    await response.read()
    return response


class ConsoleClient(FrameReader):
    """A signed-in agent on /ws/console, as console.js is."""

    def __init__(self, server: Server, account: AgentAccount, http: aiohttp.ClientSession) -> None:
        super().__init__()
        self.server = server
        self.account = account
        self.http = http
        self.seq = 0
        self._own_session = False

    @classmethod
    async def open(cls, server: Server, account: AgentAccount, http: aiohttp.ClientSession | None = None,
                   owns_http: bool | None = None) -> ConsoleClient:
        """Log in through the form (a session of its own unless `http` is given; no login when its
        jar already holds a session cookie) and open the socket. `close()` closes the HTTP session
        too when it is the client's own."""
        session = http or aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        client = cls(server, account, session)
        client._own_session = http is None if owns_http is None else owns_http
        if not any(c.key == "sb_agent" for c in session.cookie_jar):
            response = await console_login(session, server, account.login, account.password)
            assert response.status == 302, f"login failed: {response.status}"
        await client.connect()
        return client

    @property
    def instance(self) -> Server:
        """The server (an instance of a deployment) the console is open on."""
        return self.server

    async def connect(self) -> None:
        self.ws = await self.http.ws_connect(self.server.url + "/ws/console", headers=self.server.origin)
        self.frames = []
        first = await self.recv()
        assert first["type"] == "queue", first

    async def op(self, op: str, timeout: float = 10, **data: Any) -> dict[str, Any]:
        """Send one op and wait for its result. A `reply` result is matched by its op as well: its
        `id` is the new message's, not the request's (a known bug, see test_security.py)."""
        self.seq += 1
        rid = self.seq
        since = len(self.frames)
        await self.ws.send_json({"id": rid, "op": op, **data})
        return await self.wait_for(lambda f: f.get("type") == "result" and (
            f.get("id") == rid or (op == "reply" and f.get("op") == "reply")), timeout, since)

    async def ok(self, op: str, **data: Any) -> dict[str, Any]:
        result = await self.op(op, **data)
        assert result["ok"], result
        return result

    async def send_op(self, op: str, **data: Any) -> int:
        """Send one op without waiting for its result; its request id."""
        self.seq += 1
        await self.ws.send_json({"id": self.seq, "op": op, **data})
        return self.seq

    async def wait_queued(self, conversation_id: int, timeout: float = 5, since: int = 0) -> dict[str, Any]:
        """The queue item of `conversation_id` from a pushed queue frame (not asked for)."""
        frame = await self.wait_for(lambda f: f.get("type") == "queue" and any(
            i["conversation_id"] == conversation_id for i in f["items"]), timeout, since)
        return next(i for i in frame["items"] if i["conversation_id"] == conversation_id)

    def pushed_messages(self, conversation_id: int) -> list[dict[str, Any]]:
        return [m for f in self.frames if f.get("type") == "messages" and f.get("conversation_id") == conversation_id
                for m in f["messages"]]

    async def wait_message(self, conversation_id: int, pred: Callable[[dict[str, Any]], bool], timeout: float = 10
                           ) -> dict[str, Any]:
        """A message of `conversation_id` pushed to this console (after `open`)."""
        def has(frame: dict[str, Any]) -> bool:
            return (frame.get("type") == "messages" and frame.get("conversation_id") == conversation_id
                    and any(pred(m) for m in frame["messages"]))

        frame = await self.wait_for(has, timeout)
        return next(m for m in frame["messages"] if pred(m))

    async def queue_item(self, conversation_id: int) -> dict[str, Any] | None:
        items = (await self.ok("queue"))["items"]
        return next((i for i in items if i["conversation_id"] == conversation_id), None)

    async def close(self) -> None:
        await super().close()
        if getattr(self, "_own_session", False):
            await self.http.close()


async def new_agent(server: Server, login: str | None = None, name: str | None = None, role: str = "agent",
                    password: str = AGENT_PASSWORD) -> AgentAccount:
    """A console account created by the admin through the console socket (`create_agent`): much
    quicker than `server.add_agent` (the command line), which the restart tests use."""
    n = next(_logins)
    login = login or f"agent{n}_{secrets.token_hex(2)}"  # unique also where several servers share one database
    name = name or f"Агент {n}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        if getattr(server, "admin_cookie", None) is None:
            response = await console_login(http, server, "admin", ADMIN_PASSWORD)
            assert response.status == 302, response.status
            with contextlib.suppress(AttributeError):  # kept where the server object can keep it
                server.admin_cookie = next(c.value for c in http.cookie_jar if c.key == "sb_agent")
        else:
            http.cookie_jar.update_cookies({"sb_agent": server.admin_cookie})
        async with http.ws_connect(server.url + "/ws/console", headers=server.origin) as ws:
            await ws.send_json({"id": 1, "op": "create_agent", "login": login, "name": name, "role": role,
                                "password": password})
            while True:
                frame = await ws.receive_json(timeout=15)
                if frame.get("type") == "result":
                    break
    assert frame["ok"], frame
    return AgentAccount(int(frame["agent"]["id"]), login, name, role, password)


async def queued_chat(http: aiohttp.ClientSession, server: Server, text: str = "позовите оператора") -> ChatClient:
    """A new visitor who asked for an operator and is waiting in the queue."""
    chat = await ChatClient.open(http, server)
    await chat.ask(text)
    await chat.status(lambda f: f.get("handoff") is True)
    return chat
