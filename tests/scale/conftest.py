"""Several `supportbot serve` instances of one deployment: one PostgreSQL schema, one Redis.

The module-scoped `deployment` fixture runs `supportbot migrate` once, then three instances
A, B and C (`supportbot --config CFG serve --port P --db NAME`, each on its own port) over the
same schema (`--db scale_<hex>`: a lowercase name is used as the schema name as is) and the same
Redis database (the bus channel is per schema, so nothing else on that Redis hears it). Their
Telegram channel talks to the shared fake (`fakes.FakePlatform`, here `FakeTelegram`, whose `wait`
counts the messages sent), which records every request. Each instance's `api_url` is
`{fake}/i/<name>`, so the fake knows which instance sent what. The web clients are the web
tests' (`tests/clients.py`).

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
import json
import os
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
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from clients import ChatClient, ConsoleClient, new_agent, queued_chat  # noqa: F401 - the tests import them from here
from fakes import SEND_METHODS, Call, FakePlatform, new_chat, new_id, tg_press, tg_text  # noqa: F401 - the tests import them from here

ROOT = Path(__file__).resolve().parents[2]
SUPPORTBOT = Path(sys.executable).parent / "supportbot"
PG_URL = os.environ.get("SUPPORTBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test?synchronous_commit=off")
REDIS_URL = os.environ.get("SUPPORTBOT_SCALE_REDIS_URL", "redis://127.0.0.1:6379/14")
ADMIN_PASSWORD = "admin-password-2024"
AGENT_PASSWORD = "agent-password-2024"
TG_TOKEN = "123456:TEST"
TG_SECRET = "scale-webhook_secret-42"
WEB_SECRET = "scale-web-secret-0123456789abcdef"
LOGIN_SECRET = "scale-login-secret-0123456789abcdef"


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

    def __init__(self, deployment: Deployment, name: str, redis_url: str | None = None, workers: int = 1) -> None:
        self.deployment = deployment
        self.name = name
        self.workers = workers  # > 1: `serve --workers N`, N processes on the instance's one port
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
                 "--db", self.deployment.db, *(["--workers", str(self.workers)] if self.workers > 1 else [])],
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
        """SIGKILL: no shutdown, no cleanup — a crash (with --workers: of the supervisor and every worker,
        the whole process group, as when the machine goes)."""
        if self.running():
            assert self.proc is not None
            if self.workers > 1:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def worker_ids(self, timeout: float = 30) -> set[str]:
        """The instance ids answering /healthz on this instance's port (each worker is an instance)."""
        ids: set[str] = set()
        deadline = time.monotonic() + timeout
        while len(ids) < self.workers and time.monotonic() < deadline:
            with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError, ValueError), \
                    urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    ids.add(json.loads(response.read())["instance"])
        return ids

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
            '[storage]\nbackend = "postgres"\npool_size = 8\nheartbeat_seconds = 1.0\ndead_after_seconds = 6.0\n\n'
            '[bus]\nbackend = "redis"\n\n'
            '[web]\nhost = "127.0.0.1"\npassword_time_cost = 1\npassword_memory_kib = 64\npassword_parallelism = 1\n\n'
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

    def add_instance(self, name: str, redis_url: str | None = None, workers: int = 1) -> Instance:
        """One more instance on the same schema (not started), e.g. on another Redis, or of several workers."""
        instance = Instance(self, name, redis_url, workers)
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


# -- web clients (tests/clients.py, the same as the web tests') ------------------------------------------

WebChat = ChatClient
Console = ConsoleClient


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
