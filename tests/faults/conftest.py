"""Fixtures of the fault and abuse suite.

- `server`: the application in-process with all three channels pointed at the fake platforms,
  shared by most tests (each makes its own visitors and chats); the tests' lifted per-address limits.
- `limited`: another, with the product's own limits and one trusted proxy in front, so that a
  test picks its client address with X-Forwarded-For (and the limits count per address).
- kill -9 tests start their own `supportbot serve` processes (tests/faults/kill9.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from fakes import FakePlatform, channel_env, channel_settings
from servers import AppServer

from supportbot.config import LimitsConfig
from supportbot.runtime import IndexCache

ALL = ("telegram", "vk", "viber")


@pytest.fixture(scope="package")
def fake() -> Iterator[FakePlatform]:
    with FakePlatform() as platform:
        yield platform


@pytest.fixture(scope="package")
async def server(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache, fake: FakePlatform
                 ) -> AsyncIterator[AppServer]:
    srv = await AppServer(tmp_path_factory.mktemp("faults"), {"channels": channel_settings(fake.url)},
                          channel_env(ALL), cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture(scope="package")
async def limited(tmp_path_factory: pytest.TempPathFactory, index_cache: IndexCache) -> AsyncIterator[AppServer]:
    srv = await AppServer(tmp_path_factory.mktemp("limited"), {"limits": LimitsConfig().model_dump(),
                                                               "web": {"proxy_hops": 1}}, cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
