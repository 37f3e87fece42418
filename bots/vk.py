"""VK: its settings, the adapter (through vk-api) and the channel on the web app: the Callback
API at /webhooks/vk (confirmation string, `secret` checked, "ok" at once,
processed after) or Bots Long Poll.

vk-api is synchronous: every call runs in a worker thread with a timeout, over a requests
session whose base address comes from the configuration (so tests play VK on loopback).
Inline keyboards with callback buttons (`message_event` answered with
`messages.sendMessageEventAnswer`); `random_id` is our outbox id, so a retried send never
posts twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from intents.replies import Incoming, Reply

if TYPE_CHECKING:
    from aiohttp import web

from .base import (
    BadUpdate,
    Channel,
    ChannelConfigError,
    ChannelSettings,
    Parsed,
    RetryLater,
    Secrets,
    SendFailed,
    is_payload,
    plain,
    read_json,
    same_secret,
    split_text,
)

log = logging.getLogger(__name__)
LIMIT = 4096
VK_API = "https://api.vk.ru/method"
RETRY_CODES = {6: 1.0, 9: 10.0, 10: 3.0}  # too many per second, flood control, internal error: seconds to wait
FLOOD_CONTROL = 9
REFUSED_CODES = {5, 7, 15, 100, 900, 901, 902, 914}


class VkSettings(ChannelSettings):
    token_env: str = "VK_GROUP_TOKEN"  # noqa: S105
    group_id: int = Field(0, ge=0)
    mode: Literal["callback", "longpoll"] = "callback"
    secret_env: str = "VK_CALLBACK_SECRET"  # noqa: S105
    confirmation_env: str = "VK_CONFIRMATION_CODE"
    api_url: str = "https://api.vk.ru/method"
    api_version: str = "5.199"
    per_second: float = Field(20.0, gt=0)
    flood_wait_seconds: float = Field(RETRY_CODES[FLOOD_CONTROL], ge=0.1, le=3600)  # after VK's "flood control"


def rebased_session(base: str, timeout: float) -> Any:
    """A requests session that sends vk-api's requests to the configured address, always with a
    timeout (vk-api and requests are imported when a VK channel is made, not with this module)."""
    import requests

    class RebasedSession(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            url = str(url)
            if url.startswith(VK_API) and base.rstrip("/") != VK_API:
                url = base.rstrip("/") + url[len(VK_API):]
            kwargs.setdefault("timeout", timeout)
            return super().request(method, url, *args, **kwargs)

    return RebasedSession()


class VkAdapter:
    name = "vk"

    def __init__(self, token: str, group_id: int, api_url: str = VK_API, api_version: str = "5.199",
                 timeout: float = 10.0, flood_wait: float = RETRY_CODES[FLOOD_CONTROL]) -> None:
        self.group_id = group_id
        self.timeout = timeout
        self.retry_waits = {**RETRY_CODES, FLOOD_CONTROL: flood_wait}
        import vk_api

        self.session = rebased_session(api_url, timeout)
        self.vk = vk_api.VkApiGroup(token=token, api_version=api_version, session=self.session)

    async def close(self) -> None:
        await asyncio.to_thread(self.session.close)

    async def call(self, method: str, values: dict[str, Any]) -> Any:
        return await asyncio.wait_for(asyncio.to_thread(self.vk.method, method, values), timeout=self.timeout + 5)

    # -- inbound -----------------------------------------------------------------------------------

    def update_key(self, update: dict[str, Any]) -> str:
        event_id = update.get("event_id")
        if isinstance(event_id, str) and event_id:
            return event_id
        obj = update.get("object") or {}
        message = obj.get("message") or {}
        if update.get("type") and (message.get("id") or obj.get("event_id")):
            return f"{update['type']}:{message.get('id') or obj.get('event_id')}"
        raise BadUpdate("no event_id")

    def parse(self, update: dict[str, Any]) -> Parsed:
        kind = update.get("type")
        obj = update.get("object") or {}
        if kind == "message_new":
            message = obj.get("message") or obj  # API < 5.103 sent the message itself
            info = obj.get("client_info") or {}
            peer = message.get("peer_id") or message.get("from_id")
            user = message.get("from_id") or peer
            if peer is None or (isinstance(peer, int) and peer > 2_000_000_000):
                return Parsed()  # group chats are not a support channel
            text = message.get("text") if isinstance(message.get("text"), str) else ""
            button = _payload(message.get("payload"))
            title = text.strip()[:200] or None if button is not None else None  # a text button's label is its title
            if button is None and is_payload(text):
                button, text = text.strip(), ""
            lang = {0: "ru", 3: "en"}.get(info.get("lang_id")) if isinstance(info, dict) else None
            return Parsed([Incoming(channel=self.name, user_id=str(user), chat_id=str(peer), text=text if not button else "",
                                    button=button, button_title=title or _title(message.get("payload")), lang_hint=lang)])
        if kind == "message_event":
            user, peer = obj.get("user_id"), obj.get("peer_id")
            button = _payload(obj.get("payload"))
            ack = {"event_id": obj.get("event_id"), "user_id": user, "peer_id": peer}
            if user is None or peer is None or button is None:
                return Parsed(ack=ack)
            return Parsed([Incoming(channel=self.name, user_id=str(user), chat_id=str(peer), button=button,
                                    button_title=_title(obj.get("payload")))], ack=ack)
        return Parsed()  # message_reply, typing, joins…

    # -- outbound ----------------------------------------------------------------------------------

    def render(self, chat_id: str, reply: Reply, lang: str) -> list[dict[str, Any]]:
        parts = split_text(plain(reply.text), LIMIT - 96) if reply.text else ["…"]
        requests_: list[dict[str, Any]] = []
        for index, part in enumerate(parts):
            values: dict[str, Any] = {"peer_id": int(chat_id), "message": part, "dont_parse_links": 1}
            if index == len(parts) - 1 and reply.buttons:
                values["keyboard"] = keyboard(reply)
            requests_.append(values)
        return requests_

    async def send(self, request: dict[str, Any], dedupe: int, text: str | None = None) -> None:
        from vk_api.exceptions import ApiError, ApiHttpError

        values = {**request, "random_id": dedupe}  # our outbox id: VK drops a second post with the same one
        try:
            await self.call("messages.send", values)
        except ApiError as exc:
            if exc.code in self.retry_waits:
                raise RetryLater(self.retry_waits[exc.code], f"vk error {exc.code}") from exc
            if exc.code in REFUSED_CODES:
                raise SendFailed(f"vk error {exc.code}: {exc}") from exc
            raise
        except ApiHttpError as exc:
            if exc.response is not None and exc.response.status_code == 429:
                raise RetryLater(1.0, "http 429") from exc
            raise

    async def ack(self, ack: dict[str, Any]) -> None:
        """Answer a callback button's event at once (the spinner on the button stops)."""
        if not ack.get("event_id"):
            return
        try:
            await self.call("messages.sendMessageEventAnswer", {"event_id": ack["event_id"], "user_id": ack["user_id"],
                                                                "peer_id": ack["peer_id"]})
        except Exception as exc:  # a late answer is harmless
            log.info("vk: event answer failed: %r", exc)

    async def poll(self, accept: Any, stop: asyncio.Event) -> None:
        """Bots Long Poll: each event is stored before the next request acknowledges it."""
        from vk_api.bot_longpoll import VkBotLongPoll

        longpoll = await asyncio.to_thread(VkBotLongPoll, self.vk, self.group_id, 25)
        while not stop.is_set():
            try:
                events = await asyncio.wait_for(asyncio.to_thread(longpoll.check), timeout=40)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("vk: long poll failed: %r", exc)
                await asyncio.sleep(3)
                continue
            for event in events:
                raw = dict(event.raw)
                await accept(raw)
                parsed = self.parse(raw)
                if parsed.ack:
                    await self.ack(parsed.ack)


def keyboard(reply: Reply) -> str:
    """An inline keyboard: callback buttons (payload {"p": …}), links as open_link."""
    from vk_api.keyboard import VkKeyboard

    kb = VkKeyboard(inline=True)
    buttons = reply.buttons[:10]
    per_line = 2 if len(buttons) > 6 else 1
    for index, button in enumerate(buttons):
        if index and index % per_line == 0:
            kb.add_line()
        label = button.title[:40]
        if button.payload.startswith("url:"):
            kb.add_openlink_button(label, button.payload[4:])
        else:
            kb.add_callback_button(label, payload=_button_payload(button.payload, label))
    return kb.get_keyboard()


PAYLOAD_LIMIT = 255  # VK's limit of a button's payload (JSON text)


def _button_payload(payload: str, title: str) -> dict[str, str]:
    """{"p": payload, "t": title}: the title comes back with the press (VK sends only the payload),
    so the subscriber's pressed button is stored as what it said; without it if it would not fit."""
    data = {"p": payload, "t": title}
    if len(json.dumps(data, ensure_ascii=False, separators=(",", ":"))) > PAYLOAD_LIMIT:
        data = {"p": payload}
    return data


def _decoded(raw: Any) -> Any:
    """A VK button payload as an object (VK sends it as JSON text or as an object); None if not JSON."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None
    return raw


def _title(raw: Any) -> str | None:
    """The pressed button's title from its payload ({"t": …}), if it was sent with one."""
    raw = _decoded(raw)
    title = raw.get("t") if isinstance(raw, dict) else None
    return title[:200] if isinstance(title, str) and title.strip() else None


def _payload(raw: Any) -> str | None:
    """Our payload from a VK button payload ({"p": …}, as JSON text or an object)."""
    raw = _decoded(raw)
    if isinstance(raw, dict) and isinstance(raw.get("p"), str) and is_payload(raw["p"]):
        return raw["p"]
    if isinstance(raw, dict) and raw.get("command") == "start":
        return None
    return None


class VkChannel(Channel):
    """POST /webhooks/vk (the Callback API): the group and the `secret` checked, the confirmation
    string answered, the event stored, then "ok"; a button's event is answered after that."""

    name = "vk"

    def __init__(self, adapter: VkAdapter, settings: VkSettings, secret: str | None, confirmation: str | None) -> None:
        super().__init__(adapter, polling=settings.mode == "longpoll")
        self.group_id = settings.group_id
        self.secret = secret
        self.confirmation = confirmation

    @classmethod
    def from_config(cls, settings: VkSettings, secret_of: Secrets) -> VkChannel | None:
        token = secret_of(settings.token_env)
        if not token:
            return None
        if not settings.group_id:
            raise ChannelConfigError(f"VK: {settings.token_env} is set but [channels.vk] group_id is not")
        secret = secret_of(settings.secret_env)
        confirmation = secret_of(settings.confirmation_env)
        if settings.mode == "callback" and not (secret and confirmation):
            missing = [n for n, v in ((settings.secret_env, secret), (settings.confirmation_env, confirmation)) if not v]
            raise ChannelConfigError(f"VK: {settings.token_env} is set but {', '.join(missing)} is not (the Callback API "
                                     "needs both; or set [channels.vk] mode = \"longpoll\")")
        adapter = VkAdapter(token, settings.group_id, settings.api_url, settings.api_version, settings.timeout_seconds,
                            settings.flood_wait_seconds)
        return cls(adapter, settings, secret, confirmation)

    def routes(self) -> list[web.RouteDef]:
        from aiohttp import web

        return [web.post("/webhooks/vk", self.webhook)]

    async def webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        self._runner()
        update, raw = await read_json(request)
        if update.get("group_id") != self.group_id:
            raise web.HTTPForbidden(text="unknown group")
        if update.get("type") == "confirmation":
            return web.Response(text=self.confirmation or "")
        given = update.get("secret")
        if not isinstance(given, str) or not same_secret(given, self.secret):
            raise web.HTTPForbidden(text="bad secret")
        parsed = self.parse(update)
        new = await self.accept(update, raw, parsed)
        if parsed is not None and parsed.ack and new:  # a redelivered event was answered the first time
            self.spawn(self.adapter.ack(parsed.ack))
        return web.Response(text="ok")
