"""Live events between the parts of the product (web chat, agent console, channels).

Everything an event reports is already in the database when it is published: the bus only
says "look again". A listener that misses an event (a reconnect, a restart) catches up
from the database, so events never need to be durable themselves. The in-process bus
serves one instance; the scaled mode puts Redis behind the same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
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


class RedisBus(LocalBus):
    """Events across instances through Redis pub/sub.

    `publish` dispatches locally at once and sends the event to the other instances; a
    listener task dispatches what the others publish. Events only say "look again": when
    Redis is unreachable nothing is lost, and when it comes back every listener gets a
    `resync` event and catches up from the database.
    """

    def __init__(self, client: Any, channel: str) -> None:
        super().__init__()
        self.client = client
        self.channel = channel
        self.origin = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None
        self.connected = True

    @classmethod
    async def open(cls, url: str, channel: str = "supportbot") -> RedisBus:
        import redis.asyncio as aioredis

        client = aioredis.from_url(url, socket_connect_timeout=5, socket_timeout=None, health_check_interval=15)
        bus = cls(client, channel)
        bus._task = asyncio.create_task(bus._listen(), name="redis-bus")
        return bus

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await super().publish(topic, event)
        message = json.dumps({"o": self.origin, "t": topic, "e": event}, ensure_ascii=False, default=str)
        try:
            await asyncio.wait_for(self.client.publish(self.channel, message), timeout=2)
        except Exception as exc:  # the others catch up on resync
            log.warning("redis bus: publish failed: %r", exc)
            self.connected = False

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not self.connected:
                    log.info("redis bus: connected again, catching up")
                self.connected = True
                delay = 0.5
                await super().publish("resync", {"type": "resync"})
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        data = json.loads(message["data"])
                    except (ValueError, TypeError):
                        continue
                    if data.get("o") != self.origin:
                        await super().publish(str(data.get("t")), dict(data.get("e") or {}))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connected:
                    log.warning("redis bus: connection lost: %r", exc)
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self.client.aclose()
