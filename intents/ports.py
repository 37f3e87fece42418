"""What the core needs from the rest of the product, as small interfaces.

The app wires real implementations in at start-up (`supportbot/runtime.py`): the account
actions (`account/`) and the live-operator queue (`handoff/`). The core imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from knowledge.model import KnowledgeBase
from storage.conversations import Conversation

from .matcher import Analysis, Matcher
from .replies import Incoming, Reply


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

    @property
    def text(self) -> str:
        return self.msg.text

    def say(self, key: str, **values: object) -> str:
        return self.kb.message(key, self.lang, **values)


@dataclass
class Step:
    """A handler's result."""

    replies: list[Reply] = field(default_factory=list)
    intent: str | None = None
    action: str | None = None
    score: float | None = None
    outcome: str = "answer"  # answer | fallback | oos | handoff | action | relay | smalltalk
    redact_input: bool = False  # the user's message holds a secret (a login code): not kept in the transcript


class ActionPort(Protocol):
    def active(self, conv: Conversation) -> str | None:
        """The account action in progress in this conversation, if any."""

    async def start(self, turn: Turn, action: str, slots: dict[str, str] | None = None) -> Step:
        """Start an action; `slots` are values its knowledge entry presets ("problem": "internet")."""

    async def resume(self, turn: Turn) -> Step | None:
        """Continue the action in progress; None when the message is not an answer to it."""

    async def button(self, turn: Turn, payload: str) -> Step | None: ...

    async def cancel(self, turn: Turn) -> Step: ...

    def reminder(self, turn: Turn) -> Reply | None:
        """A nudge back to the action in progress, after a detour to another question."""


class HandoffPort(Protocol):
    async def request(self, turn: Turn, reason: str) -> Step:
        """Put the conversation in the live-operator queue (or tell why not)."""

    async def user_message(self, turn: Turn) -> Step:
        """A message from a user who is queued or with an operator."""

    async def cancel(self, conversation_id: int, now: datetime) -> bool:
        """Leave the queue."""

    async def rate(self, handoff_id: int, score: int) -> bool:
        """Store the user's 1-5 rating of a closed conversation."""


class Events(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...
