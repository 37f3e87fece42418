"""Self-service diagnoses: what the bot checked for a subscriber's problem and what it found.

One row per diagnosis, kept with its conversation, so an agent who takes a handed-off
conversation sees the checks already done, and analytics can count problems by cause and
how many were solved without an operator.

`checks` is a JSON list of {"check": name, "ok": bool, "detail": text} in the order they ran.
A diagnosis counts as solved without an operator when no handoff of its conversation was
queued from its start until a day later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kernel.clock import stamp, unstamp

from .db import Database

SOLVED_WINDOW = timedelta(days=1)


@dataclass
class Diagnosis:
    id: int
    conversation_id: int
    subscriber_id: int | None
    problem: str
    cause: str
    checks: list[dict[str, Any]]
    lang: str
    handed_off: bool
    created_at: datetime
    fixed_by: str | None = None
    fixed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "problem": self.problem, "cause": self.cause, "checks": self.checks,
                "handed_off": self.handed_off, "fixed_by": self.fixed_by,
                "fixed_at": self.fixed_at.isoformat() if self.fixed_at else None,
                "created_at": self.created_at.isoformat()}


@dataclass
class DiagnosisStats:
    total: int = 0
    by_cause: dict[str, int] = field(default_factory=dict)
    by_problem: dict[str, int] = field(default_factory=dict)
    solved_without_operator: int = 0
    fixed_in_one_tap: int = 0
    handed_off: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_cause": self.by_cause, "by_problem": self.by_problem,
                "solved_without_operator": self.solved_without_operator, "fixed_in_one_tap": self.fixed_in_one_tap,
                "handed_off": self.handed_off,
                "solved_share": round(self.solved_without_operator / self.total, 3) if self.total else None}


def _diagnosis(row: dict[str, Any]) -> Diagnosis:
    return Diagnosis(int(row["id"]), int(row["conversation_id"]),
                     None if row["subscriber_id"] is None else int(row["subscriber_id"]), row["problem"], row["cause"],
                     json.loads(row["checks"]), row["lang"], bool(row["handed_off"]), unstamp(row["created_at"]),
                     row["fixed_by"], unstamp(row["fixed_at"]) if row["fixed_at"] else None)


class DiagnosisStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, conversation_id: int, subscriber_id: int | None, problem: str, cause: str,
                  checks: list[dict[str, Any]], lang: str, handed_off: bool, now: datetime) -> int:
        return int(await self.db.fetchval(
            "INSERT INTO diagnoses (conversation_id, subscriber_id, problem, cause, checks, lang, handed_off, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (conversation_id, subscriber_id, problem, cause, json.dumps(checks, ensure_ascii=False), lang,
             int(handed_off), stamp(now))))

    async def mark_fixed(self, diagnosis_id: int, action: str, now: datetime) -> bool:
        """The subscriber took the offered fix (a package bought, a service switched on); once."""
        return await self.db.execute(
            "UPDATE diagnoses SET fixed_by = ?, fixed_at = ? WHERE id = ? AND fixed_by IS NULL",
            (action, stamp(now), diagnosis_id)) > 0

    async def get(self, diagnosis_id: int) -> Diagnosis | None:
        row = await self.db.fetchone("SELECT * FROM diagnoses WHERE id = ?", (diagnosis_id,))
        return _diagnosis(row) if row else None

    async def latest(self, conversation_id: int) -> Diagnosis | None:
        """The conversation's most recent diagnosis (what the agent is shown)."""
        row = await self.db.fetchone(
            "SELECT * FROM diagnoses WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,))
        return _diagnosis(row) if row else None

    async def stats(self, start: datetime, end: datetime) -> DiagnosisStats:
        """Diagnoses started in [start, end): by cause and problem, and how many ended without an operator."""
        rows = await self.db.fetchall(
            "SELECT d.problem, d.cause, d.handed_off, d.fixed_by, d.created_at, "
            "(SELECT MIN(h.enqueued_at) FROM handoffs h WHERE h.conversation_id = d.conversation_id "
            "AND h.enqueued_at >= d.created_at) AS next_handoff FROM diagnoses d "
            "WHERE d.created_at >= ? AND d.created_at < ? ORDER BY d.id", (stamp(start), stamp(end)))
        out = DiagnosisStats()
        for r in rows:
            out.total += 1
            out.by_cause[r["cause"]] = out.by_cause.get(r["cause"], 0) + 1
            out.by_problem[r["problem"]] = out.by_problem.get(r["problem"], 0) + 1
            operator = bool(r["handed_off"]) or (
                r["next_handoff"] is not None
                and unstamp(r["next_handoff"]) - unstamp(r["created_at"]) <= SOLVED_WINDOW)
            if operator:
                out.handed_off += 1
            else:
                out.solved_without_operator += 1
            if r["fixed_by"]:
                out.fixed_in_one_tap += 1
        out.by_cause = dict(sorted(out.by_cause.items(), key=lambda kv: (-kv[1], kv[0])))
        out.by_problem = dict(sorted(out.by_problem.items(), key=lambda kv: (-kv[1], kv[0])))
        return out
