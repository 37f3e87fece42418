"""What one message costs the database on the Telegram path: the statements the runner and the core
send for a plain question in an existing conversation, from the webhook's store to the reply marked
sent (the database wrapper counts them: BEGIN, COMMIT and locks included). A count, not a time.

On PostgreSQL (the scaled deployment) the turn, its replies queued and the update marked done are
one statement; SQLite (one process, calls on a thread of its own, no network round trips) runs the
same writes as a transaction of single statements."""

from __future__ import annotations

from typing import Any

from fakes import TG_TOKEN, FakePlatform, new_chat, tg_sent, tg_text

from bots.delivery import ChannelRunner
from bots.ratelimit import Pacer
from bots.telegram import TelegramAdapter
from kernel.clock import utcnow
from supportbot.runtime import Runtime

LIMIT = {"postgres": 8, "sqlite": 16}


async def one_update(runner: ChannelRunner, update: dict[str, Any]) -> None:
    """What the webhook and the two loops do for one update, driven step by step (no loop runs, so
    nothing else is counted): store, claim, turn, claim the reply, send it, mark it sent."""
    assert await runner.accept(update)
    rows = await runner.inbox.claim(runner.name, runner.instance, utcnow())
    assert len(rows) == 1
    await runner._process_batch(rows)
    outgoing = await runner.outbox.claim(runner.name, runner.instance, utcnow())
    assert len(outgoing) == 1
    for row in outgoing:
        assert await runner._send_one(row) is None
    await runner._sent.idle()


async def test_a_plain_telegram_message_costs_at_most_eight_statements_on_postgresql(runtime: Runtime) -> None:
    fake = FakePlatform().start()
    adapter = TelegramAdapter(TG_TOKEN, fake.url, timeout=5)
    runner = ChannelRunner(adapter, runtime.core, runtime.db, runtime.events, Pacer(1000.0), instance="counted")
    try:
        chat = new_chat()
        await one_update(runner, tg_text(chat, "привет"))  # the first message also creates the conversation
        before = runtime.db.statements
        await one_update(runner, tg_text(chat, "что такое личный кабинет"))
        cost = runtime.db.statements - before
        print(f"{runtime.db.dialect}: {cost} statements for one message")
        assert cost <= LIMIT[runtime.db.dialect], cost
        assert len(await fake.wait(tg_sent(chat), count=2)) == 2  # both answered, once each
        assert await runtime.db.fetchval("SELECT count(*) FROM outbox WHERE chat_id = ? AND status = 'sent'",
                                         (str(chat),)) == 2
        assert await runtime.db.fetchval("SELECT count(*) FROM inbound_updates WHERE chat_key = ? AND status = 'done'",
                                         (str(chat),)) == 2
    finally:
        await adapter.close()
        fake.stop()
