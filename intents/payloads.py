"""Button payloads: one router where the parts of the product register the prefixes of the
buttons they make, and which hands each press to the part that made the button.

    router.register("kb:", knowledge_button)      # a family: everything that starts with "kb:"
    router.register("menu", menu_button)          # one whole payload
    router.register("url:", None)                  # known, but answered elsewhere (a link the client opens)
    step = await router.dispatch(turn, "kb:roaming-calls")

The core registers the knowledge base's and its own buttons (`kb:`, `menu`, `operator`,
`op:yes`, `op:no`); the runtime lets the account actions (`act:`, `auth:`, `url:`) and the
operator queue (`op:cancel`, `rate:`) register theirs. The longest matching prefix wins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from .ports import Step, Turn

ButtonHandler = Callable[[Turn, str], Awaitable[Step | None]]
PAYLOAD_CHARS = r"[\w:./?=&%+\-]{1,200}"


class PayloadRouter:
    def __init__(self) -> None:
        self._routes: dict[str, ButtonHandler | None] = {}

    def register(self, prefix: str, handler: ButtonHandler | None) -> None:
        """`prefix` ending in ":" is a family of payloads, anything else one whole payload;
        `handler` None marks payloads that are read elsewhere (a rating, a link)."""
        if prefix in self._routes:
            raise ValueError(f"button prefix {prefix!r} is registered twice")
        self._routes[prefix] = handler

    @property
    def prefixes(self) -> list[str]:
        return sorted(self._routes)

    def route(self, payload: str) -> str | None:
        """The registered prefix that owns `payload` (the longest that matches)."""
        if payload in self._routes and not payload.endswith(":"):
            return payload
        families = [p for p in self._routes if p.endswith(":") and payload.startswith(p)]
        return max(families, key=len) if families else None

    async def dispatch(self, turn: Turn, payload: str) -> Step | None:
        """The press handled by the part that made the button; None for a payload nobody owns
        (an old button: the dialogue says so)."""
        prefix = self.route(payload)
        handler = self._routes.get(prefix) if prefix is not None else None
        return await handler(turn, payload) if handler is not None else None

    def pattern(self) -> re.Pattern[str]:
        """What a payload sent back as text looks like (platforms whose keyboards send text)."""
        families = [re.escape(p) for p in self._routes if p.endswith(":")]
        whole = [re.escape(p) for p in self._routes if not p.endswith(":")]
        parts = []
        if families:
            parts.append(f"^(?:{'|'.join(families)}){PAYLOAD_CHARS}$")
        if whole:
            parts.append(f"^(?:{'|'.join(whole)})$")
        return re.compile("|".join(parts) or "(?!)")
