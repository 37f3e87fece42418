"""The product's web side for the tests, two ways, with one API.

- `AppServer`: the application built in-process by `create_app(config)` and served on a
  loopback port by aiohttp's `TestServer` (real HTTP and WebSocket, in the test's own event
  loop). What most web, channel and editor tests use: no process to start, and the knowledge
  index is shared between apps (`IndexCache`).
- `ProcessServer`: `supportbot serve` as a subprocess, for the tests where a process matters
  (a restart, SIGTERM, kill -9, a start that must fail).

Both take the same settings (config sections as a dict; the run's storage and bus backends
are merged in) and secrets (what the environment would hold: channel tokens, the admin
password), and offer the same helpers:

    srv.url, srv.origin, srv.db
    srv.query("SELECT …", params)       # the server's database, on whichever backend the run uses
    await srv.wait_rows(sql, params, pred)
    srv.cli("sms", "outbox", "--phone", P)   # the real command line on the same database
    srv.sms_code(phone)                  # the newest code the sandbox "sent" to phone
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dbaccess
from pydantic import PrivateAttr

from supportbot.config import Config
from supportbot.runtime import IndexCache, Runtime

SUPPORTBOT = Path(sys.executable).parent / "supportbot"
ADMIN_PASSWORD = "admin-password-2024"
AGENT_PASSWORD = "agent-password-2024"
PRODUCT_ENV = ("TELEGRAM_", "VK_", "VIBER_", "SUPPORTBOT_")  # left out of a server's environment unless given
_logins = itertools.count(1)
# argon2 at its lowest cost for the tests' console accounts (the product's default costs ~0.1 s of CPU a login)
CHEAP_PASSWORDS = {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}


# every test client comes from 127.0.0.1: the per-address limits (but the feedback form's, which its
# tests check) are lifted; tests of the limits give the product's own ([limits] in config.toml)
TEST_LIMITS = {"chat_sessions_per_minute": 1_000_000, "chat_sockets": 1_000_000, "chat_messages_per_minute": 1_000_000,
               "login_codes_per_hour": 1_000_000}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(settings: dict[str, Any], prefix: str = "") -> str:
    scalars = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    out = ""
    if scalars:
        out += f"[{prefix}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in scalars.items()) + "\n"
    for key, value in settings.items():
        if isinstance(value, dict):
            out += to_toml(value, f"{prefix}.{key}" if prefix else key)
    return out


def run_main(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`supportbot ARGS` through its entry point in this process (not inside a running event loop):
    the exit code and what it printed, as a subprocess would give them. For the commands whose
    process does not matter (the chat's contract, `chat --jsonl`, runs as a real process)."""
    from supportbot.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["supportbot", *args], code, out.getvalue(), err.getvalue())


class TestConfig(Config):
    """The configuration of an in-process server: its secrets come from `secrets` (what the
    environment of a `supportbot serve` process would hold), never from this process's own
    environment; everything else (the servers' addresses) as usual."""

    __test__ = False
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    def secret(self, env_name: str) -> str | None:
        if env_name in self._secrets:
            return self._secrets[env_name].strip() or None
        if env_name.startswith(PRODUCT_ENV) and env_name not in (self.storage.url_env, self.bus.url_env):
            return None
        return super().secret(env_name)


@dataclass(frozen=True)
class AgentAccount:
    id: int
    login: str
    name: str
    role: str
    password: str = AGENT_PASSWORD


class _Server:
    """What both kinds of server offer: the database, the command line, accounts."""

    url: str
    port: int
    db: Path
    workdir: Path
    settings: dict[str, Any]
    secrets: dict[str, str]
    admin_cookie: str | None = None  # the admin's console session, once signed in (tests cache it)

    def _setup(self, workdir: Path, settings: dict[str, Any] | None, secrets: dict[str, str] | None, db_name: str,
               port: int | None = None) -> None:
        self.workdir = workdir
        self.db = workdir / db_name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secrets = {"SUPPORTBOT_ADMIN_PASSWORD": ADMIN_PASSWORD, **(secrets or {})}
        self._extra = settings or {}
        self.config_file = workdir / "config.toml"
        self._write_config()

    def _write_config(self) -> None:
        base = {"web": {"host": "127.0.0.1", "port": self.port, **CHEAP_PASSWORDS},
                "payments": {"page_url": f"{self.url}/pay/{{token}}"},
                # an editor's save retrains the classifier at once; the full training after it (seconds
                # of CPU per save) has its own test (tests/test_understanding.py)
                "understanding": {"full_retrain": False},
                "limits": TEST_LIMITS}
        self.settings = merged(merged(base, dbaccess.backend_settings()), self._extra)
        self.config_file.write_text(to_toml(self.settings), encoding="utf-8")

    @property
    def origin(self) -> dict[str, str]:
        """The Origin header of the server's own pages (the sockets require it)."""
        return {"Origin": self.url}

    @property
    def env(self) -> dict[str, str]:
        """The environment of a `supportbot` process on this server's configuration and secrets."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(PRODUCT_ENV)}
        env.update(PYTHONUNBUFFERED="1", SUPPORTBOT_CONFIG=str(self.config_file), **dbaccess.backend_env(), **self.secrets)
        return env

    # -- the command line on the same database ------------------------------------------------------

    def command(self, *args: str) -> list[str]:
        return [str(SUPPORTBOT), "--config", str(self.config_file), *args]

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`supportbot --config CFG ARGS` (no --db added); the completed process, not checked."""
        return subprocess.run(self.command(*args), capture_output=True, text=True, cwd=self.workdir,
                              env={**self.env, **(env or {})}, timeout=timeout, check=False)

    def cli(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        """`supportbot ARGS --db DB` (works while the server runs); its stdout. It waits for the
        process: next to an in-process server call it in a thread (`await asyncio.to_thread(…)`),
        or the server's event loop, which is the test's, stands still meanwhile."""
        result = self.run(*args, "--db", str(self.db), env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"supportbot {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def add_agent(self, login: str | None = None, name: str | None = None, role: str = "agent",
                  password: str = AGENT_PASSWORD) -> AgentAccount:
        """A console account made by `supportbot agents add` (the password from SUPPORTBOT_NEW_PASSWORD)."""
        n = next(_logins)
        login = login or f"cli-agent{n}"
        name = name or f"Агент К{n}"
        out = self.cli("agents", "add", "--login", login, "--name", name, "--role", role,
                       env={"SUPPORTBOT_NEW_PASSWORD": password})
        return AgentAccount(int(out.strip()), login, name, role, password)

    # -- the database ------------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Read the server's database directly (SQLite: a read-only connection; WAL lets it read while
        the server writes), on whichever backend this run uses."""
        if not dbaccess.exists(self.db):
            return []
        return dbaccess.query(self.db, sql, params)

    async def wait_rows(self, sql: str, params: tuple[Any, ...] = (), pred: Callable[[list[dict[str, Any]]], bool] = bool,
                        timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query(sql, params)
            if pred(rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"{sql} {params}: still {rows} after {timeout} s")
            await asyncio.sleep(0.05)

    async def settled(self, chat: int | str | None = None, timeout: float = 15.0) -> None:
        """Until every update this server stored is handled and every message to `chat` (None: to
        anyone) has left the outbox: sent, or failed for good. A reply is in the outbox in the same
        commit that marks its update done, and marked sent only after the platform answered it, so
        after this the fake has every call this server will make for it — nothing more comes unless
        something new arrives (the way to check "nothing else is sent" without waiting a while)."""
        outbox = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        params: tuple[Any, ...] = ()
        if chat is not None:
            outbox, params = outbox + " AND chat_id = ?", (str(chat),)
        await self.wait_rows(
            f"SELECT (SELECT count(*) FROM inbound_updates WHERE status IN ('received', 'processing')) AS inbound, "
            f"({outbox}) AS outbound", params,
            lambda rows: bool(rows) and rows[0]["inbound"] == 0 and rows[0]["outbound"] == 0, timeout)

    def conversation(self, channel: str, user: int | str) -> dict[str, Any]:
        rows = self.query("SELECT * FROM conversations WHERE channel = ? AND user_key = ?", (channel, str(user)))
        assert rows, f"no {channel} conversation for {user}"
        return rows[0]

    def conversation_of(self, visitor: str) -> int:
        return int(self.conversation("web", visitor)["id"])

    def handoff_of(self, conversation_id: int) -> dict[str, Any]:
        rows = self.query("SELECT * FROM handoffs WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,))
        assert rows, f"no handoff for conversation {conversation_id}"
        return rows[0]

    def balance(self, phone: str) -> int:
        """The balance in kopecks: the ledger's sum (what `supportbot billing show` reports)."""
        rows = self.query("SELECT COALESCE(SUM(l.amount), 0) AS balance FROM ledger l JOIN subscribers s "
                          "ON s.id = l.subscriber_id WHERE s.phone = ?", (phone,))
        return int(rows[0]["balance"])

    def sms_code(self, phone: str) -> str:
        """The 6-digit code of the newest SMS the sandbox "sent" to `phone`."""
        rows = self.query("SELECT text FROM sms_outbox WHERE phone = ? ORDER BY created_at DESC, id DESC LIMIT 1", (phone,))
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", rows[0]["text"] if rows else "")
        assert match, f"no code in {rows!r}"
        return match.group(1)


class AppServer(_Server):
    """The application in-process (`create_app`) on a loopback port (`TestServer`)."""

    def __init__(self, workdir: Path, settings: dict[str, Any] | None = None, secrets: dict[str, str] | None = None,
                 cache: IndexCache | None = None, db_name: str = "web.db") -> None:
        self._setup(workdir, settings, secrets, db_name)
        self.cache = cache
        self.server: Any = None

    async def start(self) -> AppServer:
        from aiohttp.test_utils import TestServer

        from supportbot.server import ensure_admin
        from web.app import create_app

        await dbaccess.fresh(self.db, self.cache)  # a copy of a first start's database: nothing to seed
        config = TestConfig.model_validate(self.settings)
        config._secrets = dict(self.secrets)
        self.config = config
        await ensure_admin(config, str(self.db))  # as `supportbot serve` does before it serves
        self.app = create_app(config, str(self.db), cache=self.cache)
        self.server = TestServer(self.app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def runtime(self) -> Runtime:
        from web.keys import RUNTIME

        return self.app[RUNTIME]

    async def drop_chat_sockets(self) -> int:
        """Close every web-chat socket from the server's side (as a network failure would look to
        the pages, which then reconnect); how many were closed."""
        from web.keys import CHAT_HUB

        hub = self.app[CHAT_HUB]
        sockets = [s for group in list(hub.sockets.values()) for s in list(group)]
        for sock in sockets:
            await sock.ws.close(code=1011, message=b"dropped by the test")
        return len(sockets)

    async def drop_console_sockets(self) -> int:
        """Close every agent console socket from the server's side (the pages reconnect)."""
        from web.keys import CONSOLE_HUB

        sockets = list(self.app[CONSOLE_HUB].sockets)
        for sock in sockets:
            await sock.ws.close(code=1011, message=b"dropped by the test")
        return len(sockets)

    async def create_agent(self, login: str, name: str, role: str = "agent", password: str = AGENT_PASSWORD
                           ) -> AgentAccount:
        """A console account made in-process (as the admin's console or `agents add` would)."""
        from kernel.clock import utcnow

        agent = await self.runtime.agents.create(login, name, role, password, utcnow())
        return AgentAccount(agent.id, agent.login, agent.name, agent.role, password)

    def log_tail(self, lines: int = 40) -> str:
        return "(in-process: see the test's captured log)"


class ProcessServer(_Server):
    """`supportbot serve` in a subprocess, with its own config file, database and port."""

    def __init__(self, workdir: Path, settings: dict[str, Any] | None = None, secrets: dict[str, str] | None = None,
                 db_name: str = "web.db", port: int | None = None) -> None:
        self._setup(workdir, settings, secrets, db_name, port)
        self.log = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def launch(self) -> ProcessServer:
        """Start the process without waiting for it (see `ready`)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command("serve", "--db", str(self.db)), cwd=self.workdir, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def ready(self, timeout: float = 90) -> ProcessServer:
        """Wait until GET /healthz answers 200 (another port if the chosen one was taken meanwhile)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        moves = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log_tail(5).lower() and moves < 3:
                    moves += 1
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                    self._write_config()
                    self.launch()
                    continue
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def start(self, timeout: float = 90) -> ProcessServer:
        return self.launch().ready(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int | None:
        """Signal the server and wait for it to exit; its exit code (killed after `timeout`)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def wait(self, timeout: float = 40) -> int | None:
        """Wait for the process to exit by itself; its exit code, or None if it still runs."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Write to the database (only while the server is down)."""
        assert not self.running(), "the server is running"
        dbaccess.execute(self.db, sql, params)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
