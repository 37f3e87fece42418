"""Analytics for editors and admins: conversations and messages per day and channel, top
entries, fallback and handoff rates, queue wait times, ratings; a date range; CSV download.

Days are Moscow calendar days. The figures are computed from the turn log, the handoffs and
the ratings the product already keeps.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from kernel.clock import MOSCOW, stamp, unstamp, utcnow
from storage.agents import Session
from storage.diagnoses import DiagnosisStore
from storage.handoffs import HandoffStore
from storage.turns import TurnLog

from .desk import assist_usage
from .editor import STATIC, editor_only
from .keys import RUNTIME

MAX_DAYS = 366
RECENT_VOICES = 20  # the latest praise and complaints shown


def _range(request: web.Request) -> tuple[date, date]:
    today = utcnow().astimezone(MOSCOW).date()
    try:
        end = date.fromisoformat(request.query["to"]) if request.query.get("to") else today
        start = date.fromisoformat(request.query["from"]) if request.query.get("from") else end - timedelta(days=29)
    except ValueError as exc:
        raise web.HTTPBadRequest(text="dates are YYYY-MM-DD") from exc
    if start > end:
        raise web.HTTPBadRequest(text="'from' is after 'to'")
    if (end - start).days >= MAX_DAYS:
        raise web.HTTPBadRequest(text=f"at most {MAX_DAYS} days")
    return start, end


def _bounds(start: date, end: date) -> tuple[str, str]:
    lo = datetime.combine(start, time.min, MOSCOW)
    hi = datetime.combine(end + timedelta(days=1), time.min, MOSCOW)
    return stamp(lo), stamp(hi)


def _day(text: str) -> str:
    return unstamp(text).astimezone(MOSCOW).date().isoformat()


async def compute(runtime: Any, start: date, end: date) -> dict[str, Any]:
    lo, hi = _bounds(start, end)
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    turns = await TurnLog(runtime.db).between(lo, hi)
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    conversations: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    fallbacks: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    entries: Counter[str] = Counter()
    channels: set[str] = set()
    for t in turns:
        day = _day(t["created_at"])
        channels.add(t["channel"])
        messages[day][t["channel"]] += 1
        conversations[day][t["channel"]].add(t["conversation_id"])
        per_day[day] += 1
        if t["outcome"] in ("fallback", "oos"):
            fallbacks[day] += 1
        elif t["intent"] and t["outcome"] in ("answer", "smalltalk", "action", "handoff"):
            entries[t["intent"]] += 1
    handoffs = await HandoffStore(runtime.db).between(lo, hi)
    handoffs_per_day: Counter[str] = Counter()
    waits: dict[str, list[float]] = defaultdict(list)
    for h in handoffs:
        day = _day(h["enqueued_at"])
        handoffs_per_day[day] += 1
        if h["assigned_at"]:
            waits[day].append((unstamp(h["assigned_at"]) - unstamp(h["enqueued_at"])).total_seconds())
    ratings = await runtime.console.ratings()
    voices = await TurnLog(runtime.db).said(("praise", "complaint"), lo, hi, 200)
    diagnoses = await DiagnosisStore(runtime.db).stats(unstamp(lo), unstamp(hi))
    total_conversations = sum(len(ids) for by in conversations.values() for ids in by.values())
    per_day_conversations = {d: sum(len(ids) for ids in conversations[d].values()) if d in conversations else 0
                             for d in days}  # read before the per-channel lists below fill in empty days
    kb = runtime.knowledge.kb
    assist = await assist_usage(runtime, lo, hi)
    return {
        "from": start.isoformat(), "to": end.isoformat(), "days": days, "channels": sorted(channels),
        "messages": {ch: [messages[d][ch] for d in days] for ch in sorted(channels)},
        "conversations": {ch: [len(conversations[d][ch]) for d in days] for ch in sorted(channels)},
        "fallback_rate": [round(fallbacks[d] / per_day[d], 3) if per_day[d] else None for d in days],
        # a day without conversations has no rate (a gap in the chart, not a zero)
        "handoff_rate": [round(handoffs_per_day[d] / per_day_conversations[d], 3) if per_day_conversations[d] else None
                         for d in days],
        "wait_seconds": {"average": [round(sum(waits[d]) / len(waits[d]), 1) if waits[d] else None for d in days],
                         "max": [round(max(waits[d]), 1) if waits[d] else None for d in days]},
        "top_entries": [{"entry": e, "title": kb.by_id[e].title.get("en") if e in kb.by_id else e, "count": n}
                        for e, n in entries.most_common(15)],
        # knowledge-base answers agents took from the console's suggestions
        "assist": {"used": sum(a["used"] for a in assist), "entries": assist},
        "totals": {"messages": len(turns), "conversations": total_conversations,
                   "fallbacks": sum(fallbacks.values()), "handoffs": len(handoffs),
                   "fallback_rate": round(sum(fallbacks.values()) / len(turns), 3) if turns else None,
                   "handoff_rate": round(len(handoffs) / total_conversations, 3) if total_conversations else None},
        "ratings": ratings,
        # praise for the team and complaints about the service, as subscribers wrote them
        "praise": {"count": sum(1 for t in turns if t["intent"] == "praise"),
                   "recent": [_voice(v) for v in voices if v["intent"] == "praise"][:RECENT_VOICES]},
        "complaints": {"count": sum(1 for t in turns if t["intent"] == "complaint"),
                       "recent": [_voice(v) for v in voices if v["intent"] == "complaint"][:RECENT_VOICES]},
        "diagnoses": diagnoses.to_json(),  # self-service diagnoses: by cause, solved without an operator
    }


def _voice(row: dict[str, Any]) -> dict[str, Any]:
    return {"text": row["text"], "channel": row["channel"], "lang": row["lang"],
            "at": unstamp(row["created_at"]).astimezone(MOSCOW).isoformat(timespec="minutes")}


async def page(request: web.Request, session: Session) -> web.StreamResponse:
    return web.FileResponse(STATIC / "analytics.html", headers={"Cache-Control": "no-cache"})


async def data(request: web.Request, session: Session) -> web.Response:
    start, end = _range(request)
    return web.json_response(await compute(request.app[RUNTIME], start, end))


async def download(request: web.Request, session: Session) -> web.Response:
    start, end = _range(request)
    result = await compute(request.app[RUNTIME], start, end)
    table = request.query.get("table", "daily")
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "daily":
        channels = result["channels"]
        writer.writerow(["day", *(f"messages_{c}" for c in channels), *(f"conversations_{c}" for c in channels),
                         "fallback_rate", "handoff_rate", "wait_avg_seconds", "wait_max_seconds"])
        for i, day in enumerate(result["days"]):
            writer.writerow([day, *(result["messages"][c][i] for c in channels),
                             *(result["conversations"][c][i] for c in channels),
                             _blank(result["fallback_rate"][i]), _blank(result["handoff_rate"][i]),
                             _blank(result["wait_seconds"]["average"][i]), _blank(result["wait_seconds"]["max"][i])])
    elif table == "entries":
        writer.writerow(["entry", "count"])
        for item in result["top_entries"]:
            writer.writerow([item["entry"], item["count"]])
    elif table == "diagnoses":
        d = result["diagnoses"]
        writer.writerow(["cause", "count"])
        for cause, count in d["by_cause"].items():
            writer.writerow([cause, count])
        writer.writerow(["total", d["total"]])
        writer.writerow(["solved_without_operator", d["solved_without_operator"]])
        writer.writerow(["fixed_in_one_tap", d["fixed_in_one_tap"]])
        writer.writerow(["handed_off", d["handed_off"]])
    elif table == "agents":
        writer.writerow(["agent", "login", "closed", "rated", "average"])
        for a in result["ratings"]["agents"]:
            writer.writerow([a["name"], a["login"], a["closed"], a["rated"], _blank(a["average"])])
    else:
        raise web.HTTPBadRequest(text="table is daily, entries, agents or diagnoses")
    name = f"supportbot-{table}-{start.isoformat()}-{end.isoformat()}.csv"
    return web.Response(body=out.getvalue().encode("utf-8-sig"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _blank(value: Any) -> Any:
    return "" if value is None else value


def setup_analytics(app: web.Application) -> None:
    app.router.add_get("/analytics", editor_only(page))
    app.router.add_get("/api/analytics", editor_only(data))
    app.router.add_get("/api/analytics.csv", editor_only(download))
