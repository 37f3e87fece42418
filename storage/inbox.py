"""The inbox of the messenger channels: every platform update, stored before it is acknowledged.

A worker (`bots.delivery.ChannelRunner`) claims stored updates and processes them; the unique
key (update_id / event_id / message_token) drops redeliveries; a claim taken by an instance
that died (its heartbeat stopped) is taken again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from kernel.clock import stamp

from .db import Database, Statement

UPDATE_ATTEMPTS = 3
CLAIM_TIMEOUT = timedelta(minutes=5)  # work taken and not finished in this long is taken again
ALIVE = timedelta(seconds=15)  # an instance whose heartbeat is older is dead: its work is taken again


def skip_locked(db: Database) -> str:
    """What a claim's inner SELECT ends with: on PostgreSQL, rows another instance is claiming
    (or finishing) right now are passed over instead of waited for; SQLite has one writer."""
    return " FOR UPDATE SKIP LOCKED" if db.dialect == "postgres" else ""


class Inbox:
    def __init__(self, db: Database, alive: timedelta = ALIVE) -> None:
        self.db = db
        self.alive = alive  # an instance silent for longer is dead: its work is taken again

    async def accept(self, channel: str, key: str, payload: dict[str, Any], now: datetime,
                     taken_by: str | None = None, chat: str = "", raw: str | None = None) -> bool:
        """Store an update; False when it was already stored (a redelivery). `taken_by` stores it
        as already being processed by that instance (answered in the webhook's own response);
        `chat` keeps one chat's updates in order across instances; `raw`, the JSON text the
        payload was read from, is stored as it is (not encoded again)."""
        changed = await self.db.execute(
            "INSERT INTO inbound_updates (channel, update_key, payload, status, received_at, claimed_by, claimed_at, "
            "chat_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, update_key) DO NOTHING",
            (channel, key, raw if raw is not None else json.dumps(payload, ensure_ascii=False),
             "processing" if taken_by else "received", stamp(now), taken_by, stamp(now) if taken_by else None, chat))
        return changed > 0

    async def claim(self, channel: str, instance: str, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Take stored updates to process: new ones, and ones another instance took but did not
        finish (it died) within CLAIM_TIMEOUT. One instance gets each."""
        stale = stamp(now - CLAIM_TIMEOUT)
        alive = stamp(now - self.alive)
        taken = ("(status = 'received' OR (status = 'processing' AND (claimed_at < ? OR claimed_by NOT IN "
                 "(SELECT id FROM instances WHERE last_seen > ?))))")
        # only each chat's oldest unfinished update: one chat's turns run one at a time, in order,
        # whichever instances received them
        first = ("(chat_key = '' OR NOT EXISTS (SELECT 1 FROM inbound_updates e WHERE e.channel = inbound_updates.channel "
                 "AND e.chat_key = inbound_updates.chat_key AND e.id < inbound_updates.id "
                 "AND e.status IN ('received', 'processing')))")
        rows = await self.db.fetchall(
            "UPDATE inbound_updates SET status = 'processing', claimed_by = ?, claimed_at = ? WHERE id IN ("  # noqa: S608
            "SELECT id FROM inbound_updates WHERE channel = ? AND status IN ('received', 'processing') "  # open: indexed
            f"AND {taken} AND {first} ORDER BY id LIMIT ?{skip_locked(self.db)}) AND {taken} "
            "RETURNING id, update_key, payload, attempts",
            (instance, stamp(now), channel, stale, alive, limit, stale, alive))
        return sorted(rows, key=lambda r: r["id"])

    async def done(self, update_id: int, now: datetime) -> None:
        statement = self.done_statement(update_id, now)
        await self.db.execute(statement.sql, statement.params)

    @staticmethod
    def done_statement(update_id: int, now: datetime) -> Statement:
        return Statement("UPDATE inbound_updates SET status = 'done', processed_at = ? WHERE id = ?",
                         (stamp(now), update_id))

    async def stored(self, channel: str, key: str) -> bool:
        """Whether this update is in the store already."""
        return bool(await self.db.fetchval("SELECT 1 FROM inbound_updates WHERE channel = ? AND update_key = ?",
                                           (channel, key)))

    async def done_by_key(self, channel: str, key: str, now: datetime) -> None:
        """Mark an update done by its platform key (one answered in the webhook's own response)."""
        await self.db.execute("UPDATE inbound_updates SET status = 'done', processed_at = ? WHERE channel = ? "
                              "AND update_key = ?", (stamp(now), channel, key))

    async def failed(self, update_id: int, attempts: int, error: str, now: datetime) -> None:
        status = "failed" if attempts >= UPDATE_ATTEMPTS else "received"  # received: taken again
        await self.db.execute(
            "UPDATE inbound_updates SET status = ?, attempts = ?, error = ?, processed_at = ? WHERE id = ?",
            (status, attempts, error[:500], stamp(now), update_id))
