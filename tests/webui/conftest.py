"""Fixtures for the web tests: the application in-process (`servers.AppServer`: `create_app`
on a loopback port, a temporary database), agents (made by the admin's console socket, or by
`supportbot agents add`), raw HTTP/WebSocket clients (aiohttp) that read like the browser pages
do, and a Chromium browser (Playwright).

The browser and security tests share one server; the login-throttling tests have their own
(they lock an address out), the restart tests a `supportbot serve` process (they stop it).

    server.url, server.db, server.cli("sms", "outbox", "--phone", "+79990000001", "--last")
    agent = await new_agent(server, name="Ольга")        # a role-`agent` account (or server.add_agent: the CLI)
    chat = await ChatClient.open(http, server)            # a new visitor on /ws/chat
    replies = await chat.ask("что такое личный кабинет")  # the bot's answer messages
    console = await ConsoleClient.open(server, agent)     # login form + /ws/console
    result = await console.op("queue")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from clients import ChatClient, ConsoleClient, FrameReader, console_login, new_agent, queued_chat
from servers import ADMIN_PASSWORD, AGENT_PASSWORD, AgentAccount, AppServer, ProcessServer

from supportbot.runtime import IndexCache

Server = AppServer | ProcessServer
FOREIGN_ORIGIN = "https://evil.example.com"

__all__ = ["ADMIN_PASSWORD", "AGENT_PASSWORD", "AgentAccount", "ChatClient", "ConsoleClient", "FrameReader",
           "console_login", "new_agent", "queued_chat"]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache) -> AsyncIterator[AppServer]:
    """The application on a fresh database, shared by the browser and security tests (each test
    makes its own visitors and agents)."""
    srv = await AppServer(tmp_path_factory.mktemp("server"), cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture(scope="session")
async def proxy_server(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache) -> AsyncIterator[AppServer]:
    """A server configured to sit behind our own reverse proxy (trust_proxy = true); the login
    throttling tests lock it."""
    srv = await AppServer(tmp_path_factory.mktemp("proxy"), {"web": {"trust_proxy": True}}, cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture(scope="session")
def restart_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """`supportbot serve` as a process, stopped and started again by the restart tests."""
    srv = ProcessServer(tmp_path_factory.mktemp("restart")).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client with its own cookie jar (which also keeps cookies for 127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session




# -- raw clients ----------------------------------------------------------------------------------
