"""Fixtures for the messenger channel tests: a fake platform API on loopback and the real
`supportbot serve` pointed at it.

`FakePlatform` is a real aiohttp server (in a thread of its own, on 127.0.0.1 and a random
port) that plays the three platforms' APIs at once and records every request:

    Telegram  POST /bot{token}/{method}       → {"ok": true, "result": …} (a realistic Message for sendMessage)
    VK        POST /method/{name}             → {"response": …} (messages.send: an int id)
    Viber     POST /pa/{endpoint}             → {"status": 0, "status_message": "ok", …}

Failures are programmable: `fake.fail(tg_sent(chat, ok=None), times=2, status=429, body=…)`
answers the next matching calls so, `fake.rule(pred, status, body)` answers every matching call so,
`fake.down = 500` answers everything with an error.

`Server` runs `supportbot serve --config … --db …` as a subprocess, with the channel tokens
and secrets in its environment and the channels' `api_url` pointed at the fake:

    srv = Server(workdir, fake, channels=("telegram",), settings={"channels": {"telegram": {…}}}).start()
    status, body = await post_telegram(http, srv, tg_text(chat, "баланс"))
    [call] = await fake.wait(tg_sent(chat))            # the reply, as the platform received it
    srv.query("SELECT status FROM outbox")             # the server's database (read-only)
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import html
import itertools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import dbaccess
import pytest
from aiohttp import web

PAYLOADS = Path(__file__).resolve().parent / "payloads"
SUPPORTBOT = Path(sys.executable).parent / "supportbot"

TG_TOKEN = "123456:TEST"
TG_SECRET = "tg-webhook_secret-0123456789"
VK_TOKEN = "vk1.a.test-community-token"
VK_SECRET = "vk-callback-secret-42"
VK_CONFIRMATION = "4f1c9e2a"
VK_GROUP = 229000001
VIBER_TOKEN = "4d5a3b9c1e7f2a60-8b1c2d3e4f5a6b7c-9d8e7f6a5b4c3d2e"
VIBER_SENDER = "Tele2 Тест"
ADMIN_PASSWORD = "admin-password-2024"
PHONE = "+79990000001"  # a demo subscriber of the sandbox billing
ONLY_TEXT = "Я понимаю только текст"  # the core's "empty" answer (knowledge/messages.yaml)
CHANNEL_ENV = ("TELEGRAM_", "VK_", "VIBER_", "SUPPORTBOT_")
JSON_PARAMS = ("reply_markup", "keyboard", "allowed_updates", "event_types")
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Tele2 Support", "username": "tele2_support_bot"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the fake platform ------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the fake received, and what it answered."""

    platform: str  # telegram | vk | viber
    method: str  # sendMessage, messages.send, send_message, …
    path: str
    params: dict[str, Any]
    at: float  # time.monotonic() on arrival
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    ok: bool = False  # the fake accepted it (HTTP 200 and no platform error in the body)
    body: Any = None

    @property
    def text(self) -> str:
        return str(self.params.get("text", self.params.get("message", "")))


class FakePlatform:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.down: int | None = None  # answer every request with this HTTP status
        self._lock = threading.Lock()
        self._scripted: list[tuple[Callable[[Call], bool], int, Any, float]] = []
        self._rules: list[tuple[Callable[[Call], bool], int, Any]] = []
        self._ids = itertools.count(5000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle (a thread with its own loop, so it outlives any test's loop) -----------------

    def start(self) -> FakePlatform:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            try:
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.port = int(runner.addresses[0][1])
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(runner.cleanup())
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-platform", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # -- programming -----------------------------------------------------------------------------

    def fail(self, pred: Callable[[Call], bool], times: int = 1, status: int = 200, body: Any = None,
             delay: float = 0.0) -> None:
        """Answer the next `times` calls matching `pred` with `status` and `body` (None: the normal
        answer), after `delay` seconds."""
        with self._lock:
            self._scripted.extend([(pred, status, body, delay)] * times)

    def slow(self, pred: Callable[[Call], bool], seconds: float, times: int = 1) -> None:
        """Answer the next `times` matching calls normally, but only after `seconds`."""
        self.fail(pred, times, 200, None, seconds)

    def rule(self, pred: Callable[[Call], bool], status: int, body: Any) -> None:
        """Answer every call matching `pred` with `status` and `body` (until `reset`)."""
        with self._lock:
            self._rules.append((pred, status, body))

    def reset(self) -> None:
        """Forget the programmed failures (the recorded calls stay)."""
        with self._lock:
            self._scripted.clear()
            self._rules.clear()
            self.down = None

    def tg_retry_after(self, chat: int | str, times: int = 1, seconds: int = 1) -> None:
        """Telegram's flood limit on the next `times` sendMessage calls to `chat`."""
        self.fail(tg_sent(chat, ok=None), times, 429, {"ok": False, "error_code": 429,
                                                       "description": f"Too Many Requests: retry after {seconds}",
                                                       "parameters": {"retry_after": seconds}})

    # -- the requests ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        platform, method = classify(request.path)
        params: dict[str, Any] = dict(request.query)
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            params.update({k: v if isinstance(v, str) else "<file>" for k, v in form.items()})
        else:
            raw = await request.read()
            if raw:
                with contextlib.suppress(ValueError):
                    data = json.loads(raw)
                    if isinstance(data, dict):
                        params.update(data)
        for key in JSON_PARAMS:
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        call = Call(platform, method, request.path, params, arrived, dict(request.headers))
        delay = 0.0
        with self._lock:
            answer: tuple[int, Any] | None = None
            if self.down is not None:
                answer = (self.down, {"ok": False, "error_code": self.down, "description": "Internal Server Error"})
            else:
                for index, (pred, status, body, wait) in enumerate(self._scripted):
                    if pred(call):
                        answer, delay = (status, body if body is not None else self._default(call)), wait
                        del self._scripted[index]
                        break
            if answer is None:
                for pred, status, body in self._rules:
                    if pred(call):
                        answer = (status, body)
                        break
            if answer is None:
                answer = (200, self._default(call))
            call.status, call.body = answer
            call.ok = call.status == 200 and accepted(call.body)
            self.calls.append(call)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(call.body, status=call.status)

    def _default(self, call: Call) -> Any:
        p = call.params
        if call.platform == "telegram":
            if call.method == "sendMessage":
                chat_id = p.get("chat_id")
                with contextlib.suppress(TypeError, ValueError):
                    chat_id = int(chat_id)  # type: ignore[arg-type]
                message: dict[str, Any] = {
                    "message_id": next(self._ids), "from": BOT_USER,
                    "chat": {"id": chat_id, "first_name": "Иван", "type": "private"},
                    "date": int(time.time()), "text": html.unescape(re.sub(r"<[^>]+>", "", str(p.get("text", ""))))}
                markup = p.get("reply_markup")
                if isinstance(markup, dict) and "inline_keyboard" in markup:
                    message["reply_markup"] = markup
                return {"ok": True, "result": message}
            if call.method == "getMe":
                return {"ok": True, "result": {**BOT_USER, "can_join_groups": False, "can_read_all_group_messages": False,
                                               "supports_inline_queries": False}}
            if call.method == "getUpdates":
                return {"ok": True, "result": []}
            return {"ok": True, "result": True}
        if call.platform == "vk":
            if call.method == "messages.send":
                return {"response": next(self._ids)}
            return {"response": 1}
        if call.method == "set_webhook":
            return {"status": 0, "status_message": "ok", "event_types": p.get("event_types", [])}
        if call.method == "send_message":
            return {"status": 0, "status_message": "ok", "message_token": 5_000_000_000_000_000_000 + next(self._ids),
                    "chat_hostname": "SN-CHAT-01_", "billing_status": 0}
        return {"status": 0, "status_message": "ok"}

    # -- looking at what arrived -------------------------------------------------------------------

    def matching(self, pred: Callable[[Call], bool]) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if pred(c)]

    async def wait(self, pred: Callable[[Call], bool], count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls matching `pred`, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(pred)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                recent = [(c.method, c.status, c.params.get("chat_id") or c.params.get("peer_id")
                           or c.params.get("receiver"), c.text[:60]) for c in self.calls[-8:]]
                raise AssertionError(f"the fake got {len(found)} of {count} expected requests in {timeout} s; "
                                     f"the last requests: {recent}")
            await asyncio.sleep(0.02)

    async def quiet(self, pred: Callable[[Call], bool], seconds: float = 1.0) -> list[Call]:
        """Whatever matches `pred` after waiting `seconds` (to check that nothing more comes)."""
        await asyncio.sleep(seconds)
        return self.matching(pred)


def classify(path: str) -> tuple[str, str]:
    match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
    if match:
        return "telegram", match.group(2)
    if path.startswith("/method/"):
        return "vk", path[len("/method/"):]
    return "viber", path.rsplit("/", 1)[-1]


def accepted(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if body.get("ok") is False or "error" in body:
        return False
    return body.get("status", 0) == 0


# predicates over the fake's calls

def tg_sent(chat: int | str, ok: bool | None = True) -> Callable[[Call], bool]:
    """sendMessage to `chat` (accepted ones by default; ok=None: every attempt)."""
    return lambda c: (c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat)
                      and (ok is None or c.ok == ok))


def vk_sent(peer: int | str, ok: bool | None = True) -> Callable[[Call], bool]:
    return lambda c: (c.method == "messages.send" and str(c.params.get("peer_id")) == str(peer)
                      and (ok is None or c.ok == ok))


def viber_sent(user: str, ok: bool | None = True) -> Callable[[Call], bool]:
    return lambda c: (c.method == "send_message" and c.params.get("receiver") == user
                      and (ok is None or c.ok == ok))


def to_chat(chat: int | str) -> Callable[[Call], bool]:
    """Any request of any platform that names this chat / peer / receiver."""
    return lambda c: str(chat) in {str(c.params.get(k)) for k in ("chat_id", "peer_id", "user_id", "receiver")}


# -- the real server ----------------------------------------------------------------------------------


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


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def channel_env(channels: tuple[str, ...]) -> dict[str, str]:
    env: dict[str, str] = {}
    if "telegram" in channels:
        env.update(TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_WEBHOOK_SECRET=TG_SECRET)
    if "vk" in channels:
        env.update(VK_GROUP_TOKEN=VK_TOKEN, VK_CALLBACK_SECRET=VK_SECRET, VK_CONFIRMATION_CODE=VK_CONFIRMATION)
    if "viber" in channels:
        env.update(VIBER_AUTH_TOKEN=VIBER_TOKEN)
    return env


class Server:
    """`supportbot serve` in a subprocess, with its own config file, database and port."""

    def __init__(self, workdir: Path, fake: FakePlatform, channels: tuple[str, ...] = ("telegram",),
                 settings: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = workdir / "channels.db"
        self.log = workdir / "server.log"
        self.config = workdir / "config.toml"
        base = {
            "web": {"host": "127.0.0.1", "port": self.port},
            "payments": {"page_url": f"{self.url}/pay/{{token}}"},
            "channels": {
                "telegram": {"api_url": fake.url, "per_second": 1000.0, "per_chat_per_second": 100.0,
                             "timeout_seconds": 5.0},
                "vk": {"group_id": VK_GROUP, "api_url": fake.url + "/method", "per_second": 1000.0,
                       "timeout_seconds": 5.0},
                "viber": {"api_url": fake.url + "/pa", "sender_name": VIBER_SENDER, "per_second": 1000.0,
                          "timeout_seconds": 5.0},
            },
        }
        self.settings = merged(merged(base, dbaccess.backend_settings()), settings or {})
        self.config.write_text(to_toml(self.settings), encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(CHANNEL_ENV)}
        self.env.update(SUPPORTBOT_ADMIN_PASSWORD=ADMIN_PASSWORD, PYTHONUNBUFFERED="1", **channel_env(channels),
                        **dbaccess.backend_env())
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> list[str]:
        return [str(SUPPORTBOT), "--config", str(self.config), *args]

    def start(self, timeout: float = 60) -> Server:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command("serve", "--db", str(self.db)), cwd=self.workdir, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
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

    def stop(self, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, cwd=self.workdir,
                              env={**self.env, **(env or {})}, timeout=timeout, check=False)

    # -- the database ---------------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Read the server's database (SQLite: read-only, WAL lets us read while it runs)."""
        if not dbaccess.exists(self.db):
            return []
        return dbaccess.query(self.db, sql, params)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Write to the database (only while the server is down)."""
        assert self.proc is None or self.proc.poll() is not None, "the server is running"
        dbaccess.execute(self.db, sql, params)

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

    def conversation(self, channel: str, user: int | str) -> dict[str, Any]:
        rows = self.query("SELECT * FROM conversations WHERE channel = ? AND user_key = ?", (channel, str(user)))
        assert rows, f"no {channel} conversation for {user}"
        return rows[0]


@contextlib.contextmanager
def running(workdir: Path, fake: FakePlatform, channels: tuple[str, ...], settings: dict[str, Any] | None = None
            ) -> Iterator[Server]:
    server = Server(workdir, fake, channels, settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- payloads (the platforms' own shapes, from tests/channels/payloads/) ---------------------------------

_numbers = itertools.count(random.randrange(10_000, 90_000) * 1000)


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def new_id() -> int:
    return next(_numbers)


def new_chat() -> int:
    """A fresh Telegram user (= private chat) id, or VK peer id."""
    return 700_000_000 + new_id() % 100_000_000


def new_viber_user() -> str:
    return uuid.uuid4().bytes[:9].hex().upper()[:14] + "=="


def _tg_person(message: dict[str, Any], user: int) -> None:
    message["from"]["id"] = user
    if message["chat"].get("type") == "private":
        message["chat"]["id"] = user


def tg_text(chat: int, text: str, *, update_id: int | None = None, lang: str = "ru") -> dict[str, Any]:
    if text.startswith("/"):
        update = load("telegram/message_command.json")
        update["message"]["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    else:
        update = load("telegram/message_text.json")
    update["update_id"] = update_id or new_id()
    update["message"]["message_id"] = new_id() % 1_000_000
    update["message"]["text"] = text
    update["message"]["from"]["language_code"] = lang
    _tg_person(update["message"], chat)
    return update


def tg_press(chat: int, data: str, *, update_id: int | None = None) -> dict[str, Any]:
    update = load("telegram/callback_query.json")
    update["update_id"] = update_id or new_id()
    query = update["callback_query"]
    query["id"] = str(new_id() * 1000 + random.randrange(1000))
    query["from"]["id"] = chat
    query["message"]["chat"]["id"] = chat
    query["data"] = data
    return update


def tg_contact(chat: int, phone: str, owner: int | None) -> dict[str, Any]:
    update = load("telegram/message_contact.json")
    update["update_id"] = new_id()
    _tg_person(update["message"], chat)
    update["message"]["reply_to_message"]["chat"]["id"] = chat
    update["message"]["contact"]["phone_number"] = phone
    if owner is None:
        del update["message"]["contact"]["user_id"]
    else:
        update["message"]["contact"]["user_id"] = owner
    return update


def tg_payload(name: str, chat: int) -> dict[str, Any]:
    """message_sticker, message_photo, edited_message or group_message from `chat` (the sender)."""
    update = load(f"telegram/{name}.json")
    update["update_id"] = new_id()
    message = update.get("message") or update["edited_message"]
    _tg_person(message, chat)
    return update


def vk_update(name: str, peer: int, **message: Any) -> dict[str, Any]:
    """message_new, message_new_sticker, message_new_photo from `peer`, with our secret."""
    update = load(f"vk/{name}.json")
    update["event_id"] = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    update["secret"] = VK_SECRET
    msg = update["object"]["message"]
    msg.update(from_id=peer, peer_id=peer, id=new_id() % 10_000_000, conversation_message_id=new_id() % 100_000)
    msg.update(message)
    return update


def vk_text(peer: int, text: str) -> dict[str, Any]:
    return vk_update("message_new", peer, text=text)


def vk_press(peer: int, payload: Any) -> dict[str, Any]:
    update = load("vk/message_event.json")
    update["event_id"] = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    update["secret"] = VK_SECRET
    update["object"].update(user_id=peer, peer_id=peer, event_id=uuid.uuid4().hex[:12], payload=payload,
                            conversation_message_id=new_id() % 100_000)
    return update


def viber_update(name: str, user: str, **message: Any) -> dict[str, Any]:
    """message_text, message_contact, message_sticker, message_picture, conversation_started, subscribed…"""
    update = load(f"viber/{name}.json")
    update["message_token"] = 5_700_000_000_000_000_000 + new_id()
    update["timestamp"] = int(time.time() * 1000)
    for key in ("sender", "user"):
        if key in update:
            update[key]["id"] = user
    if "user_id" in update:
        update["user_id"] = user
    if message:
        update["message"].update(message)
    return update


def viber_text(user: str, text: str) -> dict[str, Any]:
    return viber_update("message_text", user, text=text)


def viber_sign(body: bytes, token: str = VIBER_TOKEN) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def body_of(update: dict[str, Any]) -> bytes:
    return json.dumps(update, ensure_ascii=False).encode()


# -- posting to the real webhooks ---------------------------------------------------------------------


async def post_telegram(http: aiohttp.ClientSession, server: Server, update: dict[str, Any] | None = None, *,
                        secret: str | None = TG_SECRET, raw: bytes | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = raw if raw is not None else body_of(update or {})
    async with http.post(server.url + "/webhooks/telegram", data=data, headers=headers) as response:
        return response.status, await response.text()


async def post_vk(http: aiohttp.ClientSession, server: Server, update: dict[str, Any]) -> tuple[int, str]:
    async with http.post(server.url + "/webhooks/vk", data=body_of(update),
                         headers={"Content-Type": "application/json"}) as response:
        return response.status, await response.text()


async def post_viber(http: aiohttp.ClientSession, server: Server, update: dict[str, Any] | None = None, *,
                     signature: str | None = "sign", raw: bytes | None = None) -> tuple[int, str]:
    data = raw if raw is not None else body_of(update or {})
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Viber-Content-Signature"] = viber_sign(data)
    elif signature is not None:
        headers["X-Viber-Content-Signature"] = signature
    async with http.post(server.url + "/webhooks/viber", data=data, headers=headers) as response:
        return response.status, await response.text()


# -- the agent console (login form + /ws/console), as console.js uses it -----------------------------------


class Console:
    def __init__(self, server: Server, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.server = server
        self.http = http
        self.ws = ws
        self.seq = 0

    @classmethod
    async def open(cls, server: Server, login: str = "admin", password: str = ADMIN_PASSWORD) -> Console:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            async with http.get(server.url + "/console/login") as page:
                found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
                assert found, "no CSRF field on the login page"
            async with http.post(server.url + "/console/login", allow_redirects=False,
                                 data={"csrf": found.group(1), "login": login, "password": password}) as response:
                assert response.status == 302, f"console login failed: {response.status}"
            ws = await http.ws_connect(server.url + "/ws/console", headers={"Origin": server.url})
        except BaseException:
            await http.close()
            raise
        return cls(server, http, ws)

    async def op(self, op: str, timeout: float = 10, **data: Any) -> dict[str, Any]:
        self.seq += 1
        await self.ws.send_json({"id": self.seq, "op": op, **data})
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"console socket: {msg.type}")
                frame = json.loads(msg.data)
                if frame.get("type") == "result" and frame.get("id") == self.seq:
                    assert frame["ok"], frame
                    return frame

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def fake() -> Iterator[FakePlatform]:
    """One fake platform for these tests (they tell their requests apart by chat)."""
    platform = FakePlatform().start()
    try:
        yield platform
    finally:
        platform.stop()


SHARED_SETTINGS = {"channels": {"telegram": {"per_second": 1000.0, "per_chat_per_second": 20.0}}}


@pytest.fixture(scope="package")
def server(fake: FakePlatform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server with all three channels, shared by the tests that do not restart or reconfigure
    it (a start costs seconds: aiogram alone takes most of them). Telegram is paced at 20 messages a
    second per chat, as the rate-limit tests expect."""
    with running(tmp_path_factory.mktemp("shared"), fake, ("telegram", "vk", "viber"), SHARED_SETTINGS) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fake_behaves(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with a fake that answers everything normally."""
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()
    yield
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
