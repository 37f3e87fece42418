"""What every channel adapter shares: the adapter interface, splitting long texts, the
Markdown subset as plain text, and recognising button payloads sent back as text.

An adapter translates and holds no business logic: platform update → `Incoming`s, and
channel-neutral `Reply`s → the platform's native messages (as JSON-ready dicts kept in the
outbox until sent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from intents.replies import Incoming, Reply

PAYLOAD_RE = re.compile(r"^(?:kb|act|op|rate|auth|url):[\w:./?=&%+\-]{1,200}$|^(?:menu|operator)$")


class BadUpdate(ValueError):
    """A request that is not a valid update of the platform (answered 400)."""


@dataclass
class Parsed:
    """What a platform update means for us."""

    messages: list[Incoming] = field(default_factory=list)
    # something to do at once, before the turn (answer a callback query / a message event)
    ack: dict[str, Any] | None = None


class Adapter(Protocol):
    name: str

    def update_key(self, update: dict[str, Any]) -> str:
        """The platform's id of an update, for deduplication (update_id, event_id, message_token)."""

    def parse(self, update: dict[str, Any]) -> Parsed: ...

    def render(self, chat_id: str, reply: Reply, lang: str) -> list[dict[str, Any]]:
        """Native send requests for one reply (several when a text is split)."""

    async def send(self, request: dict[str, Any], dedupe: int, text: str | None = None) -> None:
        """Perform one native send request; raises `RetryLater` or `SendFailed`. `text` is the
        request as the outbox keeps it (JSON), for an adapter that can post it as it is."""


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class SendFailed(Exception):
    """A send the platform refused for good (blocked by the user, bad request)."""


def is_payload(text: str) -> bool:
    return bool(PAYLOAD_RE.match(text.strip()))


def plain(text: str) -> str:
    """The Markdown subset as plain text: **bold** → bold, [label](url) → label (url)."""
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^\s)]+)\)", r"\1 (\2)", text)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at paragraph, line, sentence or word boundaries, each part ≤ limit."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut < limit // 3:
            cut = window.rfind("\n")
        if cut < limit // 3:
            cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
            cut = cut + 1 if cut > 0 else cut
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts or [""]


def numbered(reply: Reply) -> str:
    """Buttons as a numbered list, for a platform (or a place) without buttons."""
    return reply.as_text()
