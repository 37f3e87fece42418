"""Helpers for the account-action tests (test_login, test_actions_e2e, test_actions_property).

- `open_fast_runtime`: the real `open_runtime` on a fresh database, with an `IndexCache` so the
  knowledge index (the slow part) is built once per content and test process.
- `login`: log a `ChatClient` in the way a subscriber does (action → number → code from the
  SMS outbox).
- small readers: the code in an SMS, ledger snapshots, the confirm payload of a reply.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dbaccess
from conftest import ChatClient

from intents.replies import Outcome
from supportbot.config import Config, load_config
from supportbot.runtime import IndexCache, Runtime, open_runtime

CODE_IN_SMS = re.compile(r"(?<!\d)(\d{6})(?!\d)")

INDEX_CACHE = IndexCache()  # the test process's one (the `index_cache` fixture gives it too)


async def open_fast_runtime(db_path: str | Path, config: Config | None = None) -> Runtime:
    """`open_runtime(config, db_path)` with the knowledge index shared between calls."""
    return await open_runtime(config or load_config(), await dbaccess.fresh(db_path, INDEX_CACHE), cache=INDEX_CACHE)


def now_utc() -> datetime:
    """A clock close to the real one (the demo data is seeded relative to the real clock)."""
    return datetime.now(UTC).replace(microsecond=0)


def code_of(sms_text: str) -> str:
    match = CODE_IN_SMS.search(sms_text)
    assert match, f"no 6-digit code in the SMS {sms_text!r}"
    return match.group(1)


async def last_code(rt: Runtime, phone: str) -> str:
    messages = await rt.sms.outbox(phone)
    assert messages, f"no SMS was sent to {phone}"
    return code_of(messages[-1]["text"])


async def login(bot: ChatClient, phone: str, now: datetime, first: str = "какой у меня баланс") -> Outcome:
    """Log in as a subscriber would: an action request, the number, the code from the SMS."""
    asked = await bot.say(first, now=now)
    assert asked.action is not None, asked.text
    sent = await bot.say(phone, now=now)
    assert "код" in sent.text.lower(), sent.text
    done = await bot.say(await last_code(bot.runtime, phone), now=now)
    assert "Вы вошли" in done.text, done.text
    return done


def confirm_payload(outcome: Outcome) -> str | None:
    for button in outcome.buttons:
        if button.payload.startswith("act:yes:"):
            return button.payload
    return None


def option_payloads(outcome: Outcome) -> list[str]:
    return [b.payload for b in outcome.buttons if b.payload.startswith("act:opt:")]


async def ledger_ids(rt: Runtime, subscriber_id: int) -> set[int]:
    return {int(r["id"]) for r in await rt.billing.ledger(subscriber_id)}


async def new_rows(rt: Runtime, subscriber_id: int, before: set[int]) -> list[dict[str, Any]]:
    return [r for r in await rt.billing.ledger(subscriber_id) if int(r["id"]) not in before]
