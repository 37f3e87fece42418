"""Questions the bot did not understand (or answered with low confidence), grouped by
similarity for editors: each group shows how often it was asked, what the bot said, whether
people then went to an operator, and the entry the bot found closest."""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from kernel.clock import unstamp
from storage.handoffs import HandoffStore
from storage.turns import TurnLog

LOW_CONFIDENCE_MARGIN = 0.08  # answered, but within this of the threshold: worth a look
SIMILAR = 78  # rapidfuzz token_set_ratio of the lemma strings to join a group
OPERATOR_WINDOW_MINUTES = 30


async def unanswered_groups(runtime: Any, limit: int = 2000) -> list[dict[str, Any]]:
    matcher = runtime.knowledge.matcher
    low = matcher.threshold + LOW_CONFIDENCE_MARGIN
    rows = await TurnLog(runtime.db).unanswered(low, max(1, min(limit, 20000)))
    rows = [r for r in rows if _question(r["text"])]
    went = await _went_to_operator(runtime, rows)
    groups: list[dict[str, Any]] = []
    for row in rows:
        lemmas = " ".join(sorted({t.lemma for t in runtime.normalizer.tokens(row["text"]) if not t.stop}))
        for group in groups:
            if fuzz.token_set_ratio(lemmas, group["_key"]) >= SIMILAR:
                break
        else:
            group = {"_key": lemmas, "texts": [], "turn_ids": [], "count": 0, "operator": 0, "langs": set(),
                     "channels": set(), "last_at": row["created_at"], "reply": row["reply"] or "",
                     "outcome": row["outcome"]}
            groups.append(group)
        group["count"] += 1
        group["turn_ids"].append(row["id"])
        group["operator"] += row["id"] in went
        group["langs"].add(row["lang"])
        group["channels"].add(row["channel"])
        if row["text"] not in group["texts"] and len(group["texts"]) < 8:
            group["texts"].append(row["text"])
    out = []
    for group in sorted(groups, key=lambda g: (-g["count"], g["last_at"]), reverse=False):
        match = matcher.match(group["texts"][0])
        best = match.best
        if match.confident and best is not None and not runtime.knowledge.kb.by_id[best.entry_id].out_of_scope:
            continue  # the base answers it now (an editor added an example meanwhile)
        out.append({
            "key": group["_key"], "count": group["count"], "texts": group["texts"], "turn_ids": group["turn_ids"],
            "went_to_operator": group["operator"], "langs": sorted(group["langs"]), "channels": sorted(group["channels"]),
            "last_at": group["last_at"], "bot_said": group["reply"][:300], "outcome": group["outcome"],
            "suggestion": {"entry": best.entry_id, "score": best.score} if best else None,
        })
    return out


def _question(text: str) -> bool:
    """Skip button presses, masked codes and commands."""
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith(("[", "•", "/")) and any(c.isalpha() for c in stripped)


async def _went_to_operator(runtime: Any, rows: list[dict[str, Any]]) -> set[int]:
    """Turn ids after which the conversation joined the operator queue (within half an hour)."""
    if not rows:
        return set()
    ids = sorted({r["conversation_id"] for r in rows})
    handoffs: dict[int, list[Any]] = {}
    for h in await HandoffStore(runtime.db).enqueued_times(ids):
        handoffs.setdefault(h["conversation_id"], []).append(unstamp(h["enqueued_at"]))
    went = set()
    for row in rows:
        asked = unstamp(row["created_at"])
        for when in handoffs.get(row["conversation_id"], ()):
            if 0 <= (when - asked).total_seconds() <= OPERATOR_WINDOW_MINUTES * 60:
                went.add(row["id"])
                break
    return went


async def resolve_turns(runtime: Any, turn_ids: list[int], entry_id: str, when: str) -> None:
    await TurnLog(runtime.db).resolve(turn_ids, entry_id, when)
