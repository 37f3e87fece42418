"""Live events between the parts of the product (web chat, agent console, channels).

Everything an event reports is already in the database when it is published: the bus only
says "look again". A listener that misses an event (a reconnect, a restart) catches up
from the database, so events never need to be durable themselves. The in-process bus
serves one instance; the scaled mode puts Redis behind the same interface.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], Awaitable[None]]


class EventBus(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Register a handler; returns a function that unsubscribes it."""


class LocalBus:
    """Topics are strings ("queue", "conv:42", "agents", "tickets"); "*" receives everything."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        for handler in [*self._handlers.get(topic, ()), *self._handlers.get("*", ())]:
            try:
                await handler(topic, event)
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken listener must not break the publisher
                log.exception("event handler failed for %s", topic)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(topic)
            if handlers and handler in handlers:
                handlers.remove(handler)

        return unsubscribe
