"""Shared fixtures: a real runtime on a temporary SQLite file, and a chat client that reads
like a conversation: `reply = await bot.say("баланс")`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dbaccess
import pytest

from intents.matcher import Matcher
from intents.normalize import Normalizer
from intents.replies import Contact, Incoming, Outcome
from kernel.clock import parse_now
from knowledge import loader
from knowledge.model import KnowledgeBase
from supportbot.config import Config, load_config
from supportbot.runtime import IndexCache, Runtime, open_runtime

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL + Redis run leaves out what touches no database or bus (`storage_free`), what
    checks the bot's words through a runtime whose storage only holds the conversation (`wording`),
    and the pages in Chromium (the browser tests' group: a page shows what the server sends on any
    storage, and the run covers those server paths with raw HTTP and WebSocket clients): the SQLite
    run has covered them, and they would test nothing new there."""
    if load_config().storage.backend != "postgres":
        return

    def once(item: pytest.Item) -> bool:
        group = item.get_closest_marker("xdist_group")
        return (item.get_closest_marker("storage_free") is not None or item.get_closest_marker("wording") is not None
                or (group is not None and group.args[:1] == ("browser",)))

    kept = [item for item in items if not once(item)]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """The test workers group tests by `xdist_group` (one Chromium, one aiogram import, one login-throttled
    server per run); pytest 9.2 with pytest-xdist 3.8 silently stopped grouping (every browser test's worker
    started its own Chromium: ~30 s of CPU). Refuse to run ungrouped rather than pay that unnoticed."""
    if not getattr(session.config.option, "loadgroup", False):  # set on the workers of `-n N --dist loadgroup`
        return
    ungrouped = [item.nodeid for item in session.items
                 if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid]
    if ungrouped:
        raise pytest.UsageError(f"--dist loadgroup does not group {ungrouped[0]} (and {len(ungrouped) - 1} more):"
                                " this pytest-xdist cannot mark node ids of this pytest; see pyproject.toml")


@pytest.fixture(scope="session")
def normalizer() -> Normalizer:
    return Normalizer()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return loader.load()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase, normalizer: Normalizer) -> Matcher:
    return Matcher(kb, normalizer, Config().understanding.threshold)


@pytest.fixture
def config() -> Config:
    """The defaults, or the backends chosen for this run (SUPPORTBOT_CONFIG, see scripts/test); console
    passwords hashed at argon2's lowest cost (the product's costs ~0.3 s of CPU a login, which the tests
    of login throttling would pay 60 times)."""
    from servers import CHEAP_PASSWORDS

    config = load_config()
    config.web = config.web.model_copy(update=CHEAP_PASSWORDS)
    return config


@pytest.fixture(scope="session")
def index_cache() -> IndexCache:
    """Knowledge indexes shared by the tests' runtimes (built once per content)."""
    from account_helpers import INDEX_CACHE

    return INDEX_CACHE


@pytest.fixture
async def runtime(tmp_path: Path, config: Config, index_cache: IndexCache) -> AsyncIterator[Runtime]:
    """A real runtime on a database of its own (starting as a copy of a first start's: `dbaccess.fresh`)."""
    db = await dbaccess.fresh(tmp_path / "test.db", index_cache)
    rt = await open_runtime(config, db, cache=index_cache)
    try:
        yield rt
    finally:
        await rt.close()
        await dbaccess.release(db)  # PostgreSQL: the schema, emptied, serves the next test


# Debian's Chromium, in its headless form when installed (`chromium-headless-shell`: the old headless
# mode, which Playwright's own headless runs use too): the same Blink and V8 without the full browser's
# machinery — the 22 browser tests cost half the machine's CPU (2026-12-04: 33 s instead of 63 s, 19 s
# instead of 31 s of it seen by `time`, 35 s instead of 46 s wall). The full `chromium` otherwise.
CHROMIUM = next((path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if os.access(path, os.X_OK)),
                "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Chromium (Playwright driving Debian's), one for the test process; each test opens browser
    contexts of its own. The browser tests share an xdist group, so one worker runs them all."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


class ChatClient:
    """One user talking to the core, as any channel would."""

    def __init__(self, runtime: Runtime, user: str = "u1", channel: str = "test") -> None:
        self.runtime = runtime
        self.user = user
        self.channel = channel
        self.last: Outcome | None = None

    async def say(self, text: str = "", *, now: str | datetime | None = None, button: str | None = None,
                  lang: str | None = None, contact: Contact | None = None) -> Outcome:
        when = parse_now(now) if isinstance(now, str) else now
        self.last = await self.runtime.core.handle(Incoming(
            channel=self.channel, user_id=self.user, chat_id=self.user, text=text, button=button, lang_hint=lang,
            now=when, contact=contact))
        return self.last

    async def press(self, payload: str, **kwargs: object) -> Outcome:
        return await self.say("", button=payload, **kwargs)  # type: ignore[arg-type]

    def button(self, title_part: str) -> str:
        """The payload of a button of the last reply whose title contains `title_part`."""
        assert self.last is not None
        for b in self.last.buttons:
            if title_part.lower() in b.title.lower():
                return b.payload
        raise AssertionError(f"no button like {title_part!r} in {[b.title for b in self.last.buttons]}")


@pytest.fixture
def bot(runtime: Runtime) -> ChatClient:
    return ChatClient(runtime)


def chat_in_process(lines: list[dict | str], db: Path) -> list[dict]:
    """What `supportbot chat --jsonl --db DB` answers to `lines`, one output per input line, answered
    in this process by the command's own line handler (`supportbot.cli.jsonl_reply`) on a runtime
    with the tests' index cache: for scenarios whose subject is not the process (the command's
    contract as a process is `run_jsonl`'s, in tests/test_cli_jsonl.py). Not inside a running loop."""
    import asyncio

    from account_helpers import INDEX_CACHE

    from supportbot.cli import jsonl_reply

    async def session() -> list[dict]:
        runtime = await open_runtime(load_config(), str(db), cache=INDEX_CACHE)
        try:
            raw = [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines]
            # through JSON and back, as the process's output would be read
            return [json.loads(json.dumps(await jsonl_reply(runtime, line), ensure_ascii=False)) for line in raw]
        finally:
            await runtime.close()

    return asyncio.run(session())


def run_jsonl(lines: list[dict | str], db: Path, timeout: float = 60) -> list[dict]:
    """Drive `supportbot chat --jsonl` as a subprocess; one output per input line."""
    payload = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines)
    exe = Path(sys.executable).parent / "supportbot"
    result = subprocess.run([str(exe), "chat", "--jsonl", "--db", str(db)], input=payload, capture_output=True,
                            text=True, timeout=timeout, cwd=ROOT, env={**os.environ}, check=False)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]
