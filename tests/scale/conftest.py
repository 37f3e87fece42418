"""Several `supportbot serve` instances of one deployment: one PostgreSQL schema, one Redis.

The module-scoped `deployment` fixture runs `supportbot migrate` once, then three instances
A, B and C (`supportbot --config CFG serve --port P --db NAME`, each on its own port) over the
same schema (`--db scale_<hex>`: a lowercase name is used as the schema name as is) and the same
Redis database (the bus channel is per schema, so nothing else on that Redis hears it). Their
Telegram channel talks to `FakeTelegram`, an aiohttp server on loopback (in a thread of its own,
so it outlives every test's event loop) that records every sendMessage. Each instance's
`api_url` is `{fake}/i/<name>`, so the fake knows which instance sent what.

    dep = deployment
    dep["A"].url, dep["A"].kill(), dep["A"].start()          # SIGKILL and start again
    dep.cli("sms", "outbox", "--phone", PHONE, "--last")      # the CLI on the same schema
    await dep.query("SELECT … WHERE id = $1", 5)               # read the schema (asyncpg)
    chat = await WebChat.open(http, dep["A"])                  # a web-chat visitor on A
    console = await Console.open(dep["B"], await new_agent(dep["B"]))
    await post_update(http, dep["C"], tg_text(chat_id, "привет"))
    calls = await fake.wait(to_chat(chat_id), count=1)

PostgreSQL and Redis must be reachable: if not, every test of the package fails (an error in
this fixture), it is not skipped. At the end the instances are stopped, the schema dropped and
the deployment's keys removed from Redis. `PrivateRedis` is a redis-server of our own on a free
port (for the outage test: stopping the shared one would disturb others).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import secrets
import shutil
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
import pytest
from fakes import SEND_METHODS, Call, FakePlatform

ROOT = Path(__file__).resolve().parents[2]
SUPPORTBOT = Path(sys.executable).parent / "supportbot"
PG_URL = os.environ.get("SUPPORTBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SUPPORTBOT_SCALE_REDIS_URL", "redis://127.0.0.1:6379/14")
ADMIN_PASSWORD = "admin-password-2024"
AGENT_PASSWORD = "agent-password-2024"
TG_TOKEN = "123456:TEST"
TG_SECRET = "scale-webhook_secret-42"
WEB_SECRET = "scale-web-secret-0123456789abcdef"
LOGIN_SECRET = "scale-login-secret-0123456789abcdef"
_logins = itertools.count(1)
_numbers = itertools.count(random.randrange(10_000, 90_000) * 1000)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def servers_problem(redis_url: str = REDIS_URL) -> str | None:
    """None when PostgreSQL and Redis answer; else what is wrong."""

    async def check() -> str | None:
        import asyncpg
        import redis.asyncio as aioredis

        try:
            conn = await asyncpg.connect(PG_URL, timeout=5)
            await conn.close()
        except Exception as exc:
            return f"PostgreSQL at {PG_URL}: {exc!r}"
        client = aioredis.from_url(redis_url, socket_connect_timeout=5)
        try:
            await client.ping()
        except Exception as exc:
            return f"Redis at {redis_url}: {exc!r}"
        finally:
            await client.aclose()
        return None

    return asyncio.run(check())


# -- the fake Telegram Bot API (the shared fake, fakes.FakePlatform) ------------------------------------


class FakeTelegram(FakePlatform):
    """`fakes.FakePlatform` where `wait` counts only the messages sent (sendMessage): each instance
    posts to `{fake}/i/<name>`, so every `Call` knows its `instance`."""

    async def wait(self, pred: Callable[[Call], bool], count: int = 1, timeout: float = 15.0) -> list[Call]:
        return await super().wait(lambda c: c.method in SEND_METHODS and pred(c), count, timeout)


def to_chat(chat: int | str) -> Callable[[Call], bool]:
    return lambda c: c.method == "sendMessage" and c.chat_id == str(chat)


# -- Telegram updates ----------------------------------------------------------------------------------


def new_id() -> int:
    return next(_numbers)


def new_chat() -> int:
    """A fresh Telegram user id (= the private chat's id)."""
    return 600_000_000 + new_id() % 100_000_000


def _person(chat: int) -> dict[str, Any]:
    return {"id": chat, "is_bot": False, "first_name": "Иван", "last_name": f"Тестов{chat % 1000}", "language_code": "ru"}


def tg_text(chat: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    """A private text message as Telegram posts it to the webhook."""
    return {"update_id": update_id or new_id(), "message": {
        "message_id": new_id() % 1_000_000, "from": _person(chat), "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private", "first_name": "Иван"}}}


def tg_press(chat: int, data: str, update_id: int | None = None) -> dict[str, Any]:
    """An inline-button press (callback_query)."""
    return {"update_id": update_id or new_id(), "callback_query": {
        "id": str(new_id() * 1000 + random.randrange(1000)), "from": _person(chat), "chat_instance": str(chat * 7),
        "data": data, "message": {"message_id": new_id() % 1_000_000, "date": int(time.time()), "text": "…",
                                  "chat": {"id": chat, "type": "private", "first_name": "Иван"}}}}


async def post_update(http: aiohttp.ClientSession, instance: Instance, update: dict[str, Any],
                      timeout: float = 15) -> int:
    """POST the update to the instance's webhook (with the secret token); the HTTP status."""
    async with http.post(instance.url + "/webhooks/telegram", json=update, timeout=aiohttp.ClientTimeout(total=timeout),
                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}) as response:
        await response.read()
        return response.status


# -- the instances -------------------------------------------------------------------------------------


class Instance:
    """One `supportbot serve` process of the deployment."""

    def __init__(self, deployment: Deployment, name: str, redis_url: str | None = None) -> None:
        self.deployment = deployment
        self.name = name
        self.env = {**deployment.env, "SUPPORTBOT_REDIS_URL": redis_url or deployment.redis_url}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = deployment.workdir / f"{name}.toml"
        self.config.write_text(deployment.config_text(f"{deployment.fake.url}/i/{name}"), encoding="utf-8")
        self.log = deployment.workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.id: str | None = None  # the instance id it reports (heartbeats, claims); new on each start
        self.ids: list[str] = []  # every id it had

    @property
    def origin(self) -> dict[str, str]:
        """The Origin header of this instance's own pages (its sockets require it)."""
        return {"Origin": self.url}

    def launch(self) -> None:
        assert not self.running(), f"{self.name} is running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(SUPPORTBOT), "--config", str(self.config), "serve", "--port", str(self.port),
                 "--db", self.deployment.db],
                cwd=self.deployment.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> Instance:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"instance {self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        self.id = json.loads(response.read())["instance"]
                        self.ids.append(self.id)
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"instance {self.name} did not answer /healthz in {timeout} s:\n{self.log_tail()}")

    def start(self) -> Instance:
        self.launch()
        return self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup — a crash."""
        if self.running():
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Deployment:
    """Instances sharing one schema (`--db`) and one Redis; the CLI and SQL on the same schema."""

    def __init__(self, workdir: Path, fake: FakeTelegram, names: tuple[str, ...] = ("A", "B", "C"),
                 redis_url: str = REDIS_URL) -> None:
        self.workdir = workdir
        self.fake = fake
        self.redis_url = redis_url
        self.db = f"scale_{secrets.token_hex(6)}"  # lowercase letters, digits, _: the schema's name as is
        self.schema = self.db
        drop = ("SUPPORTBOT_", "TELEGRAM_", "VK_", "VIBER_")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        self.env.update(
            SUPPORTBOT_DATABASE_URL=PG_URL, SUPPORTBOT_REDIS_URL=redis_url, SUPPORTBOT_ADMIN_PASSWORD=ADMIN_PASSWORD,
            SUPPORTBOT_WEB_SECRET=WEB_SECRET, SUPPORTBOT_LOGIN_SECRET=LOGIN_SECRET, TELEGRAM_BOT_TOKEN=TG_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TG_SECRET, PYTHONUNBUFFERED="1")
        self.config = workdir / "deployment.toml"  # for the command line (no instance tag in api_url)
        self.config.write_text(self.config_text(fake.url), encoding="utf-8")
        self.instances = {name: Instance(self, name) for name in names}
        self.extra: list[Instance] = []  # instances a test added (stopped at the end too)

    def config_text(self, api_url: str) -> str:
        return (
            '[storage]\nbackend = "postgres"\npool_size = 8\n\n'
            '[bus]\nbackend = "redis"\n\n'
            '[web]\nhost = "127.0.0.1"\n\n'
            f'[channels.telegram]\napi_url = "{api_url}"\nper_second = 1000.0\nper_chat_per_second = 50.0\n'
            'timeout_seconds = 5.0\n')

    def __getitem__(self, name: str) -> Instance:
        return self.instances[name]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Deployment:
        self.cli("migrate")
        for instance in self.instances.values():
            instance.launch()
        for instance in self.instances.values():
            instance.wait_ready()
        return self

    def add_instance(self, name: str, redis_url: str | None = None) -> Instance:
        """One more instance on the same schema (not started), e.g. on another Redis."""
        instance = Instance(self, name, redis_url)
        self.extra.append(instance)
        return instance

    def close(self) -> None:
        for instance in [*self.instances.values(), *self.extra]:
            instance.stop()
        asyncio.run(self._drop())

    async def _drop(self) -> None:
        import asyncpg
        import redis.asyncio as aioredis

        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(PG_URL, timeout=10)
            try:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            finally:
                await conn.close()
        with contextlib.suppress(Exception):
            client = aioredis.from_url(self.redis_url, socket_connect_timeout=5)
            try:
                keys = [k async for k in client.scan_iter(match=f"supportbot:{self.schema}*")]
                if keys:
                    await client.delete(*keys)
            finally:
                await client.aclose()

    # -- the command line and the database ---------------------------------------------------------

    def cli(self, *args: str, env: dict[str, str] | None = None) -> str:
        """`supportbot --config CFG ARGS --db NAME`; its stdout (AssertionError when it fails)."""
        result = subprocess.run([str(SUPPORTBOT), "--config", str(self.config), *args, "--db", self.db],
                                capture_output=True, text=True, cwd=self.workdir, env={**self.env, **(env or {})},
                                timeout=120, check=False)
        assert result.returncode == 0, f"supportbot {' '.join(args)} failed ({result.returncode}): {result.stderr}"
        return result.stdout

    def sms_code(self, phone: str) -> str:
        """The 6-digit code of the newest SMS to `phone` (`supportbot sms outbox --last`)."""
        text = self.cli("sms", "outbox", "--phone", phone, "--last")
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
        assert match, f"no code in {text!r}"
        return match.group(1)

    def billing_show(self, phone: str) -> dict[str, Any]:
        return json.loads(self.cli("billing", "show", "--phone", phone))

    async def query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Run SQL ($1 placeholders) on the deployment's schema."""
        import asyncpg

        conn = await asyncpg.connect(PG_URL, timeout=10, server_settings={"search_path": self.schema})
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    async def value(self, sql: str, *args: Any) -> Any:
        rows = await self.query(sql, *args)
        return next(iter(rows[0].values())) if rows else None

    async def settled(self, chats: list[int] | set[str], timeout: float = 60.0) -> None:
        """Return once every stored update of these chats is handled and every message queued for them
        is sent (or failed): from then on nothing more can reach them, so counts are final."""
        keys = [str(c) for c in chats]
        deadline = time.monotonic() + timeout
        while True:
            open_in = await self.value("SELECT count(*) FROM inbound_updates WHERE status IN ('received', 'processing') "
                                       "AND chat_key = ANY($1::text[])", keys)
            open_out = await self.value("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') "
                                        "AND chat_id = ANY($1::text[])", keys)
            if not open_in and not open_out:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{open_in} updates and {open_out} messages of these chats still open after {timeout} s")
            await asyncio.sleep(0.1)

    async def conversation_of(self, channel: str, user_key: str) -> int:
        cid = await self.value("SELECT id FROM conversations WHERE channel = $1 AND user_key = $2", channel, user_key)
        assert cid is not None, f"no {channel} conversation for {user_key}"
        return int(cid)


class PrivateRedis:
    """A redis-server of our own on a free port (no persistence), to stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10) -> PrivateRedis:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is not installed"
        with open(self.workdir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no", "--dir", str(self.workdir)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


# -- web clients -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentAccount:
    id: int
    login: str
    name: str
    password: str = AGENT_PASSWORD


class FrameReader:
    """Reads JSON frames from a WebSocket and keeps them all."""

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
        """The first frame (from index `since` of all received) for which `pred` holds."""
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
            raise AssertionError(f"no such frame within {timeout} s; got {self.frames[since:][-6:]}") from None

    async def drain(self, seconds: float = 0.5) -> None:
        """Read whatever arrives in the next `seconds`."""
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(seconds):
                while True:
                    await self.recv(seconds)

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()


class WebChat(FrameReader):
    """A web-chat visitor's socket (/ws/chat) on one instance, as chat.js opens it."""

    def __init__(self, http: aiohttp.ClientSession, instance: Instance, token: str) -> None:
        super().__init__()
        self.http = http
        self.instance = instance
        self.token = token

    @staticmethod
    async def new_token(http: aiohttp.ClientSession, instance: Instance) -> str:
        async with http.post(instance.url + "/api/chat/session", json={}, headers=instance.origin) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["token"])

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, instance: Instance, token: str | None = None,
                   after: int | None = None) -> WebChat:
        chat = cls(http, instance, token or await cls.new_token(http, instance))
        query = {"token": chat.token, "lang": "ru"}
        if after is not None:
            query["after"] = str(after)
        chat.ws = await http.ws_connect(instance.url + "/ws/chat", params=query, headers=instance.origin)
        first = await chat.recv()
        assert first["type"] == "history", first
        return chat

    @property
    def visitor(self) -> str:
        return self.token.split(".", 1)[0]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message this socket received (history and pushes), by id."""
        return [m for f in self.frames if f.get("type") in ("history", "messages") for m in f["messages"]]

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
        """Say `text`; the bot's messages that answered it."""
        since = len(self.frames)
        await self.say(text)
        frame = await self.wait_for(lambda f: f.get("type") == "error" or (
            f.get("type") == "messages" and any(m["direction"] != "in" for m in f["messages"])), timeout, since)
        assert frame["type"] == "messages", frame
        return [m for m in frame["messages"] if m["direction"] != "in"]


async def _login(http: aiohttp.ClientSession, instance: Instance, login: str, password: str) -> None:
    """The console's login form, as a browser submits it (CSRF token from the page)."""
    async with http.get(instance.url + "/console/login") as page:
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
        assert found, "no CSRF field on the login page"
    async with http.post(instance.url + "/console/login", allow_redirects=False,
                         data={"csrf": found.group(1), "login": login, "password": password}) as response:
        assert response.status == 302, f"console login failed: {response.status}"


class Console(FrameReader):
    """A signed-in agent's console socket (/ws/console) on one instance."""

    def __init__(self, instance: Instance, http: aiohttp.ClientSession) -> None:
        super().__init__()
        self.instance = instance
        self.http = http
        self.seq = 0

    @classmethod
    async def open(cls, instance: Instance, account: AgentAccount) -> Console:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            await _login(http, instance, account.login, account.password)
            console = cls(instance, http)
            console.ws = await http.ws_connect(instance.url + "/ws/console", headers=instance.origin)
            first = await console.recv()
            assert first["type"] == "queue", first
        except BaseException:
            await http.close()
            raise
        return console

    async def send_op(self, op: str, **data: Any) -> int:
        self.seq += 1
        await self.ws.send_json({"id": self.seq, "op": op, **data})
        return self.seq

    async def op(self, op: str, timeout: float = 15, **data: Any) -> dict[str, Any]:
        """Send one op and wait for its result. A `reply` result is matched by its op: its `id` is the
        new message's id, not the request's (the same quirk tests/web notes)."""
        since = len(self.frames)
        rid = await self.send_op(op, **data)
        return await self.wait_for(lambda f: f.get("type") == "result" and (
            f.get("id") == rid or (op == "reply" and f.get("op") == "reply")), timeout, since)

    async def ok(self, op: str, **data: Any) -> dict[str, Any]:
        result = await self.op(op, **data)
        assert result["ok"], result
        return result

    async def wait_queued(self, conversation_id: int, timeout: float = 5, since: int = 0) -> dict[str, Any]:
        """The queue item of `conversation_id` from a pushed queue frame (not asked for)."""
        frame = await self.wait_for(lambda f: f.get("type") == "queue" and any(
            i["conversation_id"] == conversation_id for i in f["items"]), timeout, since)
        return next(i for i in frame["items"] if i["conversation_id"] == conversation_id)

    async def wait_message(self, conversation_id: int, pred: Callable[[dict[str, Any]], bool], timeout: float = 10
                           ) -> dict[str, Any]:
        def has(frame: dict[str, Any]) -> bool:
            return (frame.get("type") == "messages" and frame.get("conversation_id") == conversation_id
                    and any(pred(m) for m in frame["messages"]))

        frame = await self.wait_for(has, timeout)
        return next(m for m in frame["messages"] if pred(m))

    def pushed_messages(self, conversation_id: int) -> list[dict[str, Any]]:
        return [m for f in self.frames if f.get("type") == "messages" and f.get("conversation_id") == conversation_id
                for m in f["messages"]]

    async def close(self) -> None:
        await super().close()
        await self.http.close()


async def new_agent(instance: Instance, name: str | None = None) -> AgentAccount:
    """A role-`agent` console account, created by the admin through the console socket."""
    n = next(_logins)
    login, name = f"agent{n}_{secrets.token_hex(2)}", name or f"Агент {n}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await _login(http, instance, "admin", ADMIN_PASSWORD)
        async with http.ws_connect(instance.url + "/ws/console", headers=instance.origin) as ws:
            await ws.send_json({"id": 1, "op": "create_agent", "login": login, "name": name, "role": "agent",
                                "password": AGENT_PASSWORD})
            while True:
                frame = await ws.receive_json(timeout=15)
                if frame.get("type") == "result":
                    break
    assert frame["ok"], frame
    return AgentAccount(int(frame["agent"]["id"]), login, name)


async def queued_chat(http: aiohttp.ClientSession, instance: Instance, text: str = "позовите оператора") -> WebChat:
    """A new visitor on `instance` who asked for an operator and is in the queue."""
    chat = await WebChat.open(http, instance)
    await chat.ask(text)
    await chat.wait_for(lambda f: f.get("type") in ("status", "history") and f.get("handoff") is True)
    return chat


# -- fixtures -------------------------------------------------------------------------------------------


def require_servers(redis_url: str = REDIS_URL) -> None:
    problem = servers_problem(redis_url)
    if problem:
        pytest.fail(f"the multi-instance tests need PostgreSQL and Redis: {problem}", pytrace=False)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, fake: FakeTelegram) -> Iterator[Deployment]:
    """Instances A, B and C on one fresh schema and Redis (started once per module)."""
    require_servers()
    dep = Deployment(tmp_path_factory.mktemp("scale"), fake)
    try:
        dep.start()
        yield dep
    finally:
        dep.close()


@pytest.fixture
def running(deployment: Deployment) -> Deployment:
    """The deployment with every instance up (a test that killed one and failed may leave it down)."""
    for instance in deployment.instances.values():
        if not instance.running():
            instance.start()
    return deployment


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """These tests run in the PostgreSQL + Redis half of scripts/test (where a missing server fails
    them); the SQLite half leaves them out (deselected, not skipped)."""
    from supportbot.config import load_config

    if load_config().storage.backend != "postgres":
        ours = [item for item in items if "tests/scale/" in str(item.fspath)]
        if ours:
            config.hook.pytest_deselected(items=ours)
            items[:] = [item for item in items if "tests/scale/" not in str(item.fspath)]
