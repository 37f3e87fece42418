"""The channel-neutral message types: what comes in from any channel, what goes out.

Adapters turn a platform's update into an `Incoming` and render `Reply`s natively
(buttons as inline keyboards, or as numbered text where a platform has none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Reply:
    """One message to the user: text in a small Markdown subset, optional buttons."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    request_contact: bool = False  # ask the platform for the user's phone ("share my contact")
    url: str | None = None  # a link the user should open (payment page)

    def as_text(self) -> str:
        """The text with the buttons as a numbered list, for platforms without buttons."""
        if not self.buttons:
            return self.text
        options = "\n".join(f"{i}. {b.title}" for i, b in enumerate(self.buttons, 1))
        return f"{self.text}\n\n{options}"

    def to_dict(self) -> dict[str, Any]:  # as dataclasses.asdict, without its deep copies (every turn stores one)
        return {"text": self.text, "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
                "request_contact": self.request_contact, "url": self.url}


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    user_id: str | None = None  # the platform user the contact belongs to


@dataclass(slots=True)
class Incoming:
    """A user's message from any channel."""

    channel: str
    user_id: str
    text: str = ""
    chat_id: str = ""
    button: str | None = None  # payload of a pressed button
    contact: Contact | None = None
    lang_hint: str | None = None
    now: datetime | None = None  # the clock for this turn (tests and `chat --jsonl`)
    display_name: str = ""
    message_id: str | None = None  # the platform's id, for deduplication
    client_id: str | None = None  # the sender's own id for the message (web chat): stored once per conversation
    button_title: str | None = None  # what a pressed button said (shown in the transcript instead of its payload)
    address: str | None = None  # the client's network address, where the channel knows it (web): for limits


@dataclass(slots=True)
class Outcome:
    """What the core did with one message."""

    replies: list[Reply]
    intent: str | None = None
    action: str | None = None
    handoff: bool = False
    lang: str = "ru"
    score: float | None = None
    outcome: str = "answer"  # answer | fallback | oos | handoff | action | relay | smalltalk | offer | clarify | duplicate
    message_id: int | None = None  # the user's message as stored (a "duplicate": the one stored before)
    at: str | None = None  # when it was stored (UTC stamp)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies if r.text)

    def to_json(self) -> str:
        return json.dumps({"replies": [r.to_dict() for r in self.replies], "intent": self.intent, "action": self.action,
                           "handoff": self.handoff, "lang": self.lang, "score": self.score, "outcome": self.outcome},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Outcome:
        data = json.loads(raw)
        replies = [Reply(r["text"], [Button(**b) for b in r.get("buttons", [])], r.get("request_contact", False),
                         r.get("url")) for r in data["replies"]]
        return cls(replies, data.get("intent"), data.get("action"), data.get("handoff", False), data.get("lang", "ru"),
                   data.get("score"), data.get("outcome", "answer"))

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self.replies for b in r.buttons]
