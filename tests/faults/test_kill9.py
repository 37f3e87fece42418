"""Findings 1 and 2: kill -9 with 200 messages in flight, once each for the web chat and
Telegram (each run starts `supportbot serve` twice; `bench/kill9.py` runs ten of each and prints
every run). Nothing may be lost; Telegram may double only the replies the server was sending at
the kill (the documented at-least-once window), and the server counts those."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakePlatform, channel_env, channel_settings
from servers import ProcessServer

from .kill9 import telegram_run, webchat_run

pytestmark = pytest.mark.timeout(400)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePlatform]:
    with FakePlatform() as platform:
        yield platform


async def test_finding_01_web_chat_kill9_with_200_in_flight_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    server = ProcessServer(tmp_path).start()
    try:
        run = await webchat_run(server, 200)
    finally:
        server.stop()
    assert run.acked_before_kill < 200, run.line()  # the kill came with messages in flight
    assert (run.lost, run.doubled) == (0, 0), run.line()


async def test_finding_02_telegram_kill9_with_200_updates_loses_nothing_and_doubles_only_in_the_window(
        tmp_path: Path, fake: FakePlatform) -> None:
    server = ProcessServer(tmp_path, {"channels": channel_settings(fake.url)}, channel_env(("telegram",))).start()
    try:
        run = await telegram_run(server, fake, 200)
    finally:
        server.stop()
    assert run.acked_before_kill < 200, run.line()
    assert run.lost == 0, run.line()
    assert run.doubled <= run.in_doubt, run.line()  # only replies the server was sending when it died
