"""Pacing outgoing messages under a platform's limits: a global rate and a per-chat interval,
plus pauses when the platform says "retry after N seconds"."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict


class Pacer:
    def __init__(self, per_second: float, per_chat_per_second: float | None = None, max_chats: int = 100_000) -> None:
        self.interval = 1.0 / per_second
        self.chat_interval = 1.0 / per_chat_per_second if per_chat_per_second else 0.0
        self._next_global = 0.0
        self._next_chat: OrderedDict[str, float] = OrderedDict()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.max_chats = max_chats

    async def wait(self, chat: str) -> None:
        """Return when one more message to `chat` may be sent (reserving that slot)."""
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_global, self._paused_until, self._next_chat.get(chat, 0.0))
            self._next_global = start + self.interval
            if self.chat_interval:
                self._next_chat[chat] = start + self.chat_interval
                self._next_chat.move_to_end(chat)
                while len(self._next_chat) > self.max_chats:
                    self._next_chat.popitem(last=False)
        delay = start - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float, chat: str | None = None) -> None:
        """The platform asked us to wait: for one chat, or for everything."""
        until = time.monotonic() + seconds
        if chat is None:
            self._paused_until = max(self._paused_until, until)
        else:
            self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), until)


# The same pacing shared by every instance: slots are reserved in Redis, atomically.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[1], start + tonumber(ARGV[1]), 'PX', 60000)
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], start + tonumber(ARGV[2]), 'PX', 60000) end
return start - now
"""
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until = now + tonumber(ARGV[1])
if until > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], until, 'PX', tonumber(ARGV[1]) + 60000) end
return 0
"""


class RedisPacer(Pacer):
    """A Pacer whose slots live in Redis, so all instances together keep the platform's limits.
    When Redis is unreachable it falls back to pacing this instance alone."""

    def __init__(self, client: object, prefix: str, per_second: float, per_chat_per_second: float | None = None) -> None:
        super().__init__(per_second, per_chat_per_second)
        self.client = client
        self.prefix = prefix
        self._reserve = client.register_script(RESERVE)  # type: ignore[attr-defined]
        self._pause = client.register_script(PAUSE)  # type: ignore[attr-defined]
        self._pausing: set[asyncio.Future[object]] = set()

    async def wait(self, chat: str) -> None:
        try:
            delay_ms = await asyncio.wait_for(self._reserve(
                keys=[f"{self.prefix}:pace", f"{self.prefix}:pace:{chat}"],
                args=[int(self.interval * 1000), int(self.chat_interval * 1000)]), timeout=1)
        except Exception:
            await super().wait(chat)
            return
        if delay_ms and int(delay_ms) > 0:
            await asyncio.sleep(int(delay_ms) / 1000)

    def pause(self, seconds: float, chat: str | None = None) -> None:
        super().pause(seconds, chat)
        key = f"{self.prefix}:pace:{chat}" if chat else f"{self.prefix}:pace"
        task = asyncio.ensure_future(self._pause(keys=[key], args=[int(seconds * 1000)]))
        self._pausing.add(task)  # kept until done (a task nobody references may be collected)
        task.add_done_callback(self._paused)

    def _paused(self, task: asyncio.Future[object]) -> None:
        self._pausing.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: Redis unreachable is not an error here (the local pause holds)
