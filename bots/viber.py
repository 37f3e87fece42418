"""Viber: its settings, the adapter (through viberbot) and the channel on the web app: the webhook
at /webhooks/viber with `X-Viber-Content-Signature` checked in constant time,
`conversation_started` answered with the welcome message, reply keyboards, sender name and
avatar from the configuration.

viberbot is synchronous and sends with `requests` without a timeout: its request sender is
replaced by one with a timeout and a configurable address, and every call runs in a worker
thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import Field

from intents.replies import Contact, Incoming, Reply
from kernel import jsonsafe

if TYPE_CHECKING:
    from aiohttp import web

from .base import (
    MAX_UPDATE,
    BadUpdate,
    Channel,
    ChannelSettings,
    Parsed,
    RetryLater,
    Secrets,
    SendFailed,
    is_payload,
    plain,
    same_secret,
    split_text,
)

log = logging.getLogger(__name__)
LIMIT = 7000
RETRY_STATUS = {12: 2.0}  # tooManyRequests
REFUSED_STATUS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}


class ViberError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"viber status {status}: {message}")
        self.status = status


def timed_sender(api_url: str, configuration: Any, timeout: float) -> Any:
    """viberbot's request sender with a timeout, a configurable address and the status kept
    (viberbot and requests are imported when a Viber channel is made, not with this module)."""
    import requests
    from viberbot.api.api_request_sender import ApiRequestSender
    from viberbot.api.consts import VIBER_BOT_USER_AGENT

    class TimedRequestSender(ApiRequestSender):
        def __init__(self) -> None:
            super().__init__(logging.getLogger("viber.bot.api"), api_url.rstrip("/"), configuration, VIBER_BOT_USER_AGENT)
            self.session = requests.Session()

        def post_request(self, endpoint: str, payload: str) -> dict[str, Any]:
            response = self.session.post(f"{self._viber_bot_api_url}/{endpoint}", data=payload, timeout=timeout,
                                         headers={"User-Agent": self._user_agent, "Content-Type": "application/json"})
            if response.status_code == 429:
                raise ViberError(12, "http 429")
            response.raise_for_status()
            result = json.loads(response.text)
            if result.get("status") != 0:
                raise ViberError(int(result.get("status", -1)), str(result.get("status_message", "")))
            return result

    return TimedRequestSender()


class ViberSettings(ChannelSettings):
    token_env: str = "VIBER_AUTH_TOKEN"  # noqa: S105
    sender_name: str = Field("Tele2", min_length=1, max_length=28)
    sender_avatar: str = ""
    public_url: str = ""  # https://your.host — Viber posts to {public_url}/webhooks/viber
    api_url: str = "https://chatapi.viber.com/pa"
    per_second: float = Field(50.0, gt=0)


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ViberAdapter:
    name = "viber"

    def __init__(self, token: str, sender_name: str, sender_avatar: str = "", api_url: str = "https://chatapi.viber.com/pa",
                 timeout: float = 10.0) -> None:
        from viberbot import Api, BotConfiguration

        self.token = token
        self.timeout = timeout
        self.configuration = BotConfiguration(auth_token=token, name=sender_name, avatar=sender_avatar or None)
        self.api = Api(self.configuration)
        sender = timed_sender(api_url, self.configuration, timeout)
        self.api._request_sender = sender  # the SDK's own sender has no timeout
        self.api._message_sender._request_sender = sender
        self.sender = sender

    async def close(self) -> None:
        await asyncio.to_thread(self.sender.session.close)

    def verify(self, body: bytes, given: str | None) -> bool:
        """Constant-time check of X-Viber-Content-Signature (viberbot itself compares with ==)."""
        return same_secret(given, signature(self.token, body))

    # -- inbound -----------------------------------------------------------------------------------

    def update_key(self, update: dict[str, Any]) -> str:
        token = update.get("message_token")
        if token is None:
            raise BadUpdate("no message_token")
        return f"{update.get('event', '')}:{token}"

    def parse(self, update: dict[str, Any]) -> Parsed:
        event = update.get("event")
        if event == "message":
            sender = update.get("sender") or {}
            message = update.get("message") or {}
            user = str(sender.get("id", ""))
            if not user:
                raise BadUpdate("no sender")
            kind = message.get("type")
            contact = None
            text = ""
            button = None
            button_title = None
            if kind == "text":
                text = str(message.get("text", ""))
                head, _, title = text.partition("\n")
                if is_payload(head):  # a keyboard button sends its ActionBody ("payload\ntitle") as text, silently
                    button, text = head.strip(), ""
                    button_title = title.strip()[:200] or None
            elif kind == "contact":
                # Viber cannot tell a "share my number" answer from a forwarded contact card, so the
                # number is only used to send a login code to, never trusted as the sender's own
                phone = (message.get("contact") or {}).get("phone_number")
                contact = Contact(str(phone), None) if phone else None
            lang = str(sender.get("language") or "")[:2]
            return Parsed([Incoming(channel=self.name, user_id=user, chat_id=user, text=text, button=button,
                                    button_title=button_title, contact=contact, lang_hint=lang if lang in ("ru", "en") else None,
                                    display_name=str(sender.get("name", ""))[:100])])
        if event == "conversation_started":
            user = update.get("user") or {}
            lang = str(user.get("language") or "")[:2]
            return Parsed([Incoming(channel=self.name, user_id=str(user.get("id", "")), chat_id=str(user.get("id", "")),
                                    text="/start", lang_hint=lang if lang in ("ru", "en") else None,
                                    display_name=str(user.get("name", ""))[:100])])
        return Parsed()  # webhook check, delivered, seen, subscribed, unsubscribed, failed

    # -- outbound ----------------------------------------------------------------------------------

    def render(self, chat_id: str, reply: Reply, lang: str) -> list[dict[str, Any]]:
        parts = split_text(plain(reply.text), LIMIT - 100) if reply.text else ["…"]
        out = []
        for index, part in enumerate(parts):
            request: dict[str, Any] = {"receiver": chat_id, "text": part}
            if index == len(parts) - 1:
                board = keyboard(reply, lang)
                if board:
                    request["keyboard"] = board
                    request["min_api_version"] = 3 if reply.request_contact else 1
            out.append(request)
        return out

    def message_dict(self, request: dict[str, Any]) -> dict[str, Any]:
        """A message in the form of a webhook response (the welcome for conversation_started)."""
        from viberbot.api.messages.text_message import TextMessage

        message = TextMessage(text=request["text"], keyboard=request.get("keyboard"),
                              min_api_version=request.get("min_api_version"))
        data = message.to_dict()
        data["sender"] = {"name": self.configuration.name, **({"avatar": self.configuration.avatar}
                                                                if self.configuration.avatar else {})}
        return data

    async def send(self, request: dict[str, Any], dedupe: int, text: str | None = None) -> None:
        from viberbot.api.messages.text_message import TextMessage

        message = TextMessage(text=request["text"], keyboard=request.get("keyboard"),
                              min_api_version=request.get("min_api_version"))
        try:
            await asyncio.wait_for(asyncio.to_thread(self.api.send_messages, request["receiver"], [message]),
                                   timeout=self.timeout + 5)
        except ViberError as exc:
            if exc.status in RETRY_STATUS:
                raise RetryLater(RETRY_STATUS[exc.status], str(exc)) from exc
            if exc.status in REFUSED_STATUS:
                raise SendFailed(str(exc)) from exc
            raise

    async def set_webhook(self, url: str) -> Any:
        return await asyncio.wait_for(asyncio.to_thread(
            self.api.set_webhook, url, ["delivered", "seen", "failed", "subscribed", "unsubscribed",
                                        "conversation_started"]), timeout=self.timeout + 5)


def keyboard(reply: Reply, lang: str) -> dict[str, Any] | None:
    buttons: list[dict[str, Any]] = []
    if reply.request_contact:
        buttons.append({"Columns": 6, "Rows": 1, "ActionType": "share-phone", "ActionBody": "phone",
                        "Text": "📱 Поделиться номером" if lang == "ru" else "📱 Share my number"})
    for button in reply.buttons[:24]:
        if button.payload.startswith("url:"):
            buttons.append({"Columns": 6, "Rows": 1, "ActionType": "open-url", "ActionBody": button.payload[4:],
                            "Text": button.title[:250]})
        else:
            # Silent: Viber does not post the ActionBody into the chat as the subscriber's message; the
            # title rides along after a line break so that what the subscriber pressed is stored as its title
            buttons.append({"Columns": 6, "Rows": 1, "ActionType": "reply", "Silent": True,
                            "ActionBody": f"{button.payload}\n{button.title[:250]}", "Text": button.title[:250]})
    if not buttons:
        return None
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}


class ViberChannel(Channel):
    """POST /webhooks/viber: the signature checked in constant time, the event stored, then 200;
    `conversation_started` is answered with the welcome in the response itself (the user is
    not subscribed yet, so it cannot be sent)."""

    name = "viber"

    @classmethod
    def from_config(cls, settings: ViberSettings, secret_of: Secrets) -> ViberChannel | None:
        token = secret_of(settings.token_env)
        if not token:
            return None
        return cls(ViberAdapter(token, settings.sender_name, settings.sender_avatar, settings.api_url,
                                settings.timeout_seconds))

    def routes(self) -> list[web.RouteDef]:
        from aiohttp import web

        return [web.post("/webhooks/viber", self.webhook)]

    async def webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        runner = self._runner()
        body = await request.read()
        if len(body) > MAX_UPDATE:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPDATE, actual_size=len(body))
        if not self.adapter.verify(body, request.headers.get("X-Viber-Content-Signature")):
            raise web.HTTPForbidden(text="bad signature")
        try:
            update = jsonsafe.loads(body)
        except jsonsafe.JsonRefused as exc:
            raise web.HTTPBadRequest(text=f"not acceptable JSON: {exc}") from exc
        if not isinstance(update, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        if update.get("event") == "webhook" or "message_token" not in update:
            return web.Response(status=200)
        if update.get("event") == "conversation_started":
            answered = await runner.answer_now(update)
            if answered is None or not answered[1].replies:
                return web.Response(status=200)
            msg, outcome = answered
            request_ = self.adapter.render(msg.chat_id, outcome.replies[0], outcome.lang)[0]
            return web.json_response(self.adapter.message_dict(request_))
        await self.accept(update)
        return web.Response(status=200)
