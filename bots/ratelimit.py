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
