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
import secrets
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from intents.replies import Incoming
from kernel.clock import utcnow
from storage.logins import load_secret

from .keys import CHAT_HUB, METRICS, RUNTIME
from .security import RateLimiter, SharedRateLimiter, origin_allowed

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 2000
HISTORY = 200


class ChatHub:
    """Open chat sockets by conversation; pushes new messages and the queue status."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.sockets: dict[int, set[ChatSocket]] = defaultdict(set)
        self.waiting: set[int] = set()  # conversations (with a socket here) in the operator queue
        self.limiter: RateLimiter = RateLimiter(rate=2.0, burst=20)  # per visitor: 20 at once, then 2 a second

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
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.last_id = 0
        self.status = "unknown"

    async def send(self, data: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(data, ensure_ascii=False))


def _message(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "direction": row["direction"], "author": row["author"] if row["direction"] == "agent" else "",
            "text": row["text"], "buttons": row["buttons"], "at": row["created_at"]}


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
    try:
        data = await request.json() if request.can_read_body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.json_response({"error": "expected JSON"}, status=400)
    key = await _key(request.app)
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or visitor_of(key, token) is None:
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
    runtime = request.app[RUNTIME]
    hub = request.app[CHAT_HUB]
    metrics = request.app[METRICS]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=16 * 1024)
    await ws.prepare(request)
    sock = ChatSocket(ws)
    conv = await runtime.conversations.get_or_create("web", visitor, utcnow(), visitor)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        after = 0
    rows = await runtime.conversations.messages(conv.id, after, limit=100_000)
    rows = rows[-HISTORY:]
    sock.last_id = rows[-1]["id"] if rows else after
    status = await hub.status(conv.id)
    sock.status = status["state"]
    await sock.send({"type": "history", "messages": [_message(r) for r in rows], **status})
    hub.sockets[conv.id].add(sock)
    metrics.ws_sessions.inc()
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.ERROR:
                    break
                continue
            await _on_frame(request, hub, sock, visitor, conv.id, lang, msg.data)
    finally:
        hub.sockets[conv.id].discard(sock)
        if not hub.sockets[conv.id]:
            hub.sockets.pop(conv.id, None)
            hub.waiting.discard(conv.id)
        metrics.ws_sessions.dec()
    return ws


async def _on_frame(request: web.Request, hub: ChatHub, sock: ChatSocket, visitor: str, conversation_id: int,
                    lang: str | None, raw: str) -> None:
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError:
        await sock.send({"type": "error", "error": "bad frame"})
        return
    if not isinstance(frame, dict):
        await sock.send({"type": "error", "error": "bad frame"})
        return
    kind = frame.get("type")
    if kind == "ping":
        await sock.send({"type": "pong"})
        return
    if kind not in ("say", "press"):
        await sock.send({"type": "error", "error": "unknown frame type"})
        return
    text = frame.get("text") if kind == "say" else ""
    payload = frame.get("payload") if kind == "press" else None
    if not isinstance(text, str) or (payload is not None and (not isinstance(payload, str) or len(payload) > 200)):
        await sock.send({"type": "error", "error": "bad frame"})
        return
    if len(text) > MAX_TEXT:
        await sock.send({"type": "error", "error": "too_long", "limit": MAX_TEXT})
        return
    if not text.strip() and not payload:
        return
    limiter = hub.limiter
    allowed = (await limiter.allow_shared(visitor, time.monotonic()) if isinstance(limiter, SharedRateLimiter)
               else limiter.allow(visitor, time.monotonic()))
    if not allowed:
        await sock.send({"type": "error", "error": "rate_limited"})
        return
    runtime = request.app[RUNTIME]
    await runtime.core.handle(Incoming(channel="web", user_id=visitor, chat_id=visitor, text=text, button=payload,
                                       lang_hint=lang))  # the turn's event pushes the answer to every socket


async def hub_ctx(app: web.Application) -> Any:
    hub = app[CHAT_HUB]
    shared = app[RUNTIME].shared
    if shared is not None:  # several instances: one bucket per visitor for all of them
        hub.limiter = SharedRateLimiter(shared.client, shared.key("chat"), hub.limiter.rate, hub.limiter.burst)
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
