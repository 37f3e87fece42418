"""The messenger channels on the shared application: the routes each configured channel offers
(its webhooks under /webhooks/<channel>), the workers that process stored updates and send
the outbox, and long polling where chosen.

A channel starts when its token is in the environment; a channel whose token is there but
whose other required settings are missing stops the start with a message naming them. What a
channel is and does lives in its module in `bots/`; this module only mounts and runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from bots.base import Channel
from bots.channels import build_channels, settings_of
from bots.delivery import ChannelRunner
from bots.ratelimit import Pacer, RedisPacer
from kernel.bus import Shared
from supportbot.config import Config

from .keys import CONFIG, INSTANCE, RUNTIME

log = logging.getLogger(__name__)

CHANNELS: web.AppKey[dict[str, Channel]] = web.AppKey("channels", dict)


def pacer_for(config: Config, name: str, shared: Shared | None) -> Pacer:
    """The platform's limits; shared through Redis when several instances run."""
    settings = settings_of(config.channels, name)
    if shared is not None:
        return RedisPacer(shared.client, shared.key(name), settings.per_second, settings.chat_rate())
    return Pacer(settings.per_second, settings.chat_rate())


async def channels_ctx(app: web.Application) -> AsyncIterator[None]:
    channels = app[CHANNELS]
    runtime = app[RUNTIME]
    stop = asyncio.Event()
    pollers: list[asyncio.Task[None]] = []
    for name, channel in channels.items():
        runner = ChannelRunner(channel.adapter, runtime.core, runtime.db, runtime.events,
                               pacer_for(app[CONFIG], name, runtime.shared), instance=app[INSTANCE],
                               alive=timedelta(seconds=app[CONFIG].storage.dead_after_seconds))
        channel.attach(runner)
        await runner.start()
        if channel.polling:
            pollers.append(asyncio.create_task(channel.adapter.poll(runner.accept, stop), name=f"{name}-poll"))
        log.info("channel %s started (%s)", name, "polling" if channel.polling else "webhook")
    yield
    stop.set()
    for task in pollers:
        task.cancel()
    for task in [*pollers, *(t for c in channels.values() for t in c.tasks)]:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5)
    for channel in channels.values():
        if channel.runner is not None:
            await channel.runner.stop()
        await channel.adapter.close()


def setup_channels(app: web.Application, channels: dict[str, Channel] | None = None) -> None:
    """Mount what the configured channels offer (`ChannelConfigError` for a half-configured one)."""
    config = app[CONFIG]
    app[CHANNELS] = build_channels(config.channels, config.secret) if channels is None else channels
    for channel in app[CHANNELS].values():
        app.router.add_routes(channel.routes())
    app.cleanup_ctx.append(channels_ctx)
