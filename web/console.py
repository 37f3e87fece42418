"""The agent console: login, the page, and a WebSocket that carries the agent's actions and
pushes the queue, conversations and tickets in real time.

Socket frames from the console are `{"id": n, "op": "...", ...}`; each gets one
`{"type": "result", "id": n, "ok": true|false, ...}`. Pushes are `{"type": "queue" | "message" |
"tickets" | "agents", ...}`. The socket checks the Origin and the session cookie; actions
that need a role check it on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from handoff.console import ConsoleError
from kernel.clock import unstamp, utcnow
from storage.agents import Agent, AgentError, LoginDelays, normalize_login
from storage.db import storage_failure
from storage.logins import load_secret

from . import desk
from .keys import CONSOLE_HUB, INSTANCE, METRICS, RUNTIME
from .security import client_ip, csrf_ok, csrf_token, origin_allowed, set_cookie

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "sb_agent"
KNOWN_COOKIE = "sb_known"
KNOWN_DAYS = 90
HEARTBEAT = 15
MAX_ID = 2**63 - 1
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
STORAGE_UNAVAILABLE = ("The database cannot be written right now: the reply was not sent. It is kept on this page; "
                       "it will be sent again.")


class ConsoleSocket:
    def __init__(self, ws: web.WebSocketResponse, agent: Agent) -> None:
        self.ws = ws
        self.agent = agent
        self.open_conversation: int | None = None
        self.last_id = 0

    async def send(self, data: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(json.dumps(data, ensure_ascii=False, default=str))


class ConsoleHub:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.sockets: set[ConsoleSocket] = set()

    async def _send(self, sock: ConsoleSocket, frame: dict[str, Any]) -> None:
        """Send unless the socket was cut off meanwhile (a deactivation while this event was being
        read from the database): a deactivated agent's console receives nothing more."""
        if sock in self.sockets:
            await sock.send(frame)

    async def on_event(self, topic: str, event: dict[str, Any]) -> None:
        if not self.sockets:
            return
        runtime = self.app[RUNTIME]
        if topic == "resync":
            for sock in list(self.sockets):
                if sock.open_conversation is not None:
                    await self.on_event(f"conv:{sock.open_conversation}", {})
            topic = "queue"
        if topic == "queue":
            items = await desk.queue_items(runtime, utcnow())
            for sock in list(self.sockets):
                await self._send(sock, {"type": "queue", "items": items})
            # assignment by the queue: the one waiting longest goes to an agent here who asked for it
            # ("auto"), within their limit (a take publishes "queue" again: the next one follows)
            given = await desk.auto_assign(runtime, items, [s.agent for s in self.sockets], utcnow())
            handoff = await runtime.console.handoffs.get(given) if given is not None else None
            if handoff and handoff["assigned_at"]:
                self.app[METRICS].observe_wait(
                    (unstamp(handoff["assigned_at"]) - unstamp(handoff["enqueued_at"])).total_seconds())
        elif topic.startswith("conv:"):
            conversation_id = int(topic[5:])
            for sock in [s for s in self.sockets if s.open_conversation == conversation_id]:
                rows = await runtime.console.transcript(conversation_id, sock.last_id)
                if rows and sock in self.sockets:
                    sock.last_id = rows[-1]["id"]
                    await sock.send({"type": "messages", "conversation_id": conversation_id, "messages": rows})
        elif topic == "typing" and event.get("who") == "user":
            for sock in [s for s in self.sockets if s.open_conversation == event.get("conversation_id")]:
                await self._send(sock, {"type": "typing", "conversation_id": sock.open_conversation, "who": "user",
                                        "on": bool(event.get("on"))})
        elif topic == "tickets":
            for sock in list(self.sockets):
                await self._send(sock, {"type": "tickets_changed"})
        elif topic == "agents" and event.get("type") == "deactivated":
            for sock in [s for s in self.sockets if s.agent.id == event.get("agent_id")]:
                self.sockets.discard(sock)
                with contextlib.suppress(Exception):
                    await sock.ws.close(code=4001, message=b"account disabled")


# -- pages ---------------------------------------------------------------------------------------

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support console — sign in</title><link rel="stylesheet" href="/static/console.css"></head>
<body class="login"><form method="post" action="/console/login" class="login-box">
<h1>Support console</h1>{error}
<input type="hidden" name="csrf" value="{csrf}">
<label>Login <input name="login" autocomplete="username" required maxlength="64"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
<button type="submit">Sign in</button></form></body></html>"""


async def login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    response = web.Response(content_type="text/html", status=status)
    token = csrf_token(request, response)
    block = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response.text = LOGIN_PAGE.format(error=block, csrf=html.escape(token))
    return response


async def login_submit(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    form = await request.post()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        return await login_page(request, "The page has expired, please try again.", 403)
    login, password = normalize_login(str(form.get("login", ""))), str(form.get("password", ""))[:256]
    now, ip = utcnow(), client_ip(request)
    key = await load_secret(runtime.db, "known-device")
    known = hmac.compare_digest(request.cookies.get(KNOWN_COOKIE, ""), _known_token(key, login))
    limits = runtime.config.limits
    delays = LoginDelays(limits.login_free_failures, limits.login_address_max_delay_seconds,
                         limits.login_account_max_delay_seconds)
    wait = await runtime.agents.login_delay(login, ip, now, delays, known_device=known)
    if wait > 0:
        seconds = math.ceil(wait)
        response = await login_page(request, f"Too many failed attempts. Try again in {seconds} s.", 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    agent = await runtime.agents.authenticate(login, password, ip, now)
    if agent is None:
        return await login_page(request, "Wrong login or password.", 401)
    token, _ = await runtime.agents.open_session(agent, now)
    response = web.HTTPFound("/console")
    set_cookie(response, request, SESSION_COOKIE, token, max_age=12 * 3600)
    set_cookie(response, request, KNOWN_COOKIE, _known_token(key, agent.login), max_age=KNOWN_DAYS * 86400)
    raise response


def _known_token(key: bytes, login: str) -> str:
    """The mark of a browser this login signed in from (skips the account's wait after failures)."""
    return hmac.new(key, f"known:{login}".encode(), hashlib.sha256).hexdigest()[:40]


async def current(request: web.Request) -> Any:
    runtime = request.app[RUNTIME]
    return await runtime.agents.session(request.cookies.get(SESSION_COOKIE), utcnow())


async def console_page(request: web.Request) -> web.StreamResponse:
    if await current(request) is None:
        raise web.HTTPFound("/console/login")
    return web.FileResponse(STATIC / "console.html", headers={"Cache-Control": "no-cache"})


async def me(request: web.Request) -> web.Response:
    session = await current(request)
    if session is None:
        return web.json_response({"error": "not signed in"}, status=401)
    a = session.agent
    return web.json_response({"id": a.id, "login": a.login, "name": a.name, "role": a.role, "csrf": session.csrf})


async def logout(request: web.Request) -> web.Response:
    session = await current(request)
    if session is None:
        raise web.HTTPFound("/console/login")
    form = await request.post()
    if not (csrf_ok_session(session.csrf, str(form.get("csrf", ""))) or
            csrf_ok_session(session.csrf, request.headers.get("X-CSRF-Token", ""))):
        raise web.HTTPForbidden(text="bad CSRF token")
    await request.app[RUNTIME].agents.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPFound("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def csrf_ok_session(expected: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(expected, submitted)


# -- the socket ----------------------------------------------------------------------------------


async def console_socket(request: web.Request) -> web.WebSocketResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="origin not allowed")
    session = await current(request)
    if session is None:
        raise web.HTTPUnauthorized(text="not signed in")
    runtime = request.app[RUNTIME]
    hub = request.app[CONSOLE_HUB]
    instance = request.app[INSTANCE]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)
    sock = ConsoleSocket(ws, session.agent)
    hub.sockets.add(sock)
    await runtime.agents.heartbeat(session.agent.id, instance, utcnow())
    runtime.events.publish("queue", {"type": "agents"})  # waiting users' estimates change

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await runtime.agents.heartbeat(session.agent.id, instance, utcnow())

    beating = asyncio.create_task(beat())
    try:
        await sock.send({"type": "queue", "items": await desk.queue_items(runtime, utcnow())})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.ERROR:
                    break
                continue
            try:
                frame = json.loads(msg.data)
                if not isinstance(frame, dict):
                    raise ValueError
            except (ValueError, RecursionError):
                await sock.send({"type": "result", "id": None, "ok": False, "error": "bad frame"})
                continue
            try:
                result = await handle_op(request, sock, frame)
            except Exception as exc:  # the database failed it: said, and the socket stays
                if not storage_failure(exc):
                    log.exception("console: op %r failed", frame.get("op"))
                rid = frame.get("id") if isinstance(frame.get("id"), int | str) else None
                result = {"type": "result", "id": rid, "op": frame.get("op"), "ok": False,
                          "error": "storage_unavailable" if storage_failure(exc) else "failed",
                          "text": STORAGE_UNAVAILABLE if storage_failure(exc) else "The server failed this action."}
            await sock.send(result)
    finally:
        beating.cancel()
        hub.sockets.discard(sock)
        if not any(s.agent.id == session.agent.id for s in hub.sockets):
            await runtime.agents.offline(session.agent.id, instance)
            runtime.events.publish("queue", {"type": "agents"})
    return ws


async def handle_op(request: web.Request, sock: ConsoleSocket, frame: dict[str, Any]) -> dict[str, Any]:
    runtime = request.app[RUNTIME]
    agent = sock.agent
    fresh = await runtime.agents.get(agent.id)  # roles and deactivation take effect at once
    if fresh is None or not fresh.active:
        await sock.ws.close(code=4001, message=b"account disabled")
        return {"type": "result", "id": frame.get("id"), "ok": False, "error": "account disabled"}
    sock.agent = agent = fresh
    op, rid, now = frame.get("op"), frame.get("id"), utcnow()
    console = runtime.console

    def ok(**data: Any) -> dict[str, Any]:
        return {**data, "type": "result", "id": rid, "op": op, "ok": True}

    try:
        if op == "queue":
            return ok(items=await desk.queue_items(runtime, now))
        if op == "open":
            conversation_id = _int(frame, "conversation_id")
            data = await console.open(agent, conversation_id, now)
            sock.open_conversation = conversation_id
            sock.last_id = data["messages"][-1]["id"] if data["messages"] else 0
            return ok(**data)
        if op == "take":
            await desk.check_can_take(runtime, agent)
            conversation_id = await console.take(agent, _int(frame, "handoff_id"), now)
            handoff = await console.handoffs.get(_int(frame, "handoff_id"))
            if handoff and handoff["assigned_at"]:
                request.app[METRICS].observe_wait(
                    (unstamp(handoff["assigned_at"]) - unstamp(handoff["enqueued_at"])).total_seconds())
            return ok(conversation_id=conversation_id)
        if op == "reply":  # with a client id ("client_id", or "id" as text): stored once, acknowledged again
            cid = frame.get("client_id", rid if isinstance(rid, str) else None)
            if cid is not None and not (isinstance(cid, str) and CLIENT_ID.fullmatch(cid)):
                raise ValueError("'client_id' must be 8-64 letters, digits, '-' or '_'")
            sent = await console.reply(agent, _int(frame, "conversation_id"), _str(frame, "text"), now, client_id=cid)
            return ok(message_id=sent["id"], client_id=cid, at=sent["at"], duplicate=sent["duplicate"])
        if op == "typing":
            conversation_id = _int(frame, "conversation_id")
            if sock.open_conversation == conversation_id:
                runtime.events.publish("typing", {"conversation_id": conversation_id, "who": "agent",
                                                  "on": frame.get("on") is not False})
            return ok()
        if op == "transfer":
            await console.transfer(agent, _int(frame, "conversation_id"), _int(frame, "agent_id"), now)
            return ok()
        if op == "return":
            await console.return_to_bot(agent, _int(frame, "conversation_id"), now)
            return ok()
        if op == "close":
            await console.close(agent, _int(frame, "conversation_id"), _str(frame, "resolution"), now)
            return ok()
        if op == "tickets":
            return ok(tickets=[t.to_json(now) for t in await runtime.tickets.list()])
        if op == "answer_ticket":
            return ok(ticket=await console.answer_ticket(agent, _int(frame, "ticket_id"), _str(frame, "text"), now))
        if op == "ratings":
            return ok(**await console.ratings())
        if op == "canned":
            kb = runtime.knowledge.kb
            return ok(replies=[{"key": k, "title": kb.message(k + "_title", "ru") if (k + "_title") in kb.messages else k,
                                "ru": kb.message(k, "ru"), "en": kb.message(k, "en")}
                               for k in sorted(kb.messages) if k.startswith("canned_") and not k.endswith("_title")])
        if op == "agents":
            online = set(await runtime.agents.online(now))
            statuses = await desk.agent_statuses(runtime)
            return ok(agents=[{"id": a.id, "login": a.login, "name": a.name, "role": a.role, "active": a.active,
                               "online": a.id in online,
                               "status": statuses.get(a.id, {}).get("status", "online") if a.id in online else "offline",
                               "max_open": statuses.get(a.id, {}).get("max_open", 3)} for a in await runtime.agents.all()])
        if op in ("create_agent", "set_role", "set_active", "reset_password"):
            if not agent.can("admin"):
                return {"type": "result", "id": rid, "op": op, "ok": False, "error": "only an admin can do this"}
            agents = runtime.agents
            if op == "create_agent":
                created = await agents.create(_str(frame, "login"), _str(frame, "name"), _str(frame, "role"),
                                              _str(frame, "password"), now)
                return ok(agent={"id": created.id, "login": created.login})
            target = _int(frame, "agent_id")
            if op == "set_role":
                await agents.set_role(target, _str(frame, "role"))
            elif op == "set_active":
                if target == agent.id:
                    raise AgentError("you cannot deactivate yourself")
                await agents.set_active(target, bool(frame.get("active")))
                if not frame.get("active"):
                    hub = request.app[CONSOLE_HUB]  # cut off here at once (no push in flight reaches them)
                    for cut in [s for s in hub.sockets if s.agent.id == target]:
                        hub.sockets.discard(cut)
                        with contextlib.suppress(Exception):
                            await cut.ws.close(code=4001, message=b"account disabled")
                    runtime.events.publish("agents", {"type": "deactivated", "agent_id": target})  # and elsewhere
                    await console.release_agent(target, now)  # their conversations go back to the queue
            else:
                await agents.set_password(target, _str(frame, "password"))
            return ok()
        data = await desk.handle(request, agent, str(op), frame, now)
        if data is not None:
            return ok(**data)
        return {"type": "result", "id": rid, "op": op, "ok": False, "error": "unknown op"}
    except (ConsoleError, AgentError, ValueError) as exc:
        return {"type": "result", "id": rid, "op": op, "ok": False, "error": str(exc)}


def _int(frame: dict[str, Any], key: str) -> int:
    value = frame.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"'{key}' must be a number")
    if not 0 <= value <= MAX_ID:  # the database keeps 64-bit ids
        raise ValueError(f"'{key}' is out of range (0 to {MAX_ID})")
    return value


def _str(frame: dict[str, Any], key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text")
    return value


async def hub_ctx(app: web.Application) -> Any:
    hub = app[CONSOLE_HUB]
    unsubscribe = app[RUNTIME].events.subscribe("*", hub.on_event)
    yield
    unsubscribe()
    for sock in list(hub.sockets):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sock.ws.close(code=1001, message=b"server shutdown"), timeout=2)


async def close_sockets(app: web.Application) -> None:
    """At shutdown, close consoles at once (1001) so the process exits promptly."""
    hub = app[CONSOLE_HUB]
    sockets = list(hub.sockets)
    hub.sockets.clear()
    await asyncio.gather(*(asyncio.wait_for(s.ws.close(code=1001, message=b"server shutdown"), timeout=1)
                           for s in sockets), return_exceptions=True)


def setup_console(app: web.Application) -> None:
    app[CONSOLE_HUB] = ConsoleHub(app)
    app.cleanup_ctx.append(hub_ctx)
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/console/login", login_page)
    app.router.add_post("/console/login", login_submit)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console", console_page)
    app.router.add_get("/api/console/me", me)
    app.router.add_get("/ws/console", console_socket)
