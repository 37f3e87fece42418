"""Live events between the parts of the product (web chat, agent console, channels).

Everything an event reports is already in the database when it is published: the bus only
says "look again". A listener that misses an event (a reconnect, a restart) catches up from
the database, so events never need to be durable themselves.

`publish` never runs a listener: it queues the event for each subscriber and returns, so the
work an event causes (a socket push, a relay to a messenger) happens after the publisher's
own work (a user's turn) has committed and returned, never inside it. Each subscriber has a
queue of its own, drained by one task in publication order; the bus keeps a reference to
every task it starts and cancels them on `close`.

The in-process bus serves one instance; `RedisBus` carries the same events between the
instances of one deployment, and exposes what else they share (`Shared`: the Redis client
and the deployment's key prefix, for shared rate limits and deduplication).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Shared:
    """What the instances of one deployment share besides events: a Redis client
    (`redis.asyncio.Redis`) and the deployment's key prefix."""

    client: Any
    prefix: str

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])


class EventBus(Protocol):
    """Topics are strings ("queue", "conv:42", "agents", "tickets", "kb"); "*" receives everything."""

    shared: Shared | None  # None: one instance, nothing shared

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Queue the event for every subscriber of the topic; never waits for them."""

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Register a handler; returns a function that unsubscribes it."""

    async def idle(self) -> None:
        """Return once every event published so far has been handled by this instance's subscribers."""

    async def close(self) -> None: ...


class _Subscription:
    """One subscriber's queue and the task that drains it (started when events wait)."""

    def __init__(self, topic: str, handler: Handler) -> None:
        self.topic = topic
        self.handler = handler
        self.pending: deque[tuple[str, dict[str, Any]]] = deque()
        self.task: asyncio.Task[None] | None = None

    def push(self, topic: str, event: dict[str, Any]) -> None:
        self.pending.append((topic, event))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain(), name=f"bus:{self.topic}")

    async def _drain(self) -> None:
        try:
            while self.pending:
                topic, event = self.pending.popleft()
                try:
                    await self.handler(topic, event)
                except asyncio.CancelledError:
                    raise
                except Exception:  # one broken listener must not stop the others, nor its own next events
                    log.exception("event handler failed for %s", topic)
        finally:
            self.task = None

    def cancel(self) -> asyncio.Task[None] | None:
        self.pending.clear()
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
        return task


class LocalBus:
    """Events within one process."""

    shared: Shared | None = None

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._cancelled: set[asyncio.Task[None]] = set()

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        self._deliver(topic, event)

    def _deliver(self, topic: str, event: dict[str, Any]) -> None:
        for sub in self._subscriptions:
            if sub.topic == topic or sub.topic == "*":
                sub.push(topic, event)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        sub = _Subscription(topic, handler)
        self._subscriptions.append(sub)

        def unsubscribe() -> None:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)
            task = sub.cancel()
            if task is not None:  # kept until it has finished cancelling
                self._cancelled.add(task)
                task.add_done_callback(self._cancelled.discard)

        return unsubscribe

    async def idle(self) -> None:
        while True:
            tasks = [s.task for s in self._subscriptions if s.task is not None]
            if not tasks:
                return
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        tasks = [t for t in (s.cancel() for s in self._subscriptions) if t is not None] + list(self._cancelled)
        self._subscriptions.clear()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class RedisBus(LocalBus):
    """Events across instances through Redis pub/sub.

    `publish` queues the event for this instance's subscribers and for a sender task that
    passes it to the other instances (in order); a listener task delivers what the others
    publish. When Redis is unreachable nothing is lost: when it comes back every subscriber
    gets a `resync` event and catches up from the database.
    """

    def __init__(self, client: Any, channel: str) -> None:
        super().__init__()
        self.client = client
        self.channel = channel
        self.shared = Shared(client, channel)
        self.origin = secrets.token_hex(8)
        self.connected = True
        self._outgoing: deque[str] = deque()
        self._sender: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, channel: str = "supportbot") -> RedisBus:
        import redis.asyncio as aioredis

        client = aioredis.from_url(url, socket_connect_timeout=5, socket_timeout=None, health_check_interval=15)
        bus = cls(client, channel)
        bus._listener = asyncio.create_task(bus._listen(), name="redis-bus-listen")
        return bus

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        self._deliver(topic, event)
        self._outgoing.append(json.dumps({"o": self.origin, "t": topic, "e": event}, ensure_ascii=False, default=str))
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send(), name="redis-bus-send")

    async def _send(self) -> None:
        try:
            while self._outgoing:
                message = self._outgoing.popleft()
                try:
                    await asyncio.wait_for(self.client.publish(self.channel, message), timeout=2)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the others catch up on resync
                    log.warning("redis bus: publish failed: %r", exc)
                    self.connected = False
        finally:
            self._sender = None

    async def idle(self) -> None:
        while self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)
        await super().idle()

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
                self._deliver("resync", {"type": "resync"})
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        data = json.loads(message["data"])
                    except (ValueError, TypeError):
                        continue
                    if data.get("o") != self.origin:
                        self._deliver(str(data.get("t")), dict(data.get("e") or {}))
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
        if self._sender is not None:  # what this instance announced last still reaches the others
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._sender), timeout=2)
        for task in (self._listener, self._sender):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await super().close()
        with contextlib.suppress(Exception):
            await self.client.aclose()
