"""What the core needs from the rest of the product, as small interfaces.

The app wires real implementations in at start-up (`supportbot/runtime.py`): the
conversation store (`storage/`), the account actions (`account/`), the live-operator queue
(`handoff/`) and the event bus (`kernel.bus`). The core imports none of them (an
import-linter contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from knowledge.model import KnowledgeBase

from .repair import Repair
from .replies import Incoming, Reply
from .understanding import KnowledgeHolder, Reading

if TYPE_CHECKING:
    from .matcher import Analysis, Matcher


@dataclass
class Conversation:
    """One user's conversation on one channel: its state between turns."""

    id: int
    channel: str
    user_key: str
    chat_id: str = ""
    lang: str = "ru"
    status: str = "bot"  # bot | queued | operator
    state: dict[str, Any] = field(default_factory=dict)
    subscriber_id: int | None = None
    display_name: str = ""

    @property
    def with_people(self) -> bool:
        """Waiting in the operator queue or talking to an operator."""
        return self.status in ("queued", "operator")


class ConversationRepository(Protocol):
    """Where the core keeps conversations (`storage.conversations.ConversationStore`)."""

    async def open_turn(self, channel: str, user_key: str, message_id: str | None, now: datetime, chat_id: str = "",
                        display_name: str = "") -> tuple[Conversation, tuple[str, str | None] | None]:
        """The user's conversation and, for a platform message already answered, its stored
        result and the conversation's status then."""

    async def record_turn(self, conv: Conversation, inbound: str, replies: list[dict[str, Any]], now: datetime, *,
                          author: str, intent: str | None, action: str | None, score: float | None, outcome: str,
                          message_key: tuple[str, str] | None = None, result: str | None = None,
                          client_id: str | None = None, payload: str | None = None,
                          also: Sequence[Any] = ()) -> tuple[str, int]:
        """Everything a turn writes, in one transaction, with `also` (the caller's own writes, opaque
        to the core: a channel's replies queued and its update marked done); the conversation's
        status afterwards and the id of the user's message. A `client_id` already stored in the
        conversation fails the turn."""

    async def client_message(self, conversation_id: int, client_id: str) -> dict[str, Any] | None:
        """The message stored under the sender's own id in this conversation (id, created_at), if any."""


@dataclass
class Turn:
    """One message being answered, with everything a handler needs."""

    msg: Incoming
    conv: Conversation
    now: datetime  # UTC
    lang: str
    kb: KnowledgeBase
    matcher: Matcher
    analysis: Analysis | None = None
    knowledge: KnowledgeHolder | None = None
    repair: Repair | None = None  # how the message is read (computed once, before the language)
    reading: Reading | None = None  # this message as understood (repaired, matched, decided), once read

    @property
    def text(self) -> str:
        """The message as read: repaired when it was typed on the wrong layout or in Latin letters."""
        if self.reading is not None:
            return self.reading.text
        return self.repair.text if self.repair is not None else self.msg.text

    def read(self) -> Reading:
        """This turn's message understood against the knowledge base (computed once)."""
        if self.reading is None:
            assert self.knowledge is not None
            self.reading = self.knowledge.read(self.msg.text, self.lang, self.repair)
        return self.reading

    def say(self, key: str, **values: object) -> str:
        return self.kb.message(key, self.lang, **values)


@dataclass
class Step:
    """A handler's result."""

    replies: list[Reply] = field(default_factory=list)
    intent: str | None = None
    action: str | None = None
    score: float | None = None
    outcome: str = "answer"  # answer | fallback | oos | handoff | action | relay | smalltalk | offer | clarify
    redact_input: bool = False  # the user's message holds a secret (a login code): not kept in the transcript


class ActionPort(Protocol):
    def active(self, conv: Conversation) -> str | None:
        """The account action in progress in this conversation, if any."""

    async def start(self, turn: Turn, action: str, slots: dict[str, str] | None = None) -> Step:
        """Start an action; `slots` are values its knowledge entry presets ("problem": "internet", a
        complaint's topic)."""

    async def resume(self, turn: Turn) -> Step | None:
        """Continue the action in progress; None when the message is not an answer to it."""

    async def button(self, turn: Turn, payload: str) -> Step | None: ...

    async def cancel(self, turn: Turn) -> Step: ...

    def reminder(self, turn: Turn) -> Reply | None:
        """A nudge back to the action in progress, after a detour to another question."""

    async def redact(self, turn: Turn, text: str) -> str:
        """The user's message as it may be kept: login codes masked while one is outstanding or was
        sent recently in this conversation (typed when the bot was not asking for it)."""


class HandoffPort(Protocol):
    async def request(self, turn: Turn, reason: str) -> Step:
        """Put the conversation in the live-operator queue (or tell why not)."""

    async def user_message(self, turn: Turn) -> Step:
        """A message from a user who is queued or with an operator."""

    async def cancel(self, conversation_id: int, now: datetime) -> bool:
        """Leave the queue."""

    async def rate(self, handoff_id: int, score: int) -> bool:
        """Store the user's 1-5 rating of a closed conversation."""
