"""TelegramAdapter.send against a loopback server speaking the Bot API: the request is the
outbox's JSON as it is, and each kind of answer maps to what the delivery runner does with
it (done, retry after N seconds, refused for good, tried again)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bots.base import RetryLater, SendFailed
from bots.telegram import TelegramAdapter, TelegramError
from intents.replies import Button, Reply

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

TOKEN = "123456:TEST"


class BotApi:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.bodies: list[bytes] = []
        self.answer: tuple[int, str, str] = (200, "application/json", "")

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.bodies.append(raw)
        self.requests.append((request.path, request.content_type, json.loads(raw)))
        status, content_type, text = self.answer
        return web.Response(status=status, text=text, content_type=content_type)

    def answers(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.answer = (status, content_type, body if isinstance(body, str) else json.dumps(body))


@pytest.fixture
async def api() -> AsyncIterator[tuple[BotApi, TelegramAdapter]]:
    fake = BotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    adapter = TelegramAdapter(TOKEN, f"http://127.0.0.1:{port}", timeout=5)
    yield fake, adapter
    await adapter.close()
    await runner.cleanup()


MESSAGE = {"ok": True, "result": {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hi"}}


async def test_the_request_is_the_outbox_json_posted_to_sendmessage(api: tuple[BotApi, TelegramAdapter]) -> None:
    fake, adapter = api
    fake.answers(200, MESSAGE)
    request = adapter.render("42", Reply("**Баланс** — *100 ₽*", [Button("Ещё", "kb:balance")]), "ru")[0]
    await adapter.send(request, 1)
    [(path, content_type, body)] = fake.requests
    assert path == f"/bot{TOKEN}/sendMessage"
    assert content_type == "application/json"
    assert body["chat_id"] == "42" and body["parse_mode"] == "HTML"
    assert body["text"] == "<b>Баланс</b> — *100 ₽*"
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "Ещё", "callback_data": "kb:balance"}]]}


async def test_429_is_retry_after_its_seconds(api: tuple[BotApi, TelegramAdapter]) -> None:
    fake, adapter = api
    fake.answers(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                       "parameters": {"retry_after": 7}})
    with pytest.raises(RetryLater) as caught:
        await adapter.send({"chat_id": "42", "text": "x"}, 1)
    assert caught.value.seconds == 7.0


@pytest.mark.parametrize("code,description", [(400, "Bad Request: chat not found"),
                                              (403, "Forbidden: bot was blocked by the user"),
                                              (401, "Unauthorized"), (404, "Not Found")])
async def test_refusals_are_final(api: tuple[BotApi, TelegramAdapter], code: int, description: str) -> None:
    fake, adapter = api
    fake.answers(code, {"ok": False, "error_code": code, "description": description})
    with pytest.raises(SendFailed, match=description):
        await adapter.send({"chat_id": "42", "text": "x"}, 1)


@pytest.mark.parametrize("status,body,content_type", [
    (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}, "application/json"),
    (502, "<html><body>502 Bad Gateway</body></html>", "text/html"),  # a proxy in front of the API
    (200, "[]", "application/json"),  # not the Bot API's answer at all
])
async def test_server_trouble_is_tried_again(api: tuple[BotApi, TelegramAdapter], status: int, body: Any,
                                             content_type: str) -> None:
    fake, adapter = api
    fake.answers(status, body, content_type)
    with pytest.raises(TelegramError) as caught:
        await adapter.send({"chat_id": "42", "text": "x"}, 1)
    assert not isinstance(caught.value, SendFailed | RetryLater)
    assert str(status) in str(caught.value)


async def test_an_unreachable_api_raises_a_network_error_not_a_refusal() -> None:
    adapter = TelegramAdapter(TOKEN, "http://127.0.0.1:9", timeout=2)  # nothing listens on the discard port
    try:
        with pytest.raises(Exception) as caught:
            await adapter.send({"chat_id": "42", "text": "x"}, 1)
        assert not isinstance(caught.value, SendFailed | RetryLater)
    finally:
        await adapter.close()


async def test_the_outbox_text_is_posted_as_it_is(api: tuple[BotApi, TelegramAdapter]) -> None:
    fake, adapter = api
    fake.answers(200, MESSAGE)
    request = {"chat_id": "42", "text": "Привет", "parse_mode": "HTML"}
    text = json.dumps(request, ensure_ascii=False, indent=1)  # laid out unlike a fresh encoding
    await adapter.send(request, 1, text)
    [(_, content_type, body)] = fake.requests
    assert content_type == "application/json" and body == request
    assert fake.bodies == [text.encode()]
