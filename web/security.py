"""Web security helpers: Origin checks, CSRF (double-submit), rate limits, cookies."""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict

from aiohttp import web

from .keys import CONFIG

CSRF_COOKIE = "sb_csrf"


def own_origin(request: web.Request) -> str:
    config = request.app[CONFIG]
    scheme = request.scheme
    host = request.host
    if config.web.trust_proxy:
        scheme = request.headers.get("X-Forwarded-Proto", scheme)
        host = request.headers.get("X-Forwarded-Host", host)
    return f"{scheme}://{host}"


def origin_allowed(request: web.Request) -> bool:
    """The request comes from our own pages (or an origin allowed in the configuration)."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    return origin == own_origin(request) or origin in request.app[CONFIG].web.allowed_origins


def is_https(request: web.Request) -> bool:
    if request.app[CONFIG].web.trust_proxy:
        return request.headers.get("X-Forwarded-Proto", request.scheme) == "https"
    return request.scheme == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, *, max_age: int | None = None,
               samesite: str = "Strict", httponly: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=httponly, samesite=samesite, secure=is_https(request),
                        path="/")


def csrf_token(request: web.Request, response: web.StreamResponse) -> str:
    """The page's CSRF token (double-submit: a cookie and the same value in the form)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 64:
        token = secrets.token_urlsafe(24)
        set_cookie(response, request, CSRF_COOKIE, token)
    return token


def csrf_ok(request: web.Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))


def client_ip(request: web.Request) -> str:
    if request.app[CONFIG].web.trust_proxy and request.headers.get("X-Forwarded-For"):
        return request.headers["X-Forwarded-For"].split(",")[0].strip()
    return request.remote or "?"


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
        import asyncio

        try:
            return bool(await asyncio.wait_for(self._script(keys=[f"{self.prefix}:{key}"], args=[self.rate, self.burst]),
                                               timeout=1))
        except Exception:
            return self.allow(key, now)
