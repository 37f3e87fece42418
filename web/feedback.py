"""The feedback form page and its API (the same validation as the feedback dialogue)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from account.feedback import send_confirmation
from handoff.tickets import TOPICS, TicketDraft, validate
from kernel import jsonsafe
from kernel.clock import utcnow

from .keys import CONFIG, RUNTIME
from .security import RateLimiter, SharedRateLimiter, client_ip, csrf_ok, csrf_token

STATIC = Path(__file__).resolve().parent / "static"
FIELDS = ("phone", "name", "region", "topic", "description", "email")
LIMITER = web.AppKey("feedback_limiter", RateLimiter)


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "ru"


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "feedback.html", headers={"Cache-Control": "no-cache"})


async def options(request: web.Request) -> web.Response:
    kb = request.app[RUNTIME].knowledge.kb
    lang = _lang(request)
    labels = {key: kb.message(f"form_{key}", lang) for key in
              ("title", "intro", "phone", "name", "region", "topic", "description", "email", "submit", "choose",
               "not_handled")}
    response = web.json_response({
        "lang": lang,
        "labels": labels,
        "regions": sorted(({"id": r.id, "name": r.name.get(lang)} for r in kb.regions), key=lambda r: r["name"]),
        "topics": [{"id": t, "title": kb.message(f"topic_{t}", lang)} for t in TOPICS],
    })
    response.headers["Cache-Control"] = "no-store"
    body = json.loads(response.text or "{}")
    body["csrf"] = csrf_token(request, response)
    response.text = json.dumps(body, ensure_ascii=False)
    return response


async def submit(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    kb = runtime.knowledge.kb
    lang = _lang(request)
    if not csrf_ok(request, request.headers.get("X-CSRF-Token")):
        return web.json_response({"ok": False, "errors": {"form": kb.message("form_error_csrf", lang)}}, status=403)
    limiter = request.app[LIMITER]
    if not await limiter.allow_async(client_ip(request), time.monotonic()):
        return web.json_response({"ok": False, "errors": {"form": kb.message("form_error_rate", lang)}}, status=429,
                                 headers={"Retry-After": str(limiter.retry_after())})
    try:
        data = jsonsafe.loads(await request.read())
    except jsonsafe.JsonRefused:
        return web.json_response({"ok": False, "errors": {"form": "expected JSON"}}, status=400)
    if not isinstance(data, dict) or not all(isinstance(data.get(f, ""), str) for f in FIELDS):
        return web.json_response({"ok": False, "errors": {"form": "expected text fields"}}, status=400)
    draft = TicketDraft(**{f: data.get(f, "") for f in FIELDS}, lang=lang, channel="web-form")
    errors = validate(draft, kb, lang)
    if errors:
        return web.json_response({"ok": False, "errors": errors}, status=400)
    now = utcnow()
    ticket = await runtime.tickets.create(draft, now)  # stored before we answer
    runtime.events.publish("tickets", {"type": "created", "id": ticket.id})
    await send_confirmation(runtime.email, kb, ticket.number, draft, now)
    return web.json_response({"ok": True, "number": ticket.number,
                              "message": kb.message("form_done", lang, number=ticket.number, phone=draft.phone)})


async def shared_limiter(app: web.Application) -> Any:
    shared = app[RUNTIME].shared
    if shared is not None:  # several instances: one count per address for all of them
        limiter = app[LIMITER]
        app[LIMITER] = SharedRateLimiter(shared.client, shared.key("feedback"), limiter.rate, limiter.burst)
    yield


def setup_feedback(app: web.Application) -> None:
    per_minute = app[CONFIG].limits.feedback_per_minute  # per address: this many at once, then this many a minute
    app[LIMITER] = RateLimiter(rate=per_minute / 60, burst=per_minute)
    app.cleanup_ctx.append(shared_limiter)
    app.router.add_get("/feedback", page)
    app.router.add_get("/api/feedback/options", options)
    app.router.add_post("/api/feedback", submit)
