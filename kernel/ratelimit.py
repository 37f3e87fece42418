"""Token buckets per key: in this process, or shared by every instance through Redis."""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict


class RateLimiter:
    """A token bucket per key (`burst` at once, then `rate` a second); old keys are forgotten."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    async def allow_async(self, key: str, now: float) -> bool:
        """`allow`, for callers that do not know whether the bucket is shared."""
        return self.allow(key, now)

    def retry_after(self) -> int:
        """Seconds until a refused key has a token again (at most)."""
        return max(1, math.ceil(1 / self.rate))


BUCKET_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return allowed
"""


class SharedRateLimiter(RateLimiter):
    """The same token bucket kept in Redis, so every instance counts together (a visitor whose
    messages land on several instances). Falls back to this instance's own bucket when Redis
    does not answer."""

    def __init__(self, client: object, prefix: str, rate: float, burst: int) -> None:
        super().__init__(rate, burst)
        self.prefix = prefix
        self._script = client.register_script(BUCKET_SCRIPT)  # type: ignore[attr-defined]

    async def allow_shared(self, key: str, now: float) -> bool:
        try:
            return bool(await asyncio.wait_for(self._script(keys=[f"{self.prefix}:{key}"], args=[self.rate, self.burst]),
                                               timeout=1))
        except Exception:
            return self.allow(key, now)

    async def allow_async(self, key: str, now: float) -> bool:
        return await self.allow_shared(key, now)
