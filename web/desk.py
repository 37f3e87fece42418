"""The agent console's desk: the ops beside take/reply/close (`web/console.py` hands them here):
notes, labels, the subscriber's earlier conversations on any channel, search, canned replies per
language (admins manage them), the agent's status and limit of open conversations with the
queue's next conversation, and the agent assist (knowledge-base answers that fit the subscriber's
last messages, in their language; the ones used are counted for analytics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from handoff.console import ConsoleError
from intents.dialogue import SKIP_GROUPS
from storage.agentdesk import STATUSES, AgentDesk
from storage.agents import Agent

from .keys import RUNTIME

MAX_NOTE = 4000
MAX_LABEL = 40
ASSIST_MESSAGES = 3  # the subscriber's last messages read for suggestions
ASSIST_SUGGESTIONS = 3
ASSIST_MIN = 0.05  # a suggestion this unlikely is noise
MAX_DRAFT = 500


class DeskError(ValueError):
    """A desk op refused (said to the agent as the op's error)."""


def desk(runtime: Any) -> AgentDesk:
    return AgentDesk(runtime.db)


def _text(frame: dict[str, Any], key: str, limit: int) -> str:
    value = frame.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DeskError(f"'{key}' must be some text")
    value = value.strip()
    if len(value) > limit:
        raise DeskError(f"'{key}' is over {limit} characters")
    return value


def _id(frame: dict[str, Any], key: str) -> int:
    value = frame.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise DeskError(f"'{key}' must be a number")
    return value


async def _conversation(runtime: Any, frame: dict[str, Any]) -> Any:
    conv = await runtime.conversations.get(_id(frame, "conversation_id"))
    if conv is None:
        raise DeskError("no such conversation")
    return conv


async def subscriber_of(runtime: Any, subscriber_id: int | None) -> dict[str, str] | None:
    if subscriber_id is None:
        return None
    sub = await runtime.billing.subscriber(subscriber_id)
    return {"name": sub.name, "phone": sub.phone} if sub is not None else None


async def queue_items(runtime: Any, now: datetime) -> list[dict[str, Any]]:
    """The console's queue with who is waiting: the subscriber's name and number once they logged
    in (on any channel), the labels of each conversation."""
    items = await runtime.console.queue_items(now)
    d = desk(runtime)
    labels = await d.labels_of([i["conversation_id"] for i in items])
    known: dict[int, dict[str, str] | None] = {}
    for item in items:
        subscriber_id = item.pop("subscriber_id", None)
        if subscriber_id is not None and subscriber_id not in known:
            known[subscriber_id] = await subscriber_of(runtime, subscriber_id)
        item["subscriber"] = known.get(subscriber_id) if subscriber_id is not None else None
        item["labels"] = labels.get(item["conversation_id"], [])
    return items


async def canned(runtime: Any, now: datetime) -> list[dict[str, Any]]:
    d = desk(runtime)
    kb = runtime.knowledge.kb
    keys = [k for k in sorted(kb.messages) if k.startswith("canned_") and not k.endswith("_title")]
    await d.seed_canned([(lang, kb.message(k + "_title", lang) if (k + "_title") in kb.messages else k, kb.message(k, lang))
                         for k in keys for lang in ("ru", "en")], now)
    return await d.canned()


def _kb_text(entry: Any, lang: str) -> str:
    answer = entry.answer.get(lang) if hasattr(entry.answer, "get") else str(entry.answer)
    return str(answer or "")


async def suggestions(runtime: Any, conversation_id: int, draft: str = "") -> list[dict[str, Any]]:
    """Knowledge-base answers for the subscriber's last messages (and what the agent is typing),
    in the conversation's language."""
    conv = await runtime.conversations.get(conversation_id)
    if conv is None:
        return []
    rows = await runtime.conversations.messages(conversation_id, 0, limit=100_000)
    said = [r["text"] for r in rows if r["direction"] == "in" and r["text"] and not r.get("payload")]
    read = list(zip((1.0, 0.7, 0.5), reversed(said[-ASSIST_MESSAGES:]), strict=False))
    if len(draft.split()) >= 2:  # the agent's own words say what they are about to answer
        read.insert(0, (1.5, draft[:MAX_DRAFT]))  # first: it is what the agent is doing now
    if not read:
        return []
    holder = runtime.knowledge
    kb = holder.kb
    scores: dict[str, float] = {}
    for weight, text in read:
        reading = holder.read(text, conv.lang)
        for entry_id, score in reading.ranked()[:5]:
            scores[entry_id] = max(scores.get(entry_id, 0.0), float(score or 0.0) * weight)
    found = []
    for entry_id, score in sorted(scores.items(), key=lambda item: -item[1]):
        entry = kb.by_id.get(entry_id)
        if (entry is None or entry.group in SKIP_GROUPS or entry.handoff or entry.action or score < ASSIST_MIN):
            continue  # only answers an agent would send (not "calling an operator", small talk or the bot's actions)
        text = _kb_text(entry, conv.lang)
        if not text:
            continue
        found.append({"entry_id": entry_id, "title": entry.title.get(conv.lang), "text": text, "score": round(score, 3)})
        if len(found) >= ASSIST_SUGGESTIONS:
            break
    return found


async def handle(request: web.Request, agent: Agent, op: str, frame: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The op's result data, or None when the op is not a desk op."""
    runtime = request.app[RUNTIME]
    d = desk(runtime)
    if op == "details":
        conversation_id = _id(frame, "conversation_id")
        conv = await runtime.conversations.get(conversation_id)
        if conv is None:
            raise DeskError("no such conversation")
        earlier = await d.earlier(conv.subscriber_id, conversation_id) if conv.subscriber_id is not None else []
        return {"notes": await d.notes(conversation_id), "labels": await d.labels(conversation_id),
                "all_labels": await d.all_labels(), "earlier": earlier,
                "subscriber": await subscriber_of(runtime, conv.subscriber_id), "lang": conv.lang,
                "channel": conv.channel, "name": conv.display_name}
    if op == "earlier_transcript":  # an earlier conversation of the same subscriber, read-only
        conversation_id, of = _id(frame, "conversation_id"), _id(frame, "of")
        conv, other = await runtime.conversations.get(conversation_id), await runtime.conversations.get(of)
        if conv is None or other is None or conv.subscriber_id is None or conv.subscriber_id != other.subscriber_id:
            raise DeskError("not the same subscriber's conversation")
        return {"conversation_id": conversation_id, "channel": conv.channel,
                "messages": await runtime.console.transcript(conversation_id)}
    if op == "note":
        conversation_id = (await _conversation(runtime, frame)).id
        note_id = await d.add_note(conversation_id, agent.id, _text(frame, "text", MAX_NOTE), now)
        return {"note_id": note_id, "notes": await d.notes(conversation_id)}
    if op == "label":
        conversation_id = (await _conversation(runtime, frame)).id
        label = _text(frame, "label", MAX_LABEL).lower()
        if frame.get("on") is False:
            await d.remove_label(conversation_id, label)
        else:
            await d.add_label(conversation_id, label, agent.id, now)
        runtime.events.publish("queue", {"type": "labels"})
        return {"labels": await d.labels(conversation_id)}
    if op == "search":
        query = _text(frame, "q", 200)
        if len(query) < 2:
            raise DeskError("type at least 2 characters")
        found = await d.search(query)
        for ticket in found["tickets"]:
            ticket["number"] = f"FB-{ticket['id']:06d}"
        return found
    if op == "canned_list":
        return {"replies": await canned(runtime, now)}
    if op in ("canned_save", "canned_delete"):
        if not agent.can("admin"):
            raise DeskError("only an admin can do this")
        if op == "canned_delete":
            await d.delete_canned(_id(frame, "canned_id"))
        else:
            lang = frame.get("lang")
            if lang not in ("ru", "en"):
                raise DeskError("'lang' must be ru or en")
            canned_id = frame.get("canned_id")
            await d.save_canned(lang, _text(frame, "title", 80), _text(frame, "text", 4000), now,
                                _id(frame, "canned_id") if canned_id is not None else None)
        return {"replies": await d.canned()}
    if op == "status":
        target = frame.get("agent_id", agent.id)
        if target != agent.id and not agent.can("admin"):
            raise DeskError("only an admin can change another agent")
        status, max_open = frame.get("status"), frame.get("max_open")
        if status is not None and status not in STATUSES:
            raise DeskError("'status' must be online, auto (conversations are given to you) or away")
        if max_open is not None:
            if not agent.can("admin"):
                raise DeskError("only an admin sets the limit of open conversations")
            if not isinstance(max_open, int) or isinstance(max_open, bool) or not 1 <= max_open <= 50:
                raise DeskError("'max_open' must be 1 to 50")
        target = _id({"agent_id": target}, "agent_id")
        if await runtime.agents.get(target) is None:
            raise DeskError("no such agent")
        await d.set_status(target, now, status, max_open)
        runtime.events.publish("queue", {"type": "agents"})
        return {"status": await d.status(target), "open": await d.open_count(target)}
    if op == "next":  # assignment by the queue: the one waiting longest, within the agent's limit
        await check_can_take(runtime, agent)
        handoff_id = await d.oldest_waiting()
        if handoff_id is None:
            raise DeskError("nobody is waiting")
        conversation_id = await runtime.console.take(agent, handoff_id, now)
        return {"conversation_id": conversation_id, "handoff_id": handoff_id}
    if op == "suggest":
        draft = frame.get("draft", "")
        if not isinstance(draft, str):
            raise DeskError("'draft' must be text")
        return {"suggestions": await suggestions(runtime, _id(frame, "conversation_id"), draft)}
    if op == "assist_used":
        conversation_id = (await _conversation(runtime, frame)).id
        entry_id = _text(frame, "entry_id", 100)
        if entry_id not in runtime.knowledge.kb.by_id:
            raise DeskError("no such knowledge entry")
        await d.record_assist(conversation_id, agent.id, entry_id, now)
        return {}
    return None


async def check_can_take(runtime: Any, agent: Agent) -> None:
    """An away agent takes nothing; nobody takes more than their limit of open conversations."""
    d = desk(runtime)
    status = await d.status(agent.id)
    if status["status"] == "away":
        raise DeskError("you are away: switch to online to take conversations")
    if await d.open_count(agent.id) >= status["max_open"]:
        raise DeskError(f"you already have {status['max_open']} open conversations (your limit)")


async def auto_assign(runtime: Any, items: list[dict[str, Any]], connected: list[Agent], now: datetime) -> int | None:
    """Give the longest-waiting conversation to the connected agent in "auto" status with the
    fewest open conversations under their limit; the handoff given, or None."""
    waiting = [i for i in items if i["status"] == "waiting"]
    if not waiting or not connected:
        return None
    d = desk(runtime)
    statuses = await d.statuses()
    candidates = []
    for agent in {a.id: a for a in connected if a.active}.values():
        status = statuses.get(agent.id)
        if status is None or status["status"] != "auto":
            continue
        open_now = await d.open_count(agent.id)
        if open_now < status["max_open"]:
            candidates.append((open_now, agent.id, agent))
    if not candidates:
        return None
    agent = min(candidates, key=lambda c: (c[0], c[1]))[2]
    handoff_id = waiting[0]["handoff_id"]
    try:
        await runtime.console.take(agent, handoff_id, now)
    except ConsoleError:  # taken meanwhile (by hand or by another instance)
        return None
    return handoff_id


async def agent_statuses(runtime: Any) -> dict[int, dict[str, Any]]:
    return await desk(runtime).statuses()


async def assist_usage(runtime: Any, lo: str, hi: str) -> list[dict[str, Any]]:
    """The suggestions agents used between two stamps, per knowledge entry (with its title)."""
    rows = await desk(runtime).assist_counts(lo, hi)
    kb = runtime.knowledge.kb
    return [{"entry_id": r["entry_id"], "title": kb.by_id[r["entry_id"]].title.get("en") if r["entry_id"] in kb.by_id
             else r["entry_id"], "used": r["used"]} for r in rows]
