"""Fixtures for the messenger channel tests: the fake platforms (`fakes.FakePlatform`, one for
the package) and the product pointed at them.

`server` is the application in-process (`servers.AppServer`: `create_app` on a loopback port)
with all three channels, shared by the tests that neither restart nor reconfigure it; each
test tells its requests apart by chat. `process_server` is `supportbot serve` as a subprocess,
for the tests where the process matters (kill -9 and a restart).

    status, body = await post_telegram(http, server, tg_text(chat, "баланс"))
    [call] = await fake.wait(tg_sent(chat))            # the reply, as the platform received it
    server.query("SELECT status FROM outbox")          # the server's database
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes import (  # noqa: F401 - the tests import these from here
    TG_SECRET,
    TG_TOKEN,
    VIBER_SENDER,
    VIBER_TOKEN,
    VK_CONFIRMATION,
    VK_GROUP,
    VK_SECRET,
    VK_TOKEN,
    Call,
    FakePlatform,
    body_of,
    channel_env,
    channel_settings,
    load,
    new_chat,
    new_id,
    new_viber_user,
    tg_contact,
    tg_payload,
    tg_press,
    tg_sent,
    tg_text,
    to_chat,
    viber_sent,
    viber_sign,
    viber_text,
    viber_update,
    vk_press,
    vk_sent,
    vk_text,
    vk_update,
)
from servers import ADMIN_PASSWORD, AppServer, ProcessServer, merged

from supportbot.runtime import IndexCache

Server = AppServer | ProcessServer
PHONE = "+79990000001"  # a demo subscriber of the sandbox billing
ONLY_TEXT = "Я понимаю только текст"  # the core's "empty" answer (knowledge/messages.yaml)
ALL = ("telegram", "vk", "viber")
# Telegram paced at 20 messages a second per chat on the shared server, as the rate-limit tests expect
SHARED_SETTINGS = {"channels": {"telegram": {"per_second": 1000.0, "per_chat_per_second": 20.0}}}


def channels_server(kind: type[AppServer] | type[ProcessServer], workdir: Path, fake: FakePlatform,
                    channels: tuple[str, ...] = ALL, settings: dict[str, Any] | None = None,
                    secrets: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """A server (in-process or a process) with these channels turned on and pointed at the fake."""
    return kind(workdir, merged({"channels": channel_settings(fake.url)}, settings or {}),
                {**channel_env(channels), **(secrets or {})}, db_name="channels.db", **kwargs)


# -- posting to the real webhooks ---------------------------------------------------------------------


async def post_telegram(http: aiohttp.ClientSession, server: Any, update: dict[str, Any] | None = None, *,
                        secret: str | None = TG_SECRET, raw: bytes | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = raw if raw is not None else body_of(update or {})
    async with http.post(server.url + "/webhooks/telegram", data=data, headers=headers) as response:
        return response.status, await response.text()


async def post_vk(http: aiohttp.ClientSession, server: Any, update: dict[str, Any]) -> tuple[int, str]:
    async with http.post(server.url + "/webhooks/vk", data=body_of(update),
                         headers={"Content-Type": "application/json"}) as response:
        return response.status, await response.text()


async def post_viber(http: aiohttp.ClientSession, server: Any, update: dict[str, Any] | None = None, *,
                     signature: str | None = "sign", raw: bytes | None = None) -> tuple[int, str]:
    data = raw if raw is not None else body_of(update or {})
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Viber-Content-Signature"] = viber_sign(data)
    elif signature is not None:
        headers["X-Viber-Content-Signature"] = signature
    async with http.post(server.url + "/webhooks/viber", data=data, headers=headers) as response:
        return response.status, await response.text()


# -- the agent console (login form + /ws/console), as console.js uses it -----------------------------------


class Console:
    def __init__(self, server: Any, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.server = server
        self.http = http
        self.ws = ws
        self.seq = 0

    @classmethod
    async def open(cls, server: Any, login: str = "admin", password: str = ADMIN_PASSWORD) -> Console:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            async with http.get(server.url + "/console/login") as page:
                found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
                assert found, "no CSRF field on the login page"
            async with http.post(server.url + "/console/login", allow_redirects=False,
                                 data={"csrf": found.group(1), "login": login, "password": password}) as response:
                assert response.status == 302, f"console login failed: {response.status}"
            ws = await http.ws_connect(server.url + "/ws/console", headers={"Origin": server.url})
        except BaseException:
            await http.close()
            raise
        return cls(server, http, ws)

    async def op(self, op: str, timeout: float = 10, **data: Any) -> dict[str, Any]:
        self.seq += 1
        await self.ws.send_json({"id": self.seq, "op": op, **data})
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"console socket: {msg.type}")
                frame = json.loads(msg.data)
                if frame.get("type") == "result" and frame.get("id") == self.seq:
                    assert frame["ok"], frame
                    return frame

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def fake() -> Iterator[FakePlatform]:
    """One fake platform for these tests (they tell their requests apart by chat)."""
    with FakePlatform() as platform:
        yield platform


@pytest.fixture(scope="package")
async def server(fake: FakePlatform, tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache
                 ) -> AsyncIterator[AppServer]:
    """The application with all three channels, in-process, shared by the tests that neither restart
    nor reconfigure it."""
    srv = channels_server(AppServer, tmp_path_factory.mktemp("shared"), fake, settings=SHARED_SETTINGS,
                          cache=index_cache)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
def process_server(fake: FakePlatform, tmp_path: Path) -> Iterator[ProcessServer]:
    """`supportbot serve` with all three channels as a process of its own (for kill -9 and restarts)."""
    srv = channels_server(ProcessServer, tmp_path, fake, settings=SHARED_SETTINGS).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True)
def _fake_behaves(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with a fake that answers everything normally."""
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()
    yield
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
