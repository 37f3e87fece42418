"""Fixtures for the knowledge-editor and analytics tests.

The application runs in-process (`servers.AppServer`: `create_app` on a loopback port) on a
temporary database, one server per test module, with an `editor` and an `agent` account.
Helpers:

    api = await Api.login(server, server.editor)       # the console's login form, then JSON calls
    status, data = await api.post("/api/kb/save", {...})   # with the session's X-CSRF-Token
    texts = await ask(server, "как позвонить из роуминга")   # a new web-chat visitor's answer texts
    page = await open_page(browser, server, server.editor, "/editor")   # Playwright, signed in
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from servers import AppServer

from supportbot.runtime import IndexCache

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
PASSWORD = "editor-password-2024"


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: str
    password: str = PASSWORD


class Server(AppServer):
    """The application with the two accounts the editor tests sign in as."""

    editor = Account("editor", "Редактор", "editor")
    agent = Account("agent", "Агент", "agent")


class ClosingBrowser:
    """The session's Chromium for one test: the contexts the test opens are closed after it (an open
    page keeps rendering, ticking and holding its sockets for the rest of the run)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.contexts: list[Any] = []

    async def new_context(self, **options: Any) -> Any:
        context = await self._browser.new_context(**options)
        self.contexts.append(context)
        return context


@pytest.fixture
async def browser(browser: Any) -> AsyncIterator[ClosingBrowser]:
    """The shared Chromium (tests/conftest.py), whose contexts this test opens are closed after it."""
    own = ClosingBrowser(browser)
    try:
        yield own
    finally:
        for context in own.contexts:
            await context.close()


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache) -> AsyncIterator[Server]:
    """One server per test module, on a fresh database, with an `editor` and an `agent` account."""
    srv = Server(tmp_path_factory.mktemp("editor"), cache=index_cache, db_name="editor.db")
    await srv.start()
    try:
        for account in (srv.editor, srv.agent):
            await srv.create_agent(account.login, account.name, account.role, account.password)
        yield srv
    finally:
        await srv.close()


# -- the JSON API, signed in --------------------------------------------------------------------------


async def form_login(http: aiohttp.ClientSession, server: Server, login: str, password: str) -> int:
    """The console's login form as a browser submits it; the response status (302 on success)."""
    async with http.get(server.url + "/console/login") as page:
        assert page.status == 200
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
        assert found, "no CSRF field on the login page"
    async with http.post(server.url + "/console/login", allow_redirects=False,
                         data={"login": login, "password": password, "csrf": found.group(1)}) as response:
        return response.status


class Api:
    """An HTTP client with its own cookie jar; signed in unless made with `anonymous`."""

    def __init__(self, server: Server, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.csrf = ""

    @classmethod
    def anonymous(cls, server: Server) -> Api:
        return cls(server, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))

    @classmethod
    async def login(cls, server: Server, account: Account) -> Api:
        api = cls.anonymous(server)
        status = await form_login(api.http, server, account.login, account.password)
        assert status == 302, f"login of {account.login} failed: {status}"
        status, me = await api.get("/api/console/me")
        assert status == 200, me
        api.csrf = me["csrf"]
        return api

    async def _json(self, response: aiohttp.ClientResponse) -> Any:
        text = await response.text()
        try:
            return await response.json(content_type=None) if text else None
        except ValueError:
            return text

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(self.server.url + path, params=params) as response:
            return response.status, await self._json(response)

    async def get_text(self, path: str, **params: str) -> tuple[int, str, Any]:
        async with self.http.get(self.server.url + path, params=params) as response:
            return response.status, (await response.read()).decode("utf-8-sig"), response.headers

    async def post(self, path: str, body: Any = None, csrf: str | None = "session") -> tuple[int, Any]:
        headers = {}
        if csrf == "session":
            headers["X-CSRF-Token"] = self.csrf
        elif csrf is not None:
            headers["X-CSRF-Token"] = csrf
        async with self.http.post(self.server.url + path, json=body, headers=headers) as response:
            return response.status, await self._json(response)

    # conveniences

    async def entry(self, entry_id: str) -> dict[str, Any]:
        status, data = await self.get(f"/api/kb/entries/{entry_id}")
        assert status == 200, data
        return data["entry"]

    async def revision(self) -> int:
        status, data = await self.get("/api/kb/entries")
        assert status == 200, data
        return int(data["revision"])

    async def revisions(self) -> list[dict[str, Any]]:
        status, data = await self.get("/api/kb/revisions")
        assert status == 200, data
        return list(data["revisions"])

    async def save(self, entry: dict[str, Any], **extra: Any) -> tuple[int, Any]:
        return await self.post("/api/kb/save", {"entry": entry, **extra})

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def editor_api(server: Server) -> AsyncIterator[Api]:
    api = await Api.login(server, server.editor)
    try:
        yield api
    finally:
        await api.close()


# -- the web chat -------------------------------------------------------------------------------------


class Chat:
    """A web-chat visitor on /ws/chat, as chat.js is."""

    def __init__(self, server: Server, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.server = server
        self.http = http
        self.ws = ws

    @classmethod
    async def open(cls, server: Server, lang: str = "ru") -> Chat:
        http = aiohttp.ClientSession()
        try:
            async with http.post(server.url + "/api/chat/session", json={}, headers=server.origin) as response:
                assert response.status == 200, await response.text()
                token = (await response.json())["token"]
            ws = await http.ws_connect(server.url + "/ws/chat", params={"token": token, "lang": lang},
                                       headers=server.origin)
            first = await ws.receive_json(timeout=10)
            assert first["type"] == "history", first
        except BaseException:
            await http.close()
            raise
        return cls(server, http, ws)

    async def ask(self, text: str, timeout: float = 15) -> list[str]:
        """Say `text`; the texts of the messages that answered it."""
        await self.ws.send_json({"type": "say", "text": text})
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.receive_json()
                if frame.get("type") == "error":
                    raise AssertionError(f"chat error for {text!r}: {frame}")
                if frame.get("type") == "messages":
                    out = [m["text"] for m in frame["messages"] if m["direction"] != "in"]
                    if out:
                        return out

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


async def ask(server: Server, text: str) -> list[str]:
    """What the bot answers a new visitor who says `text` (the reply texts)."""
    chat = await Chat.open(server)
    try:
        return await chat.ask(text)
    finally:
        await chat.close()


def answer_text(entry: dict[str, Any], lang: str = "ru") -> str:
    return str(entry["answer"][lang])


async def answers_with(server: Server, text: str, answer: str) -> bool:
    """Whether a new visitor saying `text` gets `answer` (an entry's answer text) back."""
    return answer in await ask(server, text)


# -- the browser -------------------------------------------------------------------------------------




async def open_page(browser: Any, server: Server, account: Account | None, path: str | None,
                    **context_options: Any) -> Any:
    """A new browser context; signed in through the login form when `account` is given; then `path`."""
    context = await browser.new_context(**context_options)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    if account is not None:
        await page.goto(server.url + "/console/login")
        await page.fill("input[name=login]", account.login)
        await page.fill("input[name=password]", account.password)
        await page.click("button[type=submit]")
        await page.wait_for_url(server.url + "/console")
    if path is not None:
        await page.goto(server.url + path)
    return page
