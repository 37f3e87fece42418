"""Fixtures for the web tests: the real `supportbot serve` as a subprocess on a free port and a
temporary database, agents (made by the admin's console socket, or by `supportbot agents add`), raw HTTP/WebSocket
clients (aiohttp) that read like the browser pages do, and a Chromium browser (Playwright).

The browser and security tests share one server; the restart tests and the login-throttling
tests have servers of their own, as they stop the server or lock an address out. All the
servers the collected tests need are launched at once (a start costs seconds of CPU).

    server.url, server.db, server.cli("sms", "outbox", "--phone", "+79990000001", "--last")
    agent = await new_agent(server, name="Ольга")        # a role-`agent` account (or server.add_agent: the CLI)
    chat = await ChatClient.open(http, server)            # a new visitor on /ws/chat
    replies = await chat.ask("что такое личный кабинет")  # the bot's answer messages
    console = await ConsoleClient.open(server, agent)     # login form + /ws/console
    result = await console.op("queue")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import dbaccess
import pytest
import pytest_asyncio

SUPPORTBOT = Path(sys.executable).parent / "supportbot"
ADMIN_PASSWORD = "admin-password-2024"
AGENT_PASSWORD = "agent-password-2024"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FOREIGN_ORIGIN = "https://evil.example.com"
_logins = itertools.count(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class AgentAccount:
    id: int
    login: str
    name: str
    role: str
    password: str = AGENT_PASSWORD


class Server:
    """`supportbot serve` in a subprocess. A config file of its own pins the settings the tests
    rely on (the payment link points to this server); `extra_config` adds TOML lines."""

    def __init__(self, workdir: Path, extra_config: str = "", port: int | None = None) -> None:
        self.workdir = workdir
        self.db = workdir / "web.db"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.config = workdir / "config.toml"
        self.extra_config = extra_config
        self._write_config()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
        self.env.update(SUPPORTBOT_CONFIG=str(self.config), SUPPORTBOT_ADMIN_PASSWORD=ADMIN_PASSWORD,
                        PYTHONUNBUFFERED="1", **dbaccess.backend_env())
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_cookie: str | None = None  # the admin's console session, once signed in

    def _write_config(self) -> None:
        self.config.write_text(
            f'[payments]\npage_url = "{self.url}/pay/{{token}}"\n\n[web]\nhost = "127.0.0.1"\nport = {self.port}\n'
            + self.extra_config + "\n" + dbaccess.backend_toml(), encoding="utf-8")

    def _move(self) -> None:
        """Another port: the chosen one was taken (by any process's outgoing connection, say)
        during the seconds the server spends starting."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._write_config()

    @property
    def origin(self) -> dict[str, str]:
        """The Origin header of the server's own pages (the sockets require it)."""
        return {"Origin": self.url}

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def launch(self) -> Server:
        """Start the process without waiting for it (see `ready`)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(SUPPORTBOT), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", str(self.db)],
                cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def ready(self, timeout: float = 90) -> Server:
        """Wait until GET /healthz answers 200."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        moves = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log_tail(5).lower() and moves < 3:
                    moves += 1
                    self._move()
                    self.launch()
                    continue
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def start(self, timeout: float = 90) -> Server:
        return self.launch().ready(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        """Signal the server and wait for it to exit; returns the exit code (kills it after `timeout`)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def wait(self, timeout: float = 40) -> int | None:
        """Wait for the process to exit by itself; its exit code, or None if it is still running."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    # -- the command line on the same database --------------------------------------------------

    def cli(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        """`supportbot ARGS --db DB` (works while the server runs); returns stdout."""
        result = subprocess.run([str(SUPPORTBOT), *args, "--db", str(self.db)], capture_output=True, text=True,
                                cwd=self.workdir, env={**self.env, **(env or {})}, timeout=60, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"supportbot {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def add_agent(self, login: str | None = None, name: str | None = None, role: str = "agent",
                  password: str = AGENT_PASSWORD) -> AgentAccount:
        """A console account made by `supportbot agents add` (the password from SUPPORTBOT_NEW_PASSWORD)."""
        n = next(_logins)
        login = login or f"agent{n}"
        name = name or f"Агент {n}"
        out = self.cli("agents", "add", "--login", login, "--name", name, "--role", role,
                       env={"SUPPORTBOT_NEW_PASSWORD": password})
        return AgentAccount(int(out.strip()), login, name, role, password)

    def sms_code(self, phone: str) -> str:
        """The 6-digit code of the newest SMS sent to `phone` (read with `supportbot sms outbox`)."""
        text = self.cli("sms", "outbox", "--phone", phone, "--last")
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
        assert match, f"no code in {text!r}"
        return match.group(1)

    def balance(self, phone: str) -> int:
        """The balance in kopecks: the ledger's sum (what `supportbot billing show` reports)."""
        rows = self.query("SELECT COALESCE(SUM(l.amount), 0) AS balance FROM ledger l JOIN subscribers s "
                          "ON s.id = l.subscriber_id WHERE s.phone = ?", (phone,))
        return int(rows[0]["balance"])

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Read the server's database directly, on whichever backend this run uses."""
        return dbaccess.query(self.db, sql, params)

    def conversation_of(self, visitor: str) -> int:
        rows = self.query("SELECT id FROM conversations WHERE channel = 'web' AND user_key = ?", (visitor,))
        assert rows, f"no web conversation for {visitor}"
        return int(rows[0]["id"])

    def handoff_of(self, conversation_id: int) -> dict[str, Any]:
        rows = self.query("SELECT * FROM handoffs WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,))
        assert rows, f"no handoff for conversation {conversation_id}"
        return rows[0]


# -- fixtures -------------------------------------------------------------------------------------


# The servers the tests use, by fixture name, with their extra configuration. They are all
# launched at once when the first is needed (a start is seconds of CPU: pymorphy, the index).
SERVERS = {
    "server": "",  # shared by the browser and security tests; each test makes its own visitors and agents
    "proxy_server": "trust_proxy = true\n",  # behind our own proxy: X-Forwarded-*; login throttling locks it
    "restart_server": "",  # stopped and started again by the restart tests
}


@pytest.fixture(scope="session")
def launched(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    wanted = {name for item in request.session.items for name in getattr(item, "fixturenames", ())} & set(SERVERS)
    servers = {name: Server(tmp_path_factory.mktemp(name), SERVERS[name]).launch() for name in sorted(wanted)}
    try:
        yield servers
    finally:
        for srv in servers.values():
            srv.stop()


def _server(launched: dict[str, Server], name: str, tmp_path_factory: pytest.TempPathFactory) -> Server:
    if name not in launched:  # not foreseen at collection (should not happen)
        launched[name] = Server(tmp_path_factory.mktemp(name), SERVERS[name]).launch()
    return launched[name].ready()


@pytest.fixture(scope="session")
def server(launched: dict[str, Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    """The real server on a fresh database, shared by the browser and security tests."""
    return _server(launched, "server", tmp_path_factory)


@pytest.fixture(scope="session")
def proxy_server(launched: dict[str, Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A server configured to sit behind our own reverse proxy (trust_proxy = true)."""
    return _server(launched, "proxy_server", tmp_path_factory)


@pytest.fixture(scope="session")
def restart_server(launched: dict[str, Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    return _server(launched, "restart_server", tmp_path_factory)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client with its own cookie jar (which also keeps cookies for 127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """Chromium for a whole module (its tests run in the module's event loop:
    `pytest.mark.asyncio(loop_scope="module")`); each test opens browser contexts of its own."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


# -- raw clients ----------------------------------------------------------------------------------


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
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
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
    def last_id(self) -> int:
        return max((m["id"] for m in self.messages), default=0)

    async def say(self, text: str) -> None:
        await self.ws.send_json({"type": "say", "text": text})

    async def press(self, payload: str) -> None:
        await self.ws.send_json({"type": "press", "payload": payload})

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
    login = login or f"agent{n}"
    name = name or f"Агент {n}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        if server.admin_cookie is None:
            response = await console_login(http, server, "admin", ADMIN_PASSWORD)
            assert response.status == 302, response.status
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
