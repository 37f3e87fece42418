"""The web chat's page extras. The greeting: what the chat shows before the subscriber says
anything, the bot's welcome and the topic buttons (the same menu the bot gives for /start: the
first entry of each subject group, then the operator), in the page's language. The page shows it
on open and after "start over"; it is not stored (nobody said anything yet), and a pressed topic
is an ordinary button press. The rating's comment: after the subscriber rated the operator's
help, an optional comment to it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from intents.dialogue import SKIP_GROUPS
from kernel.clock import utcnow
from storage.agentdesk import AgentDesk

from .chat import _key, visitor_of
from .keys import RUNTIME
from .security import origin_allowed

MAX_COMMENT = 1000


def greeting(runtime: Any, lang: str) -> dict[str, Any]:
    kb = runtime.knowledge.kb
    size = getattr(runtime.core, "menu_size", 5)
    seen: set[str] = set()
    buttons: list[dict[str, str]] = []
    for entry in kb.entries:
        if entry.group in SKIP_GROUPS or entry.group in seen:
            continue
        seen.add(entry.group)
        buttons.append({"title": entry.title.get(lang), "payload": f"kb:{entry.id}"})
        if len(buttons) >= size:
            break
    buttons.append({"title": kb.message("operator_button", lang), "payload": "operator"})
    return {"lang": lang, "text": kb.message("welcome", lang), "buttons": buttons}


async def greeting_json(request: web.Request) -> web.Response:
    lang = request.query.get("lang", "ru")
    if lang not in ("ru", "en"):
        return web.json_response({"error": "lang must be ru or en"}, status=400)
    return web.json_response(greeting(request.app[RUNTIME], lang), headers={"Cache-Control": "no-cache"})


async def rating_comment(request: web.Request) -> web.Response:
    """{"token": visitor token, "comment": text}: the comment to the visitor's latest rating."""
    if not origin_allowed(request):
        return web.json_response({"error": "origin not allowed"}, status=403)
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.json_response({"error": "expected JSON"}, status=400)
    if not isinstance(data, dict):
        return web.json_response({"error": "expected a JSON object"}, status=400)
    visitor = visitor_of(await _key(request.app), data.get("token") if isinstance(data.get("token"), str) else None)
    if visitor is None:
        return web.json_response({"error": "no valid chat session"}, status=401)
    comment = data.get("comment")
    if not isinstance(comment, str) or not comment.strip() or len(comment) > MAX_COMMENT:
        return web.json_response({"error": f"'comment' must be 1 to {MAX_COMMENT} characters"}, status=400)
    runtime = request.app[RUNTIME]
    conv = await runtime.conversations.get_or_create("web", visitor, utcnow(), visitor)
    if not await AgentDesk(runtime.db).rating_comment(conv.id, comment.strip()):
        return web.json_response({"error": "nothing rated yet, or already commented"}, status=409)
    return web.json_response({"ok": True})


def setup_greeting(app: web.Application) -> None:
    app.router.add_get("/api/chat/greeting", greeting_json)
    app.router.add_post("/api/chat/rating-comment", rating_comment)
