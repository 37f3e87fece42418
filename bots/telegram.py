"""Telegram: its settings, the adapter (through aiogram 3 where it helps) and the channel on
the web app (webhook at /webhooks/telegram, secret token checked; or long polling).

The adapter owns its aiogram `Bot` (pointed at `api_url`, so tests can play Telegram on
loopback) for polling, callback answers and the webhook set-up; aiogram is imported the
first time one of those is needed, not when the server starts. The hot path, sendMessage,
posts the outbox's JSON as it is (the Bot API takes application/json) on the adapter's own
aiohttp session: aiogram would rebuild it as pydantic models and a url-encoded form on every
send, which cost about a fifth of the server's CPU under load.

Inline keyboards for buttons (`callback_query` answered at once), a reply keyboard with
"share my contact" when the bot asks for the phone number, HTML for the Markdown subset,
texts split at Telegram's 4,096 characters.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from intents.replies import Contact, Incoming, Reply

from .base import (
    BadUpdate,
    Channel,
    ChannelConfigError,
    ChannelSettings,
    Parsed,
    RetryLater,
    Secrets,
    SendFailed,
    read_json,
    same_secret,
    split_text,
)

if TYPE_CHECKING:
    import aiohttp
    from aiogram import Bot
    from aiohttp import web

log = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
SHARE_CONTACT = {"ru": "📱 Поделиться номером", "en": "📱 Share my number"}
CANCEL = {"ru": "Отмена", "en": "Cancel"}


class TelegramSettings(ChannelSettings):
    token_env: str = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"  # noqa: S105
    public_url: str = ""  # https://your.host — Telegram posts to {public_url}/webhooks/telegram
    api_url: str = "https://api.telegram.org"
    per_second: float = Field(30.0, gt=0)
    per_chat_per_second: float = Field(1.0, gt=0)

    def chat_rate(self) -> float | None:
        return self.per_chat_per_second


class TelegramError(RuntimeError):
    """A send Telegram did not take, to be tried again (its 5xx, a conflict, an odd answer)."""


def to_html(text: str) -> str:
    """The Markdown subset as Telegram HTML, everything else escaped."""
    out, at = [], 0
    for match in re.finditer(r"\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?://[^\s)]+)\)", text):
        out.append(html.escape(text[at:match.start()], quote=False))
        if match.group(1) is not None:
            out.append(f"<b>{html.escape(match.group(1), quote=False)}</b>")
        else:
            out.append(f'<a href="{html.escape(match.group(3))}">{html.escape(match.group(2), quote=False)}</a>')
        at = match.end()
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


class TelegramAdapter:
    name = "telegram"

    def __init__(self, token: str, api_url: str = "https://api.telegram.org", timeout: float = 10.0) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._send_url = f"{self.api_url}/bot{token}/sendMessage"
        self._http: aiohttp.ClientSession | None = None
        self._bot: Bot | None = None

    @property
    def bot(self) -> Bot:
        """aiogram's `Bot`, made (and aiogram imported) on first use: polling, callback answers, set-up."""
        if self._bot is None:
            from aiogram import Bot
            from aiogram.client.session.aiohttp import AiohttpSession
            from aiogram.client.telegram import TelegramAPIServer

            server = TelegramAPIServer.from_base(self.api_url)
            self._bot = Bot(token=self.token, session=AiohttpSession(api=server, timeout=self.timeout))
        return self._bot

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.session.close()
        if self._http is not None:
            await self._http.close()

    # -- inbound -----------------------------------------------------------------------------------

    def update_key(self, update: dict[str, Any]) -> str:
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            raise BadUpdate("no update_id")
        return str(update_id)

    def parse(self, update: dict[str, Any]) -> Parsed:
        if "callback_query" in update:
            query = update["callback_query"]
            sender = query.get("from") or {}
            message = query.get("message") or {}
            chat = (message.get("chat") or {}).get("id", sender.get("id"))
            data = str(query.get("data", ""))[:200]
            return Parsed([Incoming(
                channel=self.name, user_id=str(sender.get("id")), chat_id=str(chat), button=data,
                button_title=_button_title(message, data), lang_hint=_lang(sender), display_name=_name(sender))],
                ack={"method": "answerCallbackQuery", "callback_query_id": query.get("id")})
        message = update.get("message")
        if not isinstance(message, dict):
            return Parsed()  # edited messages, channel posts, joins…: nothing to answer
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if chat.get("type", "private") != "private":
            return Parsed()  # groups are not a support channel
        contact = None
        if isinstance(message.get("contact"), dict):
            c = message["contact"]
            owner = c.get("user_id")
            contact = Contact(str(c.get("phone_number", "")), str(owner) if owner is not None else None)
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        return Parsed([Incoming(channel=self.name, user_id=str(sender.get("id")), chat_id=str(chat.get("id")), text=text,
                                contact=contact, lang_hint=_lang(sender), display_name=_name(sender))])

    # -- outbound ----------------------------------------------------------------------------------

    def render(self, chat_id: str, reply: Reply, lang: str) -> list[dict[str, Any]]:
        parts = split_text(reply.text, LIMIT - 200) if reply.text else [""]
        requests: list[dict[str, Any]] = []
        for index, part in enumerate(parts):
            request: dict[str, Any] = {"chat_id": chat_id, "text": to_html(part) or "…", "parse_mode": "HTML",
                                       "disable_web_page_preview": True}
            if index == len(parts) - 1:
                markup = self.keyboard(reply, lang)
                if markup:
                    request["reply_markup"] = markup
            requests.append(request)
        return requests

    def keyboard(self, reply: Reply, lang: str) -> dict[str, Any] | None:
        if reply.request_contact:
            rows = [[{"text": SHARE_CONTACT.get(lang, SHARE_CONTACT["en"]), "request_contact": True}],
                    [{"text": CANCEL.get(lang, CANCEL["en"])}]]
            return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
        if not reply.buttons:
            return None
        rows = []
        for button in reply.buttons:
            if button.payload.startswith("url:"):
                rows.append([{"text": button.title[:64], "url": button.payload[4:]}])
            elif len(button.payload.encode()) <= CALLBACK_DATA_LIMIT:
                rows.append([{"text": button.title[:64], "callback_data": button.payload}])
        return {"inline_keyboard": rows} if rows else None

    async def send(self, request: dict[str, Any], dedupe: int, text: str | None = None) -> None:
        """sendMessage. 429 → RetryLater(retry_after); 400/401/403/404 (blocked by the user, chat
        gone, a bad request) → SendFailed, never retried; anything else (5xx, a timeout, a broken
        connection, an answer that is not the Bot API's) raises, and the message is tried again.
        `text`, the request's JSON from the outbox, is posted as it is."""
        if self._http is None or self._http.closed:
            import aiohttp

            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout),
                                               connector=aiohttp.TCPConnector(limit=100))
        body = (text if text is not None else json.dumps(request, ensure_ascii=False)).encode()
        async with self._http.post(self._send_url, data=body, headers=JSON_HEADERS) as response:
            raw = await response.read()
            status = response.status
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise TelegramError(f"Telegram answered HTTP {status} with no Bot API response")
        if answer.get("ok") is True:
            return
        code = answer.get("error_code", status)
        description = str(answer.get("description", ""))[:300]
        if code == 429:
            parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
            retry_after = parameters.get("retry_after", 1)
            seconds = float(retry_after) if isinstance(retry_after, int | float) and retry_after >= 0 else 1.0
            raise RetryLater(seconds, "429 retry after")
        if code in (400, 401, 403, 404):
            raise SendFailed(f"Telegram {code}: {description}")
        raise TelegramError(f"Telegram {code}: {description}")

    async def ack(self, ack: dict[str, Any]) -> None:
        """Answer a callback query (polling mode; the webhook answers in its response)."""
        if ack.get("method") == "answerCallbackQuery" and ack.get("callback_query_id"):
            try:
                await asyncio.wait_for(self.bot.answer_callback_query(ack["callback_query_id"]), timeout=self.timeout)
            except Exception as exc:  # late or already answered: the button still works
                log.info("telegram: callback answer failed: %r", exc)

    # -- set-up ------------------------------------------------------------------------------------

    async def set_webhook(self, url: str, secret: str) -> bool:
        return await self.bot.set_webhook(url, secret_token=secret, allowed_updates=["message", "callback_query"],
                                          drop_pending_updates=False)

    async def delete_webhook(self) -> bool:
        return await self.bot.delete_webhook(drop_pending_updates=False)

    async def poll(self, accept: Any, stop: asyncio.Event) -> None:
        """Long polling: each update is stored before the next getUpdates acknowledges it."""
        offset: int | None = None
        await self.bot.delete_webhook(drop_pending_updates=False)
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=25,
                                                     allowed_updates=["message", "callback_query"],
                                                     request_timeout=35)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("telegram: getUpdates failed: %r", exc)
                await asyncio.sleep(3)
                continue
            for update in updates:
                raw = update.model_dump(mode="json", exclude_none=True, by_alias=True)
                await accept(raw)
                parsed = self.parse(raw)
                if parsed.ack:
                    await self.ack(parsed.ack)
                offset = update.update_id + 1


def _button_title(message: dict[str, Any], data: str) -> str | None:
    """The title of the pressed button, from the keyboard of the message it was under (Telegram
    sends that message with the press): what the subscriber "said"."""
    markup = message.get("reply_markup") if isinstance(message, dict) else None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return button["text"][:200]
    return None


def _lang(user: dict[str, Any]) -> str | None:
    code = str(user.get("language_code") or "")[:2]
    return code if code in ("ru", "en") else None


def _name(user: dict[str, Any]) -> str:
    return " ".join(str(user.get(k)) for k in ("first_name", "last_name") if user.get(k))[:100]


class TelegramChannel(Channel):
    """POST /webhooks/telegram: the secret token checked in constant time, the update stored,
    then 200 (a button press is answered in the response itself)."""

    name = "telegram"

    def __init__(self, adapter: TelegramAdapter, secret: str | None, polling: bool) -> None:
        super().__init__(adapter, polling)
        self.secret = secret

    @classmethod
    def from_config(cls, settings: TelegramSettings, secret_of: Secrets) -> TelegramChannel | None:
        token = secret_of(settings.token_env)
        if not token:
            return None
        secret = secret_of(settings.webhook_secret_env)
        if settings.mode == "webhook" and not secret:
            raise ChannelConfigError(f"Telegram: {settings.token_env} is set but {settings.webhook_secret_env} is not "
                                     "(webhook mode needs a secret token; or set [channels.telegram] mode = \"polling\")")
        if (secret and not all(c.isalnum() or c in "_-" for c in secret)) or (secret and len(secret) > 256):
            raise ChannelConfigError(f"Telegram: {settings.webhook_secret_env} may hold only A-Z, a-z, 0-9, _ and - (1-256)")
        adapter = TelegramAdapter(token, settings.api_url, settings.timeout_seconds)
        return cls(adapter, secret, polling=settings.mode == "polling")

    def routes(self) -> list[web.RouteDef]:
        from aiohttp import web

        return [web.post("/webhooks/telegram", self.webhook)]

    async def webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        self._runner()
        if not same_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), self.secret):
            raise web.HTTPUnauthorized(text="bad secret token")
        update, raw = await read_json(request)
        parsed = self.parse(update)
        await self.accept(update, raw, parsed)  # stored before we answer
        if parsed is not None and parsed.ack:  # answer the button press at once, in the webhook's response
            return web.json_response(parsed.ack)
        return web.Response(status=200)
