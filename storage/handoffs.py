"""The live-operator queue as stored: one `handoffs` row per time a conversation asked for
people (waiting → assigned → closed, returned or cancelled), with the agent, the times and
the user's rating."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kernel.clock import stamp

from .db import Database, Executor


class HandoffStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- one conversation's handoff ----------------------------------------------------------------

    async def open_id(self, tx: Executor, conversation_id: int) -> int | None:
        """The conversation's waiting or assigned handoff."""
        return await tx.fetchval(
            "SELECT id FROM handoffs WHERE conversation_id = ? AND status IN ('waiting', 'assigned')", (conversation_id,))

    async def enqueue(self, tx: Executor, conversation_id: int, reason: str, now: datetime) -> int:
        return await tx.fetchval("INSERT INTO handoffs (conversation_id, status, reason, enqueued_at) "
                                 "VALUES (?, 'waiting', ?, ?) RETURNING id", (conversation_id, reason, stamp(now)))

    async def current(self, conversation_id: int) -> dict[str, Any] | None:
        """The conversation's open handoff: id, enqueued_at, status."""
        return await self.db.fetchone(
            "SELECT id, enqueued_at, status FROM handoffs WHERE conversation_id = ? AND status IN ('waiting', 'assigned') "
            "ORDER BY id DESC", (conversation_id,))

    async def latest(self, conversation_id: int) -> dict[str, Any] | None:
        """The conversation's newest handoff, open or not (every column)."""
        return await self.db.fetchone(
            "SELECT * FROM handoffs WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,))

    async def get(self, handoff_id: int) -> dict[str, Any] | None:
        return await self.db.fetchone("SELECT * FROM handoffs WHERE id = ?", (handoff_id,))

    async def position(self, handoff_id: int, enqueued_at: str) -> int:
        """Place in the waiting line (1: next)."""
        return await self.db.fetchval(
            "SELECT count(*) FROM handoffs WHERE status = 'waiting' AND (enqueued_at < ? OR (enqueued_at = ? AND id <= ?))",
            (enqueued_at, enqueued_at, handoff_id))

    # -- changes -------------------------------------------------------------------------------------

    async def cancel_waiting(self, tx: Executor, conversation_id: int, now: datetime) -> int:
        return await tx.execute(
            "UPDATE handoffs SET status = 'cancelled', closed_at = ? WHERE conversation_id = ? AND status = 'waiting'",
            (stamp(now), conversation_id))

    async def rate(self, handoff_id: int, score: int) -> bool:
        """Store a rating of a closed handoff, once."""
        return await self.db.execute(
            "UPDATE handoffs SET rating = ? WHERE id = ? AND status = 'closed' AND rating IS NULL", (score, handoff_id)) > 0

    async def conversation_of(self, tx: Executor, handoff_id: int) -> int | None:
        return await tx.fetchval("SELECT conversation_id FROM handoffs WHERE id = ?", (handoff_id,))

    async def assign(self, tx: Executor, handoff_id: int, agent_id: int, now: datetime) -> bool:
        """Give a waiting handoff to an agent; False when it is no longer waiting."""
        return await tx.execute(
            "UPDATE handoffs SET status = 'assigned', agent_id = ?, assigned_at = ? WHERE id = ? AND status = 'waiting'",
            (agent_id, stamp(now), handoff_id)) > 0

    async def transfer(self, handoff_id: int, agent_id: int) -> None:
        await self.db.execute("UPDATE handoffs SET agent_id = ? WHERE id = ? AND status = 'assigned'", (agent_id, handoff_id))

    async def finish(self, tx: Executor, handoff_id: int, status: str, now: datetime, resolution: str | None = None) -> None:
        """Close (`closed`, with a resolution) or hand back to the bot (`returned`)."""
        await tx.execute("UPDATE handoffs SET status = ?, closed_at = ?, resolution = COALESCE(?, resolution) WHERE id = ?",
                         (status, stamp(now), resolution, handoff_id))

    async def assigned_to(self, agent_id: int) -> list[dict[str, Any]]:
        return await self.db.fetchall("SELECT id, conversation_id FROM handoffs WHERE agent_id = ? AND status = 'assigned'",
                                      (agent_id,))

    async def requeue(self, tx: Executor, handoff_id: int) -> None:
        """Back to the front of the queue (its agent left)."""
        await tx.execute("UPDATE handoffs SET status = 'waiting', agent_id = NULL, assigned_at = NULL WHERE id = ?",
                         (handoff_id,))

    # -- reading many --------------------------------------------------------------------------------

    async def waiting_count(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM handoffs WHERE status = 'waiting'")

    async def recent_durations(self, sample: int) -> list[dict[str, Any]]:
        """assigned_at and closed_at of the newest handled handoffs."""
        return await self.db.fetchall(
            "SELECT assigned_at, closed_at FROM handoffs WHERE closed_at IS NOT NULL AND assigned_at IS NOT NULL "
            "ORDER BY id DESC LIMIT ?", (sample,))

    async def queue(self) -> list[dict[str, Any]]:
        """The open handoffs in queue order, with their conversation, its last message from the
        user and the agent's name."""
        return await self.db.fetchall(
            "SELECT h.id AS handoff_id, h.status, h.reason, h.enqueued_at, h.assigned_at, h.agent_id, "
            "c.id AS conversation_id, c.channel, c.lang, c.display_name, c.subscriber_id, a.name AS agent_name, "
            "(SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in' ORDER BY m.id DESC "
            "LIMIT 1) AS preview FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
            "LEFT JOIN agents a ON a.id = h.agent_id WHERE h.status IN ('waiting', 'assigned') ORDER BY h.enqueued_at, h.id")

    async def ratings(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Per agent: closed, rated and the average rating; and the overall count and average."""
        rows = await self.db.fetchall(
            "SELECT a.id, a.name, a.login, COUNT(h.rating) AS rated, AVG(h.rating) AS average, COUNT(h.id) AS closed "
            "FROM agents a LEFT JOIN handoffs h ON h.agent_id = a.id AND h.status = 'closed' GROUP BY a.id, a.name, a.login "
            "ORDER BY a.name")
        overall = await self.db.fetchone("SELECT COUNT(rating) AS rated, AVG(rating) AS average FROM handoffs")
        return rows, overall

    async def enqueued_times(self, conversation_ids: Sequence[int]) -> list[dict[str, Any]]:
        """conversation_id and enqueued_at of every handoff of these conversations."""
        out: list[dict[str, Any]] = []
        ids = list(conversation_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out += await self.db.fetchall(
                f"SELECT conversation_id, enqueued_at FROM handoffs WHERE conversation_id IN ({marks})", chunk)  # noqa: S608
        return out

    async def between(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Handoffs enqueued in [lo, hi) with their conversation's channel (analytics)."""
        return await self.db.fetchall(
            "SELECT h.agent_id, h.enqueued_at, h.assigned_at, h.rating, c.channel FROM handoffs h "
            "JOIN conversations c ON c.id = h.conversation_id WHERE h.enqueued_at >= ? AND h.enqueued_at < ?", (lo, hi))
