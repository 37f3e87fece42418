"""Fakes of the outside platforms, at the wire, for the tests and the benches.

`FakePlatform` is a real aiohttp server on loopback (in a thread of its own, with its own event
loop, so it outlives any test's loop and serves subprocesses and in-process apps alike) that
plays the messengers' APIs at once and records every request:

    Telegram  POST [/i/<instance>]/bot{token}/{method} → {"ok": true, "result": …} (a realistic Message for sendMessage)
    VK        POST /method/{name}                    → {"response": …} (messages.send: an int id)
    Viber     POST /pa/{endpoint}                    → {"status": 0, "status_message": "ok", …}

An `/i/<instance>` prefix in the configured `api_url` tells the fake which instance of a
deployment sent a request (`Call.instance`). Failures are programmable:
`fake.fail(tg_sent(chat, ok=None), times=2, status=429, body=…)` answers the next matching
calls so, `fake.rule(pred, status, body)` every matching call, `fake.down = 500` everything;
`fake.on_call` (a function of a `Call`) is told of each request as it arrives (benches).

    fake = FakePlatform().start()
    [call] = await fake.wait(tg_sent(chat))          # the reply, as the platform received it
    calls = fake.sent(to_chat(chat))                 # every sendMessage/messages.send/send_message to a chat

Also here: the platforms' update payloads (real-shaped, from tests/channels/payloads/), the
predicates over calls, Viber's signature. SMS and e-mail need no fake at the wire: the
sandbox gateways keep what they "sent" in the database (`supportbot sms outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import itertools
import json
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

PAYLOADS = Path(__file__).resolve().parent / "channels" / "payloads"

TG_TOKEN = "123456:TEST"
TG_SECRET = "tg-webhook_secret-0123456789"
VK_TOKEN = "vk1.a.test-community-token"
VK_SECRET = "vk-callback-secret-42"
VK_CONFIRMATION = "4f1c9e2a"
VK_GROUP = 229000001
VIBER_TOKEN = "4d5a3b9c1e7f2a60-8b1c2d3e4f5a6b7c-9d8e7f6a5b4c3d2e"
VIBER_SENDER = "Tele2 Тест"
JSON_PARAMS = ("reply_markup", "keyboard", "allowed_updates", "event_types")
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Tele2 Support", "username": "tele2_support_bot"}
SEND_METHODS = ("sendMessage", "messages.send", "send_message")


def channel_env(channels: tuple[str, ...]) -> dict[str, str]:
    """The environment (tokens and secrets) that turns these channels on, with the fakes' values."""
    env: dict[str, str] = {}
    if "telegram" in channels:
        env.update(TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_WEBHOOK_SECRET=TG_SECRET)
    if "vk" in channels:
        env.update(VK_GROUP_TOKEN=VK_TOKEN, VK_CALLBACK_SECRET=VK_SECRET, VK_CONFIRMATION_CODE=VK_CONFIRMATION)
    if "viber" in channels:
        env.update(VIBER_AUTH_TOKEN=VIBER_TOKEN)
    return env


def channel_settings(fake_url: str, per_second: float = 1000.0) -> dict[str, Any]:
    """`[channels.*]` settings that point every channel at the fake."""
    return {
        "telegram": {"api_url": fake_url, "per_second": per_second, "per_chat_per_second": 100.0, "timeout_seconds": 5.0},
        "vk": {"group_id": VK_GROUP, "api_url": fake_url + "/method", "per_second": per_second, "timeout_seconds": 5.0,
               "flood_wait_seconds": 1.0},  # VK's own wait after "flood control" is 10 s
        "viber": {"api_url": fake_url + "/pa", "sender_name": VIBER_SENDER, "per_second": per_second,
                  "timeout_seconds": 5.0},
    }


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
    instance: str = ""  # the deployment's instance that sent it (from an /i/<instance> prefix), if any

    @property
    def text(self) -> str:
        return str(self.params.get("text", self.params.get("message", "")))

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", self.params.get("peer_id", self.params.get("receiver", ""))))

    @property
    def markup(self) -> Any:
        return self.params.get("reply_markup")

    def buttons(self) -> list[str]:
        """The callback data of a Telegram message's inline buttons."""
        markup = self.markup if isinstance(self.markup, dict) else {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]


class FakePlatform:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.down: int | None = None  # answer every request with this HTTP status
        self._lock = threading.Lock()
        self._scripted: list[tuple[Callable[[Call], bool], int, Any, float]] = []
        self._rules: list[tuple[Callable[[Call], bool], int, Any]] = []
        self._ids = itertools.count(5000)
        self.on_call: Callable[[Call], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle (a thread with its own loop, so it outlives any test's loop) -----------------

    def start(self, port: int = 0) -> FakePlatform:
        """Serve on 127.0.0.1:`port` (0: a free one) from a thread of its own."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_get("/_arrivals", self._arrivals)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            try:
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
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

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def serve_forever(self, port: int) -> None:
        """Serve on `port` until the process is killed (a fake in a process of its own: benches)."""
        self.start(port)
        assert self._thread is not None
        self._thread.join()

    async def _arrivals(self, request: web.Request) -> web.Response:
        """GET /_arrivals: [[chat id, arrival (time.monotonic())], …] of the messages sent so far
        (for a process that runs the fake in another process)."""
        return web.json_response([[c.chat_id, c.at] for c in self.sent()])

    async def settle(self, rounds: int = 5) -> None:
        """Let the fake's own loop handle what already reached it — a request a server sent just
        before it was killed is answered by the rules in force then, not by those after `reset`."""
        assert self._loop is not None
        for _ in range(rounds):  # each round: the fake's loop polls its sockets and runs what is ready
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.sleep(0.02), self._loop))

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
        instance, path = split_instance(request.path)
        platform, method = classify(path)
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
        call = Call(platform, method, request.path, params, arrived, dict(request.headers), instance=instance)
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
        if self.on_call is not None:
            self.on_call(call)
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

    def sent(self, pred: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        """The messages sent (sendMessage, messages.send, send_message) matching `pred`, in order of arrival."""
        return self.matching(lambda c: c.method in SEND_METHODS and pred(c))

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


def split_instance(path: str) -> tuple[str, str]:
    """("A", "/bot…/sendMessage") from "/i/A/bot…/sendMessage"; ("", path) without a prefix."""
    match = re.fullmatch(r"/i/(\w+)(/.*)", path)
    return (match.group(1), match.group(2)) if match else ("", path)


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


