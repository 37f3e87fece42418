"""Fixtures of the fault and abuse suite: the application in-process (one shared by most tests,
each making its own visitors), an HTTP client, and raw sockets that read like the pages do.
Tests that need a process (kill -9) start their own `supportbot serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from servers import AppServer

from supportbot.runtime import IndexCache


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache) -> AsyncIterator[AppServer]:
    srv = await AppServer(tmp_path_factory.mktemp("faults"), cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
