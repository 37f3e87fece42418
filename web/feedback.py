"""The feedback form page and its API (the same validation as the feedback dialogue)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from aiohttp import web

from account.feedback import send_confirmation
from handoff.tickets import TOPICS, TicketDraft, validate
from kernel.clock import utcnow

from .keys import RUNTIME
from .security import RateLimiter, client_ip, csrf_ok, csrf_token

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
    if not request.app[LIMITER].allow(client_ip(request), time.monotonic()):
        return web.json_response({"ok": False, "errors": {"form": kb.message("form_error_rate", lang)}}, status=429)
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
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


def setup_feedback(app: web.Application) -> None:
    app[LIMITER] = RateLimiter(rate=1 / 12, burst=5)  # per address: 5 at once, then 5 a minute
    app.router.add_get("/feedback", page)
    app.router.add_get("/api/feedback/options", options)
    app.router.add_post("/api/feedback", submit)
