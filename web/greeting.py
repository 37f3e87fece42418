"""What the web chat shows before the subscriber says anything: the bot's welcome and the topic
buttons (the same menu the bot gives for /start: the first entry of each subject group, then the
operator), in the page's language. The page shows it on open and after "start over"; it is not
stored (nobody said anything yet), and a pressed topic is an ordinary button press."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from intents.dialogue import SKIP_GROUPS

from .keys import RUNTIME


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


def setup_greeting(app: web.Application) -> None:
    app.router.add_get("/api/chat/greeting", greeting_json)
