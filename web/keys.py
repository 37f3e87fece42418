"""Typed keys for what the web application shares between its parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from supportbot.config import Config

if TYPE_CHECKING:
    from supportbot.runtime import IndexCache, Runtime

    from .app import Health
    from .chat import ChatHub
    from .console import ConsoleHub
    from .metrics import Metrics

CONFIG = web.AppKey("config", Config)
DB_PATH = web.AppKey("db_path", object)  # str | None
INSTANCE = web.AppKey("instance", str)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
INDEX_CACHE: web.AppKey[IndexCache] = web.AppKey("index_cache")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
CHAT_HUB: web.AppKey[ChatHub] = web.AppKey("chat_hub")
CONSOLE_HUB: web.AppKey[ConsoleHub] = web.AppKey("console_hub")
HEALTH: web.AppKey[Health] = web.AppKey("health")
