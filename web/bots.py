"""Messenger channels on the shared application: webhooks under /webhooks/<channel>, the
workers that process stored updates and send the outbox, and long polling where chosen.

A channel starts when its token is in the environment; a channel whose token is there but
whose other required settings are missing stops the start with a message naming them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bots.base import BadUpdate, Parsed
from bots.delivery import ChannelRunner
from bots.ratelimit import Pacer, RedisPacer
from intents.clock import utcnow
from intents.replies import Incoming
from storage.db import stamp
from supportbot.config import Config

from .keys import CONFIG, INSTANCE, RUNTIME

log = logging.getLogger(__name__)
MAX_UPDATE = 1024 * 1024


class ChannelConfigError(ValueError):
    """A half-configured channel."""


@dataclass
class Channel:
    adapter: Any
    runner: ChannelRunner | None = None
    secret: str | None = None  # Telegram webhook secret, VK callback secret
    confirmation: str | None = None  # VK confirmation string
    polling: bool = False


CHANNELS: web.AppKey[dict[str, Channel]] = web.AppKey("channels", dict)


def build_channels(config: Config) -> dict[str, Channel]:
    """The channels whose tokens are present; ChannelConfigError for a half-configured one."""
    channels: dict[str, Channel] = {}
    tg = config.channels.telegram
    token = config.secret(tg.token_env)
    if token:
        from bots.telegram import TelegramAdapter  # the SDKs load only for the channels in use

        secret = config.secret(tg.webhook_secret_env)
        if tg.mode == "webhook" and not secret:
            raise ChannelConfigError(f"Telegram: {tg.token_env} is set but {tg.webhook_secret_env} is not "
                                     "(webhook mode needs a secret token; or set [channels.telegram] mode = \"polling\")")
        if (secret and not all(c.isalnum() or c in "_-" for c in secret)) or (secret and len(secret) > 256):
            raise ChannelConfigError(f"Telegram: {tg.webhook_secret_env} may hold only A-Z, a-z, 0-9, _ and - (1-256)")
        channels["telegram"] = Channel(TelegramAdapter(token, tg.api_url, tg.timeout_seconds), secret=secret,
                                       polling=tg.mode == "polling")
    vk = config.channels.vk
    token = config.secret(vk.token_env)
    if token:
        from bots.vk import VkAdapter

        if not vk.group_id:
            raise ChannelConfigError(f"VK: {vk.token_env} is set but [channels.vk] group_id is not")
        secret = config.secret(vk.secret_env)
        confirmation = config.secret(vk.confirmation_env)
        if vk.mode == "callback" and not (secret and confirmation):
            missing = [n for n, v in ((vk.secret_env, secret), (vk.confirmation_env, confirmation)) if not v]
            raise ChannelConfigError(f"VK: {vk.token_env} is set but {', '.join(missing)} is not (the Callback API needs "
                                     "both; or set [channels.vk] mode = \"longpoll\")")
        channels["vk"] = Channel(VkAdapter(token, vk.group_id, vk.api_url, vk.api_version, vk.timeout_seconds),
                                 secret=secret, confirmation=confirmation, polling=vk.mode == "longpoll")
    vb = config.channels.viber
    token = config.secret(vb.token_env)
    if token:
        from bots.viber import ViberAdapter

        channels["viber"] = Channel(ViberAdapter(token, vb.sender_name, vb.sender_avatar, vb.api_url, vb.timeout_seconds))
    return channels


def pacer_for(config: Config, name: str, events: Any = None) -> Pacer:
    """The platform's limits; shared through Redis when several instances run."""
    c = config.channels
    rate, per_chat = {"telegram": (c.telegram.per_second, c.telegram.per_chat_per_second),
                      "vk": (c.vk.per_second, None), "viber": (c.viber.per_second, None)}[name]
    client = getattr(events, "client", None)
    if client is not None:
        return RedisPacer(client, f"{events.channel}:{name}", rate, per_chat)
    return Pacer(rate, per_chat)


async def _json(request: web.Request) -> tuple[dict[str, Any], str]:
    """The request's JSON object and its text."""
    if request.content_length is not None and request.content_length > MAX_UPDATE:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPDATE, actual_size=request.content_length)
    try:
        text = (await request.read()).decode("utf-8")
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="not JSON") from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data, text


def _parse(channel: Channel, update: dict[str, Any]) -> Parsed | None:
    try:
        return channel.adapter.parse(update)
    except Exception:  # stored all the same; marked failed when processed
        return None


async def _accept(channel: Channel, update: dict[str, Any], raw: str | None = None, parsed: Parsed | None = None) -> bool:
    """Store the update; False for a redelivery."""
    assert channel.runner is not None
    try:
        return await channel.runner.accept(update, raw, parsed)
    except BadUpdate as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc


# -- webhooks ------------------------------------------------------------------------------------


async def telegram_webhook(request: web.Request) -> web.Response:
    channel = request.app[CHANNELS].get("telegram")
    if channel is None or channel.runner is None:
        raise web.HTTPNotFound()
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not channel.secret or not secrets.compare_digest(given.encode(), channel.secret.encode()):
        raise web.HTTPUnauthorized(text="bad secret token")
    update, raw = await _json(request)
    parsed = _parse(channel, update)
    await _accept(channel, update, raw, parsed)  # stored before we answer
    if parsed is not None and parsed.ack:  # answer the button press at once, in the webhook's response
        return web.json_response(parsed.ack)
    return web.Response(status=200)


async def vk_callback(request: web.Request) -> web.Response:
    channel = request.app[CHANNELS].get("vk")
    if channel is None or channel.runner is None:
        raise web.HTTPNotFound()
    update, raw = await _json(request)
    config = request.app[CONFIG].channels.vk
    if update.get("group_id") != config.group_id:
        raise web.HTTPForbidden(text="unknown group")
    if update.get("type") == "confirmation":
        return web.Response(text=channel.confirmation or "")
    given = update.get("secret")
    if not channel.secret or not isinstance(given, str) or not secrets.compare_digest(given.encode(), channel.secret.encode()):
        raise web.HTTPForbidden(text="bad secret")
    parsed = _parse(channel, update)
    new = await _accept(channel, update, raw, parsed)
    if parsed is not None and parsed.ack and new:  # a redelivered event was answered the first time
        task = asyncio.create_task(channel.adapter.ack(parsed.ack))
        request.app[ACKS].add(task)
        task.add_done_callback(request.app[ACKS].discard)
    return web.Response(text="ok")


async def viber_webhook(request: web.Request) -> web.Response:
    channel = request.app[CHANNELS].get("viber")
    if channel is None or channel.runner is None:
        raise web.HTTPNotFound()
    body = await request.read()
    if len(body) > MAX_UPDATE:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPDATE, actual_size=len(body))
    if not channel.adapter.verify(body, request.headers.get("X-Viber-Content-Signature")):
        raise web.HTTPForbidden(text="bad signature")
    try:
        update = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="not JSON") from exc
    if not isinstance(update, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    if update.get("event") == "webhook" or "message_token" not in update:
        return web.Response(status=200)
    if update.get("event") == "conversation_started":
        return await _viber_welcome(request, channel, update)
    await _accept(channel, update)
    return web.Response(status=200)


async def _viber_welcome(request: web.Request, channel: Channel, update: dict[str, Any]) -> web.Response:
    """conversation_started is answered in the response itself (the user is not subscribed yet)."""
    runtime = request.app[RUNTIME]
    inbox_new = await channel.runner.inbox.accept(  # type: ignore[union-attr]
        "viber", channel.adapter.update_key(update), update, utcnow(), taken_by=request.app[INSTANCE])  # answered here
    parsed = channel.adapter.parse(update)
    if not inbox_new or not parsed.messages:
        return web.Response(status=200)
    msg: Incoming = parsed.messages[0]
    msg.message_id = f"{channel.adapter.update_key(update)}:0"
    outcome = await runtime.core.handle(msg)
    await runtime.db.execute("UPDATE inbound_updates SET status = 'done', processed_at = ? WHERE channel = 'viber' "
                             "AND update_key = ?", (stamp(utcnow()), channel.adapter.update_key(update)))
    if not outcome.replies:
        return web.Response(status=200)
    request_ = channel.adapter.render(msg.chat_id, outcome.replies[0], outcome.lang)[0]
    return web.json_response(channel.adapter.message_dict(request_))


ACKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("channel_acks", set)


async def channels_ctx(app: web.Application) -> AsyncIterator[None]:
    channels = app[CHANNELS]
    runtime = app[RUNTIME]
    stop = asyncio.Event()
    pollers: list[asyncio.Task[None]] = []
    for name, channel in channels.items():
        channel.runner = ChannelRunner(channel.adapter, runtime, pacer_for(app[CONFIG], name, runtime.events),
                                       instance=app[INSTANCE])
        await channel.runner.start()
        if channel.polling:
            pollers.append(asyncio.create_task(channel.adapter.poll(channel.runner.accept, stop), name=f"{name}-poll"))
        log.info("channel %s started (%s)", name, "polling" if channel.polling else "webhook")
    yield
    stop.set()
    for task in pollers:
        task.cancel()
    for task in [*pollers, *app[ACKS]]:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5)
    for channel in channels.values():
        if channel.runner is not None:
            await channel.runner.stop()
        await channel.adapter.close()


def setup_bots(app: web.Application, channels: dict[str, Channel] | None = None) -> None:
    app[CHANNELS] = build_channels(app[CONFIG]) if channels is None else channels
    app[ACKS] = set()
    app.cleanup_ctx.append(channels_ctx)
    app.router.add_post("/webhooks/telegram", telegram_webhook)
    app.router.add_post("/webhooks/vk", vk_callback)
    app.router.add_post("/webhooks/viber", viber_webhook)
