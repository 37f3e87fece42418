"""What support agents do: see the queue, take a conversation (only one agent can), read the
transcript and the subscriber's account, reply, transfer, hand back to the bot, close with a
resolution (the subscriber is then asked for a rating), answer feedback tickets.

Every change is written to the database first; then an event tells the web chat, the other
consoles and the channel senders to look.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from backends.billing import BillingBackend, BillingError
from backends.messaging import EmailSender, SmsGateway
from intents.ports import Conversation
from intents.replies import Button
from kernel.bus import EventBus
from kernel.clock import stamp, unstamp
from kernel.text import clean
from knowledge.model import KnowledgeBase
from storage.agents import Agent, AgentStore
from storage.conversations import ConversationStore
from storage.db import Database
from storage.diagnoses import DiagnosisStore
from storage.handoffs import HandoffStore
from storage.tickets import TicketStore

from .queue import HandoffQueue

MAX_REPLY = 4000


class ConsoleError(ValueError):
    """An agent's request that cannot be done (the text is shown in the console)."""


class Console:
    def __init__(self, db: Database, conversations: ConversationStore, queue: HandoffQueue, agents: AgentStore,
                 tickets: TicketStore, events: EventBus, billing: BillingBackend, email: EmailSender, sms: SmsGateway,
                 knowledge: Callable[[], KnowledgeBase], diagnoses: DiagnosisStore | None = None) -> None:
        self.db = db
        self.handoffs = HandoffStore(db)
        self.conversations = conversations
        self.queue = queue
        self.agents = agents
        self.tickets = tickets
        self.events = events
        self.billing = billing
        self.email = email
        self.sms = sms
        self.knowledge = knowledge  # the current knowledge base (swapped when editors publish)
        self.diagnoses = diagnoses  # what the bot checked before handing off (shown with the conversation)

    # -- reading -----------------------------------------------------------------------------------

    async def queue_items(self, now: datetime) -> list[dict[str, Any]]:
        items = []
        position = 0
        for r in await self.handoffs.queue():
            if r["status"] == "waiting":
                position += 1
            items.append({
                "handoff_id": r["handoff_id"], "conversation_id": r["conversation_id"], "status": r["status"],
                "position": position if r["status"] == "waiting" else None, "reason": r["reason"],
                "channel": r["channel"], "lang": r["lang"], "name": r["display_name"],
                "logged_in": r["subscriber_id"] is not None, "subscriber_id": r["subscriber_id"],
                "waiting_seconds": int((now - unstamp(r["enqueued_at"])).total_seconds()),
                "agent_id": r["agent_id"], "agent_name": r["agent_name"],
                "preview": (r["preview"] or "")[:120],
            })
        return items

    async def transcript(self, conversation_id: int, after_id: int = 0) -> list[dict[str, Any]]:
        rows = await self.conversations.messages(conversation_id, after_id)
        return [_message(r) for r in rows]

    async def account_summary(self, conv: Conversation, now: datetime) -> dict[str, Any] | None:
        if conv.subscriber_id is None:
            return None
        try:
            account = await self.billing.account(conv.subscriber_id, now)
        except BillingError:
            return None
        r = account.remaining
        return {
            "phone": account.subscriber.phone, "name": account.subscriber.name, "balance": account.balance,
            "tariff": account.tariff.name_ru, "blocked": account.subscriber.blocked,
            "remaining": {"minutes": r.minutes, "sms": r.sms, "gb": r.gb},
            "services": [s.name_ru for s in account.services],
            "promised": {"amount": account.promised.amount, "due_at": account.promised.due_at.isoformat()}
            if account.promised else None,
        }

    async def diagnosis(self, conversation_id: int) -> dict[str, Any] | None:
        """The bot's latest diagnosis in this conversation: the checks it ran and what it found."""
        if self.diagnoses is None:
            return None
        found = await self.diagnoses.latest(conversation_id)
        return found.to_json() if found else None

    async def open(self, agent: Agent, conversation_id: int, now: datetime) -> dict[str, Any]:
        conv = await self._conversation(conversation_id)
        handoff = await self._handoff(conversation_id)
        return {
            "conversation": {"id": conv.id, "channel": conv.channel, "lang": conv.lang, "status": conv.status,
                             "name": conv.display_name},
            "handoff": handoff,
            "messages": await self.transcript(conversation_id),
            "account": await self.account_summary(conv, now),
            "diagnosis": await self.diagnosis(conversation_id),
            "mine": bool(handoff and handoff["agent_id"] == agent.id),
        }

    async def ratings(self) -> dict[str, Any]:
        rows, overall = await self.handoffs.ratings()
        return {
            "agents": [{"id": r["id"], "name": r["name"], "login": r["login"], "closed": r["closed"], "rated": r["rated"],
                        "average": round(r["average"], 2) if r["average"] is not None else None} for r in rows],
            "overall": {"rated": overall["rated"] if overall else 0,
                        "average": round(overall["average"], 2) if overall and overall["average"] is not None else None},
        }

    # -- acting ------------------------------------------------------------------------------------

    async def take(self, agent: Agent, handoff_id: int, now: datetime) -> int:
        """Assign a waiting conversation to `agent`; exactly one of two racing agents wins."""
        conversation_id = await self.handoffs.conversation_of(self.db, handoff_id)  # never changes
        if conversation_id is None:
            raise ConsoleError("no such conversation in the queue")
        async with self.db.transaction(f"conv:{conversation_id}") as tx:
            if not await self.handoffs.assign(tx, handoff_id, agent.id, now):
                raise ConsoleError("already taken by another agent")
            await self.conversations.set_status(conversation_id, "operator", now, tx=tx)
        conv = await self._conversation(conversation_id)
        kb = self.knowledge()
        await self._notify_user(conv, kb.message("operator_joined", conv.lang, name=agent.name), now, "system")
        self.events.publish("queue", {"type": "taken", "handoff_id": handoff_id})
        return conversation_id

    async def reply(self, agent: Agent, conversation_id: int, text: str, now: datetime,
                    client_id: str | None = None) -> dict[str, Any]:
        """The agent's message stored (once per `client_id`: one sent again is acknowledged with
        the id it was stored under) and pushed: {"id", "at", "duplicate"}."""
        if client_id is not None:
            prior = await self.conversations.client_message(conversation_id, client_id)
            if prior is not None:
                return {"id": prior["id"], "at": prior["created_at"], "duplicate": True}
        text = clean(text).strip()
        if not text:
            raise ConsoleError("empty message")
        if len(text) > MAX_REPLY:
            raise ConsoleError(f"the message is over {MAX_REPLY} characters")
        await self._require_mine(agent, conversation_id)
        message_id = await self.conversations.add_message(conversation_id, "agent", text, now, author=agent.name,
                                                          client_id=client_id)
        self.events.publish(f"conv:{conversation_id}", {"type": "message", "id": message_id})
        return {"id": message_id, "at": stamp(now), "duplicate": False}

    async def transfer(self, agent: Agent, conversation_id: int, to_agent_id: int, now: datetime) -> None:
        handoff = await self._require_mine(agent, conversation_id)
        target = await self.agents.get(to_agent_id)
        if target is None or not target.active:
            raise ConsoleError("no such active agent")
        if target.id == agent.id:
            raise ConsoleError("the conversation is already yours")
        await self.handoffs.transfer(handoff["id"], target.id)
        conv = await self._conversation(conversation_id)
        kb = self.knowledge()
        await self._notify_user(conv, kb.message("operator_transferred", conv.lang, name=target.name), now, "system")
        self.events.publish("queue", {"type": "transferred", "conversation_id": conversation_id, "to": target.id})

    async def return_to_bot(self, agent: Agent, conversation_id: int, now: datetime) -> None:
        handoff = await self._require_mine(agent, conversation_id)
        async with self.db.transaction(f"conv:{conversation_id}") as tx:
            await self.handoffs.finish(tx, handoff["id"], "returned", now)
            await self.conversations.set_status(conversation_id, "bot", now, tx=tx)
        conv = await self._conversation(conversation_id)
        await self._notify_user(conv, self.knowledge().message("returned_to_bot", conv.lang), now, "system")
        self.events.publish("queue", {"type": "returned", "conversation_id": conversation_id})

    async def close(self, agent: Agent, conversation_id: int, resolution: str, now: datetime) -> None:
        resolution = resolution.strip()
        if not resolution:
            raise ConsoleError("describe the resolution")
        handoff = await self._require_mine(agent, conversation_id)
        async with self.db.transaction(f"conv:{conversation_id}") as tx:
            await self.handoffs.finish(tx, handoff["id"], "closed", now, resolution[:1000])
            conv = await self.conversations.get(conversation_id, tx=tx)
            assert conv is not None
            conv.state["rating"] = handoff["id"]
            conv.status = "bot"
            await self.conversations.set_status(conversation_id, "bot", now, tx=tx)
            await self.conversations.save(conv, now, tx=tx)
        kb = self.knowledge()
        buttons = [Button(str(n), f"rate:{n}") for n in range(1, 6)]
        await self._notify_user(conv, kb.message("rate_request", conv.lang), now, "system", buttons)
        self.events.publish("queue", {"type": "closed", "conversation_id": conversation_id})

    async def release_agent(self, agent_id: int, now: datetime) -> int:
        """A deactivated agent's conversations go back to the front of the queue."""
        rows = await self.handoffs.assigned_to(agent_id)
        kb = self.knowledge()
        for row in rows:
            async with self.db.transaction(f"conv:{row['conversation_id']}") as tx:
                await self.handoffs.requeue(tx, row["id"])
                await self.conversations.set_status(row["conversation_id"], "queued", now, tx=tx)
            conv = await self.conversations.get(row["conversation_id"])
            if conv is not None:
                await self._notify_user(conv, kb.message("operator_left", conv.lang), now, "system")
        if rows:
            self.events.publish("queue", {"type": "released", "agent_id": agent_id})
        return len(rows)

    async def answer_ticket(self, agent: Agent, ticket_id: int, text: str, now: datetime) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise ConsoleError("empty answer")
        if len(text) > MAX_REPLY:
            raise ConsoleError(f"the answer is over {MAX_REPLY} characters")
        ticket = await self.tickets.answer(ticket_id, agent.id, text, now)
        if ticket is None:
            raise ConsoleError("no such open ticket (already answered?)")
        kb = self.knowledge()
        subject = kb.message("ticket_answer_subject", ticket.lang, number=ticket.number)
        if ticket.email:
            await self.email.send(ticket.email, subject, text, now)
        await self.sms.send(ticket.phone, kb.message("ticket_answer_sms", ticket.lang, number=ticket.number), now)
        if ticket.conversation_id is not None:
            conv = await self.conversations.get(ticket.conversation_id)
            if conv is not None:
                await self._notify_user(conv, f"{subject}\n{text}", now, "agent", author=agent.name)
        self.events.publish("tickets", {"type": "answered", "id": ticket_id})
        return ticket.to_json(now)

    # -- helpers -----------------------------------------------------------------------------------

    async def _notify_user(self, conv: Conversation, text: str, now: datetime, direction: str,
                           buttons: list[Button] | None = None, author: str = "") -> None:
        message_id = await self.conversations.add_message(
            conv.id, direction, text, now, author=author,
            buttons=[{"title": b.title, "payload": b.payload} for b in buttons or []])
        self.events.publish(f"conv:{conv.id}", {"type": "message", "id": message_id})

    async def _conversation(self, conversation_id: int) -> Conversation:
        conv = await self.conversations.get(conversation_id)
        if conv is None:
            raise ConsoleError("no such conversation")
        return conv

    async def _handoff(self, conversation_id: int) -> dict[str, Any] | None:
        row = await self.handoffs.latest(conversation_id)
        return dict(row) if row else None

    async def _require_mine(self, agent: Agent, conversation_id: int) -> dict[str, Any]:
        handoff = await self._handoff(conversation_id)
        if handoff is None or handoff["status"] != "assigned":
            raise ConsoleError("the conversation is not with an operator")
        if handoff["agent_id"] != agent.id:
            raise ConsoleError("the conversation belongs to another agent")
        return handoff


def _message(row: dict[str, Any]) -> dict[str, Any]:
    buttons = row["buttons"] if isinstance(row["buttons"], list) else json.loads(row["buttons"] or "[]")
    return {"id": row["id"], "direction": row["direction"], "author": row["author"], "text": row["text"],
            "buttons": buttons, "intent": row["intent"], "at": row["created_at"], "client_id": row.get("client_id")}
