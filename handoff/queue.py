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
from intents.payloads import PayloadRouter
from intents.ports import Step, Turn
from intents.replies import Button, Reply
from kernel.clock import unstamp
from storage.conversations import ConversationStore
from storage.db import Database
from storage.handoffs import HandoffStore

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
        self.store = HandoffStore(db)
        self.conversations = conversations
        self.presence = presence
        self.max_wait_minutes = max_wait_minutes

    def register_buttons(self, router: PayloadRouter) -> None:
        """The queue's buttons: leaving it (`op:cancel`; while queued, `user_message` reads it first)
        and the rating after a close (`rate:N`, read by the dialogue while a rating is asked for)."""
        router.register("op:cancel", self._cancel_button)
        router.register("rate:", None)

    async def _cancel_button(self, turn: Turn, payload: str) -> Step | None:
        return await self.user_message(turn) if turn.conv.with_people else None

    # -- the core's port -----------------------------------------------------------------------

    async def request(self, turn: Turn, reason: str) -> Step:
        conv = turn.conv
        async with self.db.transaction(f"conv:{conv.id}") as tx:
            if await self.store.open_id(tx, conv.id) is None:
                await self.store.enqueue(tx, conv.id, reason, turn.now)
                await self.conversations.set_status(conv.id, "queued", turn.now, tx=tx)
                conv.status = "queued"
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
        row = await self.store.current(conversation_id)
        if row is None:
            return None
        position = 0
        if row["status"] == "waiting":
            position = await self.store.position(row["id"], row["enqueued_at"])
        agents = await self.presence()
        wait = None
        if agents > 0:
            wait = position * await self.handling_seconds() / agents
        return QueueStatus(row["id"], position, wait, agents)

    async def handling_seconds(self, sample: int = 20) -> float:
        rows = await self.store.recent_durations(sample)
        durations = [(unstamp(r["closed_at"]) - unstamp(r["assigned_at"])).total_seconds() for r in rows]
        return sum(durations) / len(durations) if durations else DEFAULT_HANDLING_SECONDS

    async def cancel(self, conversation_id: int, now: datetime) -> bool:
        async with self.db.transaction(f"conv:{conversation_id}") as tx:
            changed = await self.store.cancel_waiting(tx, conversation_id, now)
            await self.conversations.set_status(conversation_id, "bot", now, tx=tx)
        return changed > 0

    async def rate(self, handoff_id: int, score: int) -> bool:
        """Store a 1-5 rating for a closed conversation, once."""
        if not 1 <= score <= 5:
            return False
        return await self.store.rate(handoff_id, score)

    async def waiting_count(self) -> int:
        return await self.store.waiting_count()

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
