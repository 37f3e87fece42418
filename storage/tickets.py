"""Feedback-form tickets as stored: numbering, the list for the console, answers.

Their validation (the same for the web form and the feedback dialogue) is in `handoff/tickets.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kernel.clock import stamp, unstamp

from .db import Database

OVERDUE = timedelta(days=1)


@dataclass
class TicketDraft:
    phone: str = ""
    name: str = ""
    region: str = ""
    topic: str = ""
    description: str = ""
    email: str = ""
    lang: str = "ru"
    channel: str = "web"
    conversation_id: int | None = None


@dataclass
class Ticket:
    id: int
    number: str
    phone: str
    name: str
    region: str
    topic: str
    description: str
    email: str
    lang: str
    channel: str
    conversation_id: int | None
    status: str
    created_at: datetime
    answered_at: datetime | None = None
    answer: str | None = None
    agent_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and now - self.created_at > OVERDUE

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "phone": self.phone, "name": self.name, "region": self.region,
                "topic": self.topic, "description": self.description, "email": self.email, "lang": self.lang,
                "channel": self.channel, "status": self.status, "created_at": self.created_at.isoformat(),
                "answered_at": self.answered_at.isoformat() if self.answered_at else None, "answer": self.answer,
                "overdue": self.overdue(now)}


def ticket_number(ticket_id: int) -> str:
    return f"FB-{ticket_id:06d}"


def _ticket(row: dict[str, Any]) -> Ticket:
    return Ticket(row["id"], ticket_number(row["id"]), row["phone"], row["name"], row["region"], row["topic"],
                  row["description"], row["email"], row["lang"], row["channel"], row["conversation_id"], row["status"],
                  unstamp(row["created_at"]), unstamp(row["answered_at"]) if row["answered_at"] else None, row["answer"],
                  row["agent_id"])


class TicketStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, draft: TicketDraft, now: datetime) -> Ticket:
        ticket_id = await self.db.fetchval(
            "INSERT INTO tickets (phone, name, region, topic, description, email, lang, channel, conversation_id, status, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id",
            (draft.phone, draft.name, draft.region, draft.topic, draft.description, draft.email, draft.lang, draft.channel,
             draft.conversation_id, stamp(now)))
        ticket = await self.get(ticket_id)
        assert ticket is not None
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        row = await self.db.fetchone("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(row) if row else None

    async def list(self, status: str | None = None, limit: int = 200) -> list[Ticket]:
        if status:
            rows = await self.db.fetchall("SELECT * FROM tickets WHERE status = ? ORDER BY id DESC LIMIT ?", (status, limit))
        else:
            rows = await self.db.fetchall("SELECT * FROM tickets ORDER BY status = 'open' DESC, id DESC LIMIT ?", (limit,))
        return [_ticket(r) for r in rows]

    async def answer(self, ticket_id: int, agent_id: int, text: str, now: datetime) -> Ticket | None:
        """Answer an open ticket once; None when it does not exist or is already answered."""
        changed = await self.db.execute(
            "UPDATE tickets SET status = 'answered', answer = ?, agent_id = ?, answered_at = ? WHERE id = ? AND status = 'open'",
            (text, agent_id, stamp(now), ticket_id))
        return await self.get(ticket_id) if changed else None
