"""The web chat: a page, an embeddable widget, and a WebSocket per browser tab.

A visitor is identified by a signed token kept in the page's localStorage (so the chat
works inside the widget's iframe on any site); the conversation is channel "web" with the
visitor id as user. The socket only sends what the database holds: after every turn (and
every operator message) the hub reads the new messages and pushes them, so a reload or a
reconnect restores the history and nothing is shown twice (messages carry their ids).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from intents.replies import Incoming
from kernel.clock import utcnow
from kernel.text import clean
from storage.db import storage_failure
from storage.logins import load_secret

from .keys import CHAT_HUB, CONFIG, HEALTH, METRICS, RUNTIME
from .security import RateLimiter, SharedRateLimiter, client_ip, json_body, origin_allowed

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 2000
HISTORY = 200
MAX_FRAME = 1024 * 1024  # a frame bigger than a message can be is answered "too long"; beyond this the socket closes
MAX_ID = 2**63 - 1  # message ids are 64-bit
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
CLIENT_ID_IN_RAW = re.compile(r'"id"\s*:\s*"([A-Za-z0-9_-]{8,64})"')
TYPING_EVERY = 1.0  # a visitor's "typing" relayed at most once a second

ERRORS = {  # what the page shows for an error frame, in the visitor's language
    "bad_frame": {"ru": "Не удалось прочитать сообщение. Обновите страницу и попробуйте ещё раз.",
                  "en": "The message could not be read. Reload the page and try again."},
    "too_long": {"ru": "Сообщение слишком длинное: не больше {limit} символов. Разбейте его на части.",
                 "en": "The message is too long: {limit} characters at most. Please split it."},
    "rate_limited": {"ru": "Слишком много сообщений подряд. Подождите {retry_after} с и отправьте снова.",
                     "en": "Too many messages in a row. Wait {retry_after} s and send it again."},
    "storage_unavailable": {"ru": "Сейчас не получается сохранить сообщение, оно не отправлено. Попробуйте ещё раз "
                                  "через минуту.",
                            "en": "We cannot save messages right now, so this one was not sent. Please try again "
                                  "in a minute."},
    "failed": {"ru": "Сообщение не обработано из-за ошибки на нашей стороне. Попробуйте отправить ещё раз.",
               "en": "The message was not processed because of an error on our side. Please try sending it again."},
}


def error_frame(code: str, lang: str, cid: str | None = None, **values: Any) -> dict[str, Any]:
    """`{"type": "error", "id", "error", "text", …}` with the line in the user's language."""
    texts = ERRORS.get(code, ERRORS["bad_frame"])
    return {"type": "error", "id": cid, "error": code, "text": texts.get(lang, texts["ru"]).format(**values), **values}


class ChatHub:
    """Open chat sockets by conversation; pushes new messages and the queue status."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.sockets: dict[int, set[ChatSocket]] = defaultdict(set)
        self.waiting: set[int] = set()  # conversations (with a socket here) in the operator queue
        self.limiter: RateLimiter = RateLimiter(rate=2.0, burst=20)  # per visitor: 20 at once, then 2 a second
        limits = app[CONFIG].limits
        per_minute = limits.chat_messages_per_minute  # per address, all its visitors together
        self.address_limiter: RateLimiter = RateLimiter(rate=per_minute / 60, burst=per_minute)
        self.session_limiter: RateLimiter = RateLimiter(rate=limits.chat_sessions_per_minute / 60,
                                                        burst=limits.chat_sessions_per_minute)
        self.max_sockets = limits.chat_sockets
        self.open_by_address: dict[str, int] = defaultdict(int)

    @property
    def runtime(self) -> Any:
        return self.app[RUNTIME]

    async def on_event(self, topic: str, event: dict[str, Any]) -> None:
        if topic.startswith("conv:"):
            conversation_id = int(topic[5:])
            if conversation_id in self.sockets:
                await self.push(conversation_id, event.get("status"))
        elif topic == "queue":  # positions moved: only people in the queue need to hear it
            for conversation_id in [c for c in self.waiting if c in self.sockets]:
                await self.push_status(conversation_id)
        elif topic == "resync":  # events may have been missed: catch up from the database
            for conversation_id in list(self.sockets):
                await self.push(conversation_id)
        elif topic == "typing" and event.get("who") in ("agent", "bot"):
            await self.typing(event.get("conversation_id"), event["who"], bool(event.get("on")))

    async def typing(self, conversation_id: Any, who: str, on: bool) -> None:
        for sock in list(self.sockets.get(conversation_id, ())) if isinstance(conversation_id, int) else ():
            await sock.send({"type": "typing", "who": who, "on": on})

    async def push(self, conversation_id: int, status: str | None = None) -> None:
        sockets = list(self.sockets.get(conversation_id, ()))
        if not sockets:
            return
        after = min(s.last_id for s in sockets)
        rows = await self.runtime.conversations.messages(conversation_id, after)
        for sock in sockets:
            fresh = [r for r in rows if r["id"] > sock.last_id]
            if fresh:
                sock.last_id = fresh[-1]["id"]
                await sock.send({"type": "messages", "messages": [_message(r) for r in fresh]})
        known = {s.status for s in sockets}
        if status is None or status != "bot" or known != {"bot"}:
            await self.push_status(conversation_id)  # a status the page does not show yet (or unknown)

    async def push_status(self, conversation_id: int) -> None:
        sockets = list(self.sockets.get(conversation_id, ()))
        if sockets:
            status = await self.status(conversation_id)
            for sock in sockets:
                sock.status = status["state"]
                sock.lang = status.get("lang") or sock.lang
                await sock.send({"type": "status", **status})

    async def status(self, conversation_id: int) -> dict[str, Any]:
        runtime = self.runtime
        conv = await runtime.conversations.get(conversation_id)
        if conv is None:
            return {"handoff": False, "queue": None, "state": "bot"}
        queue = None
        if conv.status == "queued":
            self.waiting.add(conversation_id)
            state = await runtime.handoff.status(conversation_id)
            if state is not None:
                queue = {"position": state.position, "wait_seconds": state.wait_seconds,
                         "agents_online": state.agents_online}
        else:
            self.waiting.discard(conversation_id)
        return {"handoff": conv.with_people, "operator": conv.status == "operator", "queue": queue, "lang": conv.lang,
                "state": conv.status}


class ChatSocket:
    def __init__(self, ws: web.WebSocketResponse, lang: str = "ru", address: str = "?") -> None:
        self.ws = ws
        self.address = address
        self.last_id = 0
        self.status = "unknown"
        self.lang = lang  # of the error lines (the conversation's language, kept up to date by status frames)
        self.typed_at = 0.0

    async def send(self, data: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(data, ensure_ascii=False))


def _message(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "direction": row["direction"], "author": row["author"] if row["direction"] == "agent" else "",
            "text": row["text"], "buttons": row["buttons"], "at": row["created_at"], "client_id": row.get("client_id")}


# -- visitor tokens ------------------------------------------------------------------------------


async def _key(app: web.Application) -> bytes:
    runtime = app[RUNTIME]
    return await load_secret(runtime.db, "webchat", runtime.config.secret(runtime.config.web.secret_env))


def _sign(key: bytes, visitor: str) -> str:
    return f"{visitor}.{hmac.new(key, visitor.encode(), hashlib.sha256).hexdigest()[:32]}"


def visitor_of(key: bytes, token: str | None) -> str | None:
    if not token or len(token) > 120 or "." not in token:
        return None
    visitor = token.split(".", 1)[0]
    return visitor if hmac.compare_digest(_sign(key, visitor), token) else None


# -- handlers ------------------------------------------------------------------------------------


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-cache"})


async def widget_js(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "widget.js", headers={"Cache-Control": "no-cache",
                                                           "Access-Control-Allow-Origin": "*"})


async def new_session(request: web.Request) -> web.Response:
    """A visitor token: the one given back if valid, else a new one."""
    if not origin_allowed(request):
        return web.json_response({"error": "origin not allowed"}, status=403)
    data = await json_body(request) if request.can_read_body else {}
    key = await _key(request.app)
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or visitor_of(key, token) is None:
        limiter = request.app[CHAT_HUB].session_limiter  # new visitors, per address
        if not await limiter.allow_async(client_ip(request), time.monotonic()):
            return web.json_response({"error": "rate_limited", "retry_after": limiter.retry_after()}, status=429,
                                     headers={"Retry-After": str(limiter.retry_after())})
        token = _sign(key, "v" + secrets.token_hex(12))
    return web.json_response({"token": token})


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="origin not allowed")
    key = await _key(request.app)
    visitor = visitor_of(key, request.query.get("token"))
    if visitor is None:
        raise web.HTTPUnauthorized(text="no valid chat session")
    lang = request.query.get("lang") if request.query.get("lang") in ("ru", "en") else None
    after_text = request.query.get("after", "0")
    after = int(after_text) if after_text.isascii() and after_text.isdigit() and len(after_text) < 20 else -1
    if not 0 <= after <= MAX_ID:
        raise web.HTTPBadRequest(text="'after' must be a message id (a whole number from 0)")
    runtime = request.app[RUNTIME]
    hub = request.app[CHAT_HUB]
    metrics = request.app[METRICS]
    address = client_ip(request)
    if hub.open_by_address.get(address, 0) >= hub.max_sockets:
        raise web.HTTPTooManyRequests(text="too many chat sockets from this address")
    conv = await runtime.conversations.get_or_create("web", visitor, utcnow(), visitor)
    # frames up to MAX_FRAME are read (and one over the text limit answered); only bigger ones close the socket
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
    await ws.prepare(request)
    sock = ChatSocket(ws, lang or conv.lang, address)
    hub.open_by_address[address] += 1
    metrics.ws_sessions.inc()
    try:
        rows = await runtime.conversations.messages(conv.id, after, limit=100_000)
        rows = rows[-HISTORY:]
        sock.last_id = rows[-1]["id"] if rows else after
        status = await hub.status(conv.id)
        sock.status = status["state"]
        await sock.send({"type": "history", "messages": [_message(r) for r in rows], **status})
        hub.sockets[conv.id].add(sock)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.ERROR:
                    break
                continue
            await _on_frame(request, hub, sock, visitor, conv.id, lang, msg.data)
    finally:
        hub.open_by_address[address] -= 1
        if hub.open_by_address[address] <= 0:
            hub.open_by_address.pop(address, None)
        hub.sockets[conv.id].discard(sock)
        if not hub.sockets.get(conv.id):
            hub.sockets.pop(conv.id, None)
            hub.waiting.discard(conv.id)
        metrics.ws_sessions.dec()
    return ws


async def _on_frame(request: web.Request, hub: ChatHub, sock: ChatSocket, visitor: str, conversation_id: int,
                    lang: str | None, raw: str) -> None:
    if len(raw) > 12 * MAX_TEXT + 4096:  # not parsed: even escaped ("\\ud83d\\ude00"), its text is over the limit
        found = CLIENT_ID_IN_RAW.search(raw[:4000])
        await sock.send(error_frame("too_long", sock.lang, found.group(1) if found else None, limit=MAX_TEXT))
        return
    try:
        frame = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        await sock.send(error_frame("bad_frame", sock.lang))
        return
    if not isinstance(frame, dict):
        await sock.send(error_frame("bad_frame", sock.lang))
        return
    kind = frame.get("type")
    if kind == "ping":
        await sock.send({"type": "pong"})
        return
    if kind == "typing":
        now = time.monotonic()
        if now - sock.typed_at >= TYPING_EVERY:
            sock.typed_at = now
            request.app[RUNTIME].events.publish("typing", {"conversation_id": conversation_id, "who": "user",
                                                           "on": frame.get("on") is not False})
        return
    cid = frame.get("id")
    if cid is not None and not (isinstance(cid, str) and CLIENT_ID.fullmatch(cid)):
        await sock.send(error_frame("bad_frame", sock.lang))
        return
    if kind not in ("say", "press"):
        await sock.send(error_frame("bad_frame", sock.lang, cid))
        return
    text = frame.get("text") if kind == "say" else ""
    payload = frame.get("payload") if kind == "press" else None
    title = frame.get("title") if kind == "press" else None
    if (not isinstance(text, str) or (kind == "press" and (not isinstance(payload, str) or len(payload) > 200))
            or (title is not None and (not isinstance(title, str) or len(title) > 200))):
        await sock.send(error_frame("bad_frame", sock.lang, cid))
        return
    if len(text) > MAX_TEXT:
        await sock.send(error_frame("too_long", sock.lang, cid, limit=MAX_TEXT))
        return
    text = clean(text)  # lone surrogates and control characters never reach the core
    if not text.strip() and not payload:
        if cid is not None:
            await sock.send(error_frame("bad_frame", sock.lang, cid))
        return
    for limiter, key in ((hub.limiter, visitor), (hub.address_limiter, sock.address)):
        if not await limiter.allow_async(key, time.monotonic()):
            await sock.send(error_frame("rate_limited", sock.lang, cid, retry_after=limiter.retry_after()))
            return
    runtime = request.app[RUNTIME]
    incoming = Incoming(channel="web", user_id=visitor, chat_id=visitor, text=text, button=payload, lang_hint=lang,
                        client_id=cid, button_title=title, address=sock.address)
    if cid is not None:
        await hub.typing(conversation_id, "bot", True)
    try:
        outcome = await runtime.core.handle(incoming)  # the turn's event pushes the answer to every socket
    except Exception as exc:
        if storage_failure(exc):
            request.app[HEALTH].failed()
        await _turn_failed(runtime, sock, conversation_id, cid, exc)
        return
    finally:
        if cid is not None:
            await hub.typing(conversation_id, "bot", False)
    if cid is not None and outcome.message_id is not None:  # stored: the page may forget it
        await sock.send({"type": "ack", "id": cid, "message_id": outcome.message_id, "at": outcome.at})
    if outcome.outcome == "duplicate":  # what the page missed is pushed again (it may have reconnected)
        await hub.push(conversation_id)


async def _turn_failed(runtime: Any, sock: ChatSocket, conversation_id: int, cid: str | None, exc: Exception) -> None:
    """A turn that could not be stored: the page hears it (and may send again), unless the message
    was stored after all (another instance took the same id first)."""
    if cid is not None:
        with contextlib.suppress(Exception):
            prior = await runtime.conversations.client_message(conversation_id, cid)
            if prior is not None:
                await sock.send({"type": "ack", "id": cid, "message_id": prior["id"], "at": prior["created_at"]})
                return
    if storage_failure(exc):
        log.warning("web chat: a message could not be stored: %s: %s", type(exc).__name__, exc)
        await sock.send(error_frame("storage_unavailable", sock.lang, cid))
    else:
        log.exception("web chat: a turn failed")
        await sock.send(error_frame("failed", sock.lang, cid))


async def hub_ctx(app: web.Application) -> Any:
    hub = app[CHAT_HUB]
    shared = app[RUNTIME].shared
    if shared is not None:  # several instances: one bucket per visitor (and per address) for all of them
        hub.limiter = SharedRateLimiter(shared.client, shared.key("chat"), hub.limiter.rate, hub.limiter.burst)
        hub.address_limiter = SharedRateLimiter(shared.client, shared.key("chat-address"), hub.address_limiter.rate,
                                                hub.address_limiter.burst)
        hub.session_limiter = SharedRateLimiter(shared.client, shared.key("chat-session"), hub.session_limiter.rate,
                                                hub.session_limiter.burst)
    unsubscribe = app[RUNTIME].events.subscribe("*", hub.on_event)
    yield
    unsubscribe()
    for sockets in list(hub.sockets.values()):
        for sock in list(sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.ws.close(code=1001, message=b"server shutdown"), timeout=2)


async def close_sockets(app: web.Application) -> None:
    """At shutdown, close chat sockets at once (1001): the pages reconnect to another instance
    (or to this one once restarted) and catch up; nothing sent is lost, it is in the database."""
    hub = app[CHAT_HUB]
    sockets = [s for group in hub.sockets.values() for s in group]
    hub.sockets.clear()
    await asyncio.gather(*(asyncio.wait_for(s.ws.close(code=1001, message=b"server shutdown"), timeout=1)
                           for s in sockets), return_exceptions=True)


def setup_chat(app: web.Application) -> None:
    app[CHAT_HUB] = ChatHub(app)
    app.cleanup_ctx.append(hub_ctx)
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/chat", chat_page)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_post("/api/chat/session", new_session)
    app.router.add_get("/ws/chat", chat_socket)
