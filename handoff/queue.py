"""The live-operator queue: joining, position and estimated wait, leaving, relaying.

A conversation joins the queue in one transaction (a `handoffs` row and the conversation's
status), so a crash never leaves it half-queued. The estimated wait comes from how long
recent conversations took to handle, divided among the agents online.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from intents.commands import is_cancel
from intents.ports import Step, Turn
from intents.replies import Button, Reply
from kernel.clock import stamp, unstamp
from storage.conversations import ConversationStore
from storage.db import Database

DEFAULT_HANDLING_SECONDS = 240.0

Presence = Callable[[], Awaitable[int]]


async def nobody_online() -> int:
    return 0


@dataclass
class QueueStatus:
    handoff_id: int
    position: int
    wait_seconds: float | None  # None: nobody online to estimate from
    agents_online: int


class HandoffQueue:
    """Implements the core's `HandoffPort`."""

    def __init__(self, db: Database, conversations: ConversationStore, presence: Presence = nobody_online,
                 max_wait_minutes: float = 15.0) -> None:
        self.db = db
        self.conversations = conversations
        self.presence = presence
        self.max_wait_minutes = max_wait_minutes
        self.listeners: list[Callable[[str, dict], Awaitable[None]]] = []

    async def _notify(self, event: str, data: dict) -> None:
        for listener in self.listeners:
            await listener(event, data)

    # -- the core's port -----------------------------------------------------------------------

    async def request(self, turn: Turn, reason: str) -> Step:
        conv = turn.conv
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT id FROM handoffs WHERE conversation_id = ? AND status IN ('waiting', 'assigned')", (conv.id,)
            )
            if row is None:
                handoff_id = await tx.fetchval(
                    "INSERT INTO handoffs (conversation_id, status, reason, enqueued_at) VALUES (?, 'waiting', ?, ?) "
                    "RETURNING id", (conv.id, reason, stamp(turn.now)))
                await self.conversations.set_status(conv.id, "queued", turn.now, tx=tx)
                conv.status = "queued"
            else:
                handoff_id = row["id"]
        await self._notify("queued", {"conversation_id": conv.id, "handoff_id": handoff_id})
        status = await self.status(conv.id)
        assert status is not None
        return Step([self._queued_reply(turn, status, first=True)], action=None, outcome="handoff")

    async def user_message(self, turn: Turn) -> Step:
        conv = turn.conv
        msg = turn.msg
        if msg.button == "op:cancel" or (msg.text and is_cancel(msg.text)):
            await self.cancel(conv.id, turn.now)
            conv.status = "bot"
            return Step([Reply(turn.say("queue_cancelled"))], outcome="answer")
        await self._notify("user_message", {"conversation_id": conv.id, "text": msg.text})
        if conv.status == "operator":
            return Step([], outcome="relay")  # the operator answers; the bot stays silent
        status = await self.status(conv.id)
        if status is None:  # the queue row vanished (closed meanwhile): back to the bot
            await self.conversations.set_status(conv.id, "bot", turn.now)
            conv.status = "bot"
            return Step([Reply(turn.say("queue_cancelled"))], outcome="answer")
        return Step([Reply(turn.say("still_queued", position=status.position, wait=self._wait(turn, status)),
                           [Button(turn.say("cancel_queue_button"), "op:cancel")])], outcome="relay")

    # -- queue operations ----------------------------------------------------------------------

    async def status(self, conversation_id: int) -> QueueStatus | None:
        row = await self.db.fetchone(
            "SELECT id, enqueued_at, status FROM handoffs WHERE conversation_id = ? AND status IN ('waiting', 'assigned') "
            "ORDER BY id DESC", (conversation_id,))
        if row is None:
            return None
        position = 0
        if row["status"] == "waiting":
            position = await self.db.fetchval(
                "SELECT count(*) FROM handoffs WHERE status = 'waiting' AND (enqueued_at < ? OR (enqueued_at = ? AND id <= ?))",
                (row["enqueued_at"], row["enqueued_at"], row["id"]))
        agents = await self.presence()
        wait = None
        if agents > 0:
            wait = position * await self.handling_seconds() / agents
        return QueueStatus(row["id"], position, wait, agents)

    async def handling_seconds(self, sample: int = 20) -> float:
        rows = await self.db.fetchall(
            "SELECT assigned_at, closed_at FROM handoffs WHERE closed_at IS NOT NULL AND assigned_at IS NOT NULL "
            "ORDER BY id DESC LIMIT ?", (sample,))
        durations = [(unstamp(r["closed_at"]) - unstamp(r["assigned_at"])).total_seconds() for r in rows]
        return sum(durations) / len(durations) if durations else DEFAULT_HANDLING_SECONDS

    async def cancel(self, conversation_id: int, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE handoffs SET status = 'cancelled', closed_at = ? WHERE conversation_id = ? AND status = 'waiting'",
                (stamp(now), conversation_id))
            await self.conversations.set_status(conversation_id, "bot", now, tx=tx)
        await self._notify("cancelled", {"conversation_id": conversation_id})
        return changed > 0

    async def rate(self, handoff_id: int, score: int) -> bool:
        """Store a 1-5 rating for a closed conversation, once."""
        if not 1 <= score <= 5:
            return False
        return await self.db.execute(
            "UPDATE handoffs SET rating = ? WHERE id = ? AND status = 'closed' AND rating IS NULL", (score, handoff_id)) > 0

    async def waiting_count(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM handoffs WHERE status = 'waiting'")

    # -- texts ---------------------------------------------------------------------------------

    def _wait(self, turn: Turn, status: QueueStatus) -> str:
        if status.wait_seconds is None:
            return turn.say("unknown_wait")
        if status.wait_seconds < 60:
            return turn.say("less_than_minute")
        return turn.say("minutes", n=math.ceil(status.wait_seconds / 60))

    def _queued_reply(self, turn: Turn, status: QueueStatus, first: bool) -> Reply:
        buttons = [Button(turn.say("feedback_button"), "act:start:feedback"),
                   Button(turn.say("cancel_queue_button"), "op:cancel")]
        if status.agents_online == 0:
            return Reply(turn.say("queued_no_agents", position=status.position), buttons)
        wait = self._wait(turn, status)
        if status.wait_seconds is not None and status.wait_seconds > self.max_wait_minutes * 60:
            return Reply(turn.say("queued_long_wait", position=status.position, wait=wait), buttons)
        return Reply(turn.say("queued", position=status.position, wait=wait),
                     [Button(turn.say("cancel_queue_button"), "op:cancel")])
