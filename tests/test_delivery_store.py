"""The messenger channels' stores (bots/delivery.py) on the run's database: what a claim takes,
and that it reads only open work, however long the history grows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bots.delivery import Coalescer
from kernel.clock import utcnow
from storage.db import SqliteDatabase
from storage.inbox import Inbox
from storage.instances import Instances
from storage.outbox import Outbox
from storage.schema import migrate
from supportbot.runtime import Runtime


async def test_inbox_claims_each_chats_oldest_open_update_once(runtime: Runtime) -> None:
    inbox, now = Inbox(runtime.db), utcnow()
    for name in ("A", "B"):  # two live instances
        await Instances(runtime.db, name).beat(now)
    for key, chat in (("1", "a"), ("2", "a"), ("3", "b")):
        assert await inbox.accept("telegram", key, {"update_id": int(key)}, now, chat=chat)
    assert not await inbox.accept("telegram", "1", {"update_id": 1}, now, chat="a")  # a redelivery
    first = await inbox.claim("telegram", "A", now)
    assert [r["update_key"] for r in first] == ["1", "3"]  # chat a's second waits for its first
    assert await inbox.claim("telegram", "B", now) == []  # taken: another instance gets nothing
    for row in first:
        await inbox.done(row["id"], now)
    assert [r["update_key"] for r in await inbox.claim("telegram", "B", now)] == ["2"]
    assert await inbox.claim("vk", "A", now) == []


async def test_outbox_claims_due_messages_in_chat_order(runtime: Runtime) -> None:
    outbox, now = Outbox(runtime.db), utcnow()
    await Instances(runtime.db, "A").beat(now)
    for key, chat in (("k1", "a"), ("k2", "a"), ("k3", "b")):
        assert await outbox.enqueue("telegram", chat, None, key, {"text": key}, now)
    assert not await outbox.enqueue("telegram", "a", None, "k1", {"text": "again"}, now)
    first = await outbox.claim("telegram", "A", now)
    assert [r["chat_id"] for r in first] == ["a", "b"]
    await outbox.retry(first[0]["id"], 1, 30, "timeout", now)  # a's first waits 30 s; its second waits too
    await outbox.sent([first[1]["id"]], now)
    assert await outbox.claim("telegram", "A", now) == []
    later = await outbox.claim("telegram", "A", now + timedelta(seconds=31))
    assert [r["id"] for r in later] == [first[0]["id"]]


async def test_work_of_an_instance_silent_for_longer_than_dead_after_is_taken_again(runtime: Runtime) -> None:
    """`[storage] dead_after_seconds`: an instance that took work and went silent for longer is
    dead, and its updates and messages are taken by another; one silent for less is not."""
    alive = timedelta(seconds=4)
    inbox, outbox, now = Inbox(runtime.db, alive), Outbox(runtime.db, alive), utcnow()
    await Instances(runtime.db, "A").beat(now)
    assert await inbox.accept("telegram", "1", {"update_id": 1}, now, chat="a")
    assert await outbox.enqueue("telegram", "a", None, "k1", {"text": "k1"}, now)
    assert len(await inbox.claim("telegram", "A", now)) == len(await outbox.claim("telegram", "A", now)) == 1
    await Instances(runtime.db, "B").beat(now + timedelta(seconds=3))
    soon = now + timedelta(seconds=3)  # A silent for 3 s: alive still
    assert await inbox.claim("telegram", "B", soon) == [] and await outbox.claim("telegram", "B", soon) == []
    later = now + timedelta(seconds=5)  # silent for 5 s: dead
    assert [r["update_key"] for r in await inbox.claim("telegram", "B", later)] == ["1"]
    assert [r["chat_id"] for r in await outbox.claim("telegram", "B", later)] == ["a"]


async def test_claims_read_only_open_work(tmp_path: Path) -> None:
    """The claim queries go through the (channel, status) indexes: finished updates and sent
    messages, which pile up forever, are never scanned (SQLite's plan for the real queries)."""
    db = await SqliteDatabase.open(tmp_path / "plan.db")
    try:
        await migrate(db)
        statements: list[str] = []
        original = db._fetch

        def record(sql: str, params: object, limit: int | None) -> list[dict[str, object]]:
            statements.append(sql)
            return original(sql, params, limit)  # type: ignore[arg-type]

        db._fetch = record  # type: ignore[method-assign]
        now = utcnow()
        await Inbox(db).claim("telegram", "A", now)
        await Outbox(db).claim("telegram", "A", now)
        db._fetch = original  # type: ignore[method-assign]
        assert len(statements) == 2
        for sql, table in zip(statements, ("inbound_updates", "outbox"), strict=True):
            params = ("A", "t", "telegram", "t", "t", 10, "t", "t") if table == "inbound_updates" else \
                ("A", "t", "telegram", "t", "t", "t", 10, "t", "t", "t")
            plan = [row["detail"] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
            assert not any(step.startswith(f"SCAN {table}") for step in plan), plan
            assert any(f"INDEX {table}_open (channel=? AND status=?)" in step for step in plan), plan
    finally:
        await db.close()


async def test_coalescer_writes_what_arrives_during_a_write_together() -> None:
    writes: list[list[int]] = []

    async def write(items: list[int]) -> None:
        writes.append(items)
        await asyncio.sleep(0.01)

    coalescer = Coalescer(write)
    await asyncio.gather(*(coalescer.add(i) for i in range(50)))
    assert writes == [list(range(50))]  # all came in the same moment: one write
    first = asyncio.create_task(coalescer.add(100))
    await asyncio.sleep(0.002)  # its write is under way
    await asyncio.gather(first, *(coalescer.add(i) for i in range(101, 106)))
    assert writes[1:] == [[100], list(range(101, 106))]  # those that came meanwhile: the next write


async def test_coalescer_hands_a_failed_write_to_each_of_its_callers() -> None:
    async def write(items: list[int]) -> None:
        raise OSError("disk full")

    coalescer = Coalescer(write)
    results = await asyncio.gather(*(coalescer.add(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    await coalescer.idle()


def test_stamps_are_fixed_width_utc_text_in_time_order() -> None:
    from datetime import UTC, datetime, timezone

    from kernel.clock import stamp, unstamp

    moscow = timezone(timedelta(hours=3))
    moments = [datetime(2026, 11, 27, 2, 30, 0, 5, tzinfo=moscow), datetime(2026, 11, 26, 23, 30, 0, 6, tzinfo=UTC),
               datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2027, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    texts = [stamp(m) for m in moments]
    assert texts[0] == "2026-11-26T23:30:00.000005Z"  # Moscow time stored as UTC
    assert texts[2] == "0999-01-02T03:04:05.000000Z"
    assert {len(t) for t in texts} == {27}
    assert sorted(texts) == [stamp(m) for m in sorted(moments)]
    assert [unstamp(t) for t in texts] == moments
