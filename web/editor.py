"""The knowledge editor and the unanswered questions, for the `editor` and `admin` roles.

Every change goes through the same path: validate (pydantic model), check for clashes with
other entries (the save asks for confirmation when there are some), save as a revision,
rebuild the index, announce the new revision so every instance reloads.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from intents.computed import compute
from intents.kbcheck import draft_conflicts
from kernel.clock import stamp, utcnow
from knowledge.dumper import dump_entry
from knowledge.loader import KnowledgeError
from knowledge.model import Entry
from storage.agents import Session

from .console import current
from .keys import RUNTIME
from .security import bounded_int, json_body
from .unanswered import resolve_turns, unanswered_groups

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_EXAMPLES = 300

Handler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]


def editor_only(handler: Handler, mutating: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Signed in, with the editor or admin role (checked here, not only hidden in the page);
    changes also need the session's CSRF token."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await current(request)
        if session is None:
            if request.path.startswith("/api/"):
                return web.json_response({"error": "not signed in"}, status=401)
            raise web.HTTPFound("/console/login")
        if not session.agent.can("editor"):
            if request.path.startswith("/api/"):
                return web.json_response({"error": "the editor role is needed"}, status=403)
            return web.Response(status=403, content_type="text/html",
                                text="<!doctype html><title>Forbidden</title><p>The editor role is needed.</p>")
        if mutating:
            import hmac

            given = request.headers.get("X-CSRF-Token", "")
            if not given or not hmac.compare_digest(given, session.csrf):
                return web.json_response({"error": "bad CSRF token"}, status=403)
        return await handler(request, session)

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()]


def _entry_from(data: Any) -> tuple[Entry | None, list[str]]:
    if not isinstance(data, dict):
        return None, ["entry: expected an object"]
    try:
        entry = Entry.model_validate(data)
    except ValidationError as exc:
        return None, _errors(exc)
    count = len(entry.examples.ru) + len(entry.examples.en)
    if count > MAX_EXAMPLES:
        return None, [f"examples: at most {MAX_EXAMPLES} per entry"]
    duplicates = {x for x in entry.examples.ru + entry.examples.en
                  if (entry.examples.ru + entry.examples.en).count(x) > 1}
    if duplicates:
        return None, [f"examples: repeated {sorted(duplicates)[0]!r}"]
    return entry, []


# -- pages ---------------------------------------------------------------------------------------


async def editor_page(request: web.Request, session: Session) -> web.StreamResponse:
    return web.FileResponse(STATIC / "editor.html", headers={"Cache-Control": "no-cache"})


# -- reading -------------------------------------------------------------------------------------


async def list_entries(request: web.Request, session: Session) -> web.Response:
    runtime = request.app[RUNTIME]
    q = request.query.get("q", "").strip().lower()[:200]
    group = request.query.get("group", "")
    lang = request.query.get("lang", "")
    show_retired = request.query.get("retired") == "1"
    entries = [(e, False) for e in await runtime.kb_store.entries()]
    if show_retired:
        entries += [(e, True) for e in await runtime.kb_store.retired()]
    out = []
    for position, (entry, retired) in enumerate(entries):
        if group and entry.group != group:
            continue
        langs = [lang] if lang in ("ru", "en") else ["ru", "en"]
        rank = _rank(q, entry, langs) if q else 0.0
        if rank is None:
            continue
        out.append({"id": entry.id, "group": entry.group, "title": {"ru": entry.title.ru, "en": entry.title.en},
                    "examples": {"ru": len(entry.examples.ru), "en": len(entry.examples.en)},
                    "action": entry.action, "handoff": entry.handoff, "retired": retired, "_order": (-rank, position)})
    out.sort(key=lambda item: item.pop("_order"))  # the best match first; the file's order otherwise
    groups = sorted({e.group for e, _ in entries})
    return web.json_response({"entries": out, "groups": groups, "revision": await runtime.kb_store.revision()})


def _rank(q: str, entry: Entry, langs: list[str]) -> float | None:
    """How well an entry matches a search (None: not at all). Its id and title count most, then
    its best example, then its answer; a whole word beats a part of one, and the shorter the text
    the words are found in, the more it is about them ("611": support-611 before lk-security)."""
    words = re.compile(r"(?<!\w)" + re.escape(q) + r"(?!\w)")

    def hit(text: str, weight: float) -> float:
        low = text.lower()
        if q not in low:
            return 0.0
        return weight * (1.0 + (1.0 if words.search(low) else 0.0) + 2.0 * len(q) / max(len(low), 1))

    score = hit(entry.id, 8.0) + max((hit(entry.title.get(la), 6.0) for la in langs), default=0.0)
    score += max((hit(x, 3.0) for la in langs for x in getattr(entry.examples, la)), default=0.0)
    score += max((hit(entry.answer.get(la), 1.0) for la in langs), default=0.0)
    return score or None


async def get_entry(request: web.Request, session: Session) -> web.Response:
    found = await request.app[RUNTIME].kb_store.entry(request.match_info["id"])
    if found is None:
        return web.json_response({"error": "no such entry"}, status=404)
    entry, retired = found
    return web.json_response({"entry": entry.model_dump(exclude_defaults=False), "retired": retired})


async def preview(request: web.Request, session: Session) -> web.Response:
    """The entry's answer as a subscriber would see it (text with the computed line, buttons)."""
    data = await _body(request)
    entry, errors = _entry_from(data.get("entry"))
    if entry is None:
        return web.json_response({"errors": errors}, status=400)
    runtime = request.app[RUNTIME]
    kb = runtime.knowledge.kb
    lang = "en" if data.get("lang") == "en" else "ru"
    text = entry.answer.get(lang)
    if entry.compute:
        line = compute(entry.compute, kb, utcnow(), lang, data.get("region") or None)
        if line:
            text = f"{line}\n\n{text}"
    buttons = [b.title.get(lang) for b in entry.buttons]
    buttons += [kb.by_id[f].title.get(lang) for f in entry.followups if f in kb.by_id][: max(0, 4 - len(buttons))]
    return web.json_response({"text": text, "buttons": buttons, "length": len(text)})


async def test_phrase(request: web.Request, session: Session) -> web.Response:
    """What the bot would answer to a phrase right now (and why)."""
    data = await _body(request)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        return web.json_response({"errors": ["text: 1-1000 characters"]}, status=400)
    runtime = request.app[RUNTIME]
    kb, matcher = runtime.knowledge.kb, runtime.knowledge.matcher
    match = matcher.match(text)
    best = match.best
    entry = kb.by_id.get(best.entry_id) if best and match.confident else None
    lang = match.analysis.lang
    return web.json_response({
        "entry": entry.id if entry and not entry.out_of_scope else None,
        "title": entry.title.get(lang) if entry else None,
        "answer": entry.answer.get(lang) if entry and not entry.action else None,
        "action": entry.action if entry else None,
        "confident": match.confident,
        "threshold": match.threshold,
        "candidates": [{"entry": c.entry_id, "score": c.score, "example": c.example, "parts": c.parts}
                       for c in match.candidates],
        "explain": matcher.explain(text),
    })


async def check(request: web.Request, session: Session) -> web.Response:
    data = await _body(request)
    entry, errors = _entry_from(data.get("entry"))
    if entry is None:
        return web.json_response({"errors": errors, "conflicts": []}, status=400)
    return web.json_response({"errors": [], "conflicts": [c.to_json() for c in await _conflicts(request, entry)]})


async def _conflicts(request: web.Request, entry: Entry) -> list[Any]:
    import asyncio

    runtime = request.app[RUNTIME]
    holder = runtime.knowledge
    return await asyncio.to_thread(draft_conflicts, holder.kb, holder.matcher, entry, runtime.normalizer)


# -- changing ------------------------------------------------------------------------------------


async def save(request: web.Request, session: Session) -> web.Response:
    data = await _body(request)
    entry, errors = _entry_from(data.get("entry"))
    if entry is None:
        return web.json_response({"errors": errors}, status=400)
    runtime = request.app[RUNTIME]
    is_new = bool(data.get("new"))
    existing = await runtime.kb_store.entry(entry.id)
    if is_new and existing is not None:
        return web.json_response({"errors": [f"id: an entry {entry.id!r} already exists"]}, status=400)
    if not is_new and existing is None:
        return web.json_response({"errors": [f"id: no entry {entry.id!r}"]}, status=404)
    if existing is not None and existing[0] == entry and not existing[1]:
        return web.json_response({"errors": ["nothing changed"]}, status=400)
    conflicts = await _conflicts(request, entry)
    if conflicts and not data.get("confirm"):
        return web.json_response({"needs_confirmation": True, "conflicts": [c.to_json() for c in conflicts]}, status=409)
    message = str(data.get("message") or ("new entry" if is_new else "edit"))[:500]
    try:
        revision = await runtime.kb_store.save([entry], [], session.agent.login, message, utcnow())
    except KnowledgeError as exc:
        return web.json_response({"errors": [str(exc)]}, status=400)
    await publish_revision(request.app, revision)
    return web.json_response({"ok": True, "revision": revision, "conflicts": [c.to_json() for c in conflicts]})


async def retire(request: web.Request, session: Session) -> web.Response:
    data = await _body(request)
    entry_id = data.get("id")
    if not isinstance(entry_id, str):
        return web.json_response({"errors": ["id: expected text"]}, status=400)
    runtime = request.app[RUNTIME]
    try:
        revision = await runtime.kb_store.save([], [entry_id], session.agent.login, f"retire {entry_id}", utcnow())
    except KnowledgeError as exc:
        return web.json_response({"errors": [str(exc)]}, status=400)
    await publish_revision(request.app, revision)
    return web.json_response({"ok": True, "revision": revision})


async def revisions(request: web.Request, session: Session) -> web.Response:
    items = await request.app[RUNTIME].kb_store.revisions()
    return web.json_response({"revisions": [r.summary() for r in items]})


async def revision_diff(request: web.Request, session: Session) -> web.Response:
    revision_id = bounded_int(request.match_info["id"], "id", 0)
    revision = await request.app[RUNTIME].kb_store.get_revision(revision_id)
    if revision is None:
        return web.json_response({"error": "no such revision"}, status=404)
    diffs = []
    for change in revision.changes:
        before = dump_entry(Entry.model_validate(change["before"])).splitlines() if change["before"] else []
        after = dump_entry(Entry.model_validate(change["after"])).splitlines() if change["after"] else []
        diffs.append({"id": change["id"], "diff": "\n".join(difflib.unified_diff(
            before, after, f"{change['id']} (before)", f"{change['id']} (after)", lineterm=""))})
    return web.json_response({**revision.summary(), "diffs": diffs})


async def rollback(request: web.Request, session: Session) -> web.Response:
    revision_id = bounded_int(request.match_info["id"], "id", 0)
    runtime = request.app[RUNTIME]
    try:
        revision = await runtime.kb_store.rollback(revision_id, session.agent.login, utcnow())
    except KnowledgeError as exc:
        return web.json_response({"errors": [str(exc)]}, status=400)
    await publish_revision(request.app, revision)
    return web.json_response({"ok": True, "revision": revision})


async def unanswered(request: web.Request, session: Session) -> web.Response:
    runtime = request.app[RUNTIME]
    groups = await unanswered_groups(runtime, limit=bounded_int(request.query.get("limit"), "limit", 2000, 1, 20000))
    return web.json_response({"groups": groups})


async def resolve(request: web.Request, session: Session) -> web.Response:
    """Add a question as an example of an entry (or of a new entry) and close its group."""
    data = await _body(request)
    runtime = request.app[RUNTIME]
    turn_ids = data.get("turn_ids")
    text = data.get("text")
    if not isinstance(turn_ids, list) or not all(isinstance(t, int) for t in turn_ids) or not turn_ids:
        return web.json_response({"errors": ["turn_ids: expected a list of numbers"]}, status=400)
    if not isinstance(text, str) or not text.strip() or len(text) > 300:
        return web.json_response({"errors": ["text: 1-300 characters"]}, status=400)
    lang = "en" if data.get("lang") == "en" else "ru"
    if isinstance(data.get("new_entry"), dict):
        entry, errors = _entry_from(data["new_entry"])
        if entry is None:
            return web.json_response({"errors": errors}, status=400)
        if await runtime.kb_store.entry(entry.id) is not None:
            return web.json_response({"errors": [f"id: an entry {entry.id!r} already exists"]}, status=400)
    else:
        found = await runtime.kb_store.entry(str(data.get("entry_id", "")))
        if found is None or found[1]:
            return web.json_response({"errors": ["entry_id: no such active entry"]}, status=404)
        entry = found[0].model_copy(deep=True)
        examples = getattr(entry.examples, lang)
        if text.strip() not in examples:
            examples.append(text.strip())
    try:
        revision = await runtime.kb_store.save([entry], [], session.agent.login, f"unanswered question → {entry.id}",
                                               utcnow())
    except KnowledgeError as exc:
        return web.json_response({"errors": [str(exc)]}, status=400)
    await resolve_turns(runtime, turn_ids, entry.id, stamp(utcnow()))
    await publish_revision(request.app, revision)
    return web.json_response({"ok": True, "revision": revision, "entry": entry.id})


async def publish_revision(app: web.Application, revision: int) -> None:
    """Rebuild this instance's index now, and tell the others."""
    runtime = app[RUNTIME]
    await runtime.reload_knowledge()
    runtime.events.publish("kb", {"revision": revision})


async def kb_ctx(app: web.Application) -> Any:
    runtime = app[RUNTIME]

    async def on_kb(topic: str, event: dict[str, Any]) -> None:
        revision = int(event.get("revision", 0)) if topic == "kb" else await runtime.kb_store.revision()
        if revision != runtime.knowledge.kb.revision:
            await runtime.reload_knowledge()

    unsubscribe = runtime.events.subscribe("kb", on_kb)
    unsubscribe_resync = runtime.events.subscribe("resync", on_kb)
    yield
    unsubscribe()
    unsubscribe_resync()


def setup_editor(app: web.Application) -> None:
    app.cleanup_ctx.append(kb_ctx)
    r = app.router
    r.add_get("/editor", editor_only(editor_page))
    r.add_get("/api/kb/entries", editor_only(list_entries))
    r.add_get("/api/kb/entries/{id}", editor_only(get_entry))
    r.add_post("/api/kb/preview", editor_only(preview, mutating=True))
    r.add_post("/api/kb/test", editor_only(test_phrase, mutating=True))
    r.add_post("/api/kb/check", editor_only(check, mutating=True))
    r.add_post("/api/kb/save", editor_only(save, mutating=True))
    r.add_post("/api/kb/retire", editor_only(retire, mutating=True))
    r.add_get("/api/kb/revisions", editor_only(revisions))
    r.add_get("/api/kb/revisions/{id}", editor_only(revision_diff))
    r.add_post("/api/kb/revisions/{id}/rollback", editor_only(rollback, mutating=True))
    r.add_get("/api/kb/unanswered", editor_only(unanswered))
    r.add_post("/api/kb/unanswered/resolve", editor_only(resolve, mutating=True))
