"""Web security helpers: Origin checks, CSRF (double-submit), rate limits, cookies."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any

from aiohttp import web

from kernel import jsonsafe
from kernel.ratelimit import RateLimiter, SharedRateLimiter

from .keys import CONFIG

CSRF_COOKIE = "sb_csrf"


def own_origin(request: web.Request) -> str:
    config = request.app[CONFIG]
    scheme = request.scheme
    host = request.host
    if config.web.behind_proxy():
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
    if request.app[CONFIG].web.behind_proxy():
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
    """The client's address: the peer's, or behind our own proxies the X-Forwarded-For entry the
    nearest untrusted hop wrote, read right to left (the left part is whatever the client said)."""
    web_config = request.app[CONFIG].web
    remote = request.remote or "?"
    hops, trusted = web_config.proxy_hops_count(), web_config.trusted_networks()
    if not hops and not trusted:
        return remote
    chain = [a.strip() for h in request.headers.getall("X-Forwarded-For", []) for a in h.split(",") if a.strip()]
    chain.append(remote)
    if trusted:  # skip our own proxies, by address
        for address in reversed(chain):
            if not _in(address, trusted):
                return address[:64]
        return chain[0][:64]
    return chain[max(0, len(chain) - 1 - hops)][:64]  # skip as many hops as we run proxies


def _in(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


__all__ = ["RateLimiter", "SharedRateLimiter", "bounded_int", "client_ip", "csrf_ok", "csrf_token", "json_body",
           "origin_allowed", "own_origin", "set_cookie"]


def bounded_int(value: str | None, name: str, default: int, low: int = 0, high: int = jsonsafe.MAX_INT) -> int:
    """A whole number from a query or path (400 naming it otherwise)."""
    if value is None or value == "":
        return default
    if not (value.isascii() and value.lstrip("-").isdigit() and len(value) <= 20) or not low <= int(value) <= high:
        raise web.HTTPBadRequest(text=json_text({"error": f"'{name}' must be a whole number from {low} to {high}"}),
                                 content_type="application/json")
    return int(value)


def json_text(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


async def json_body(request: web.Request) -> Any:
    """The request's JSON, bounded (nesting, integers); 400 with a JSON error otherwise."""
    try:
        return jsonsafe.loads(await request.read())
    except jsonsafe.JsonRefused as exc:
        raise web.HTTPBadRequest(text=json_text({"error": f"expected JSON ({exc})"}),
                                 content_type="application/json") from exc
