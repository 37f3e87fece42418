"""The outbox of the messenger channels: replies and operator messages waiting to be sent.

Each message has a unique key (a retried turn queues nothing twice); a sender
(`bots.delivery.ChannelRunner`) claims due messages per chat in order, marks them sent,
retries failures with backoff and keeps what could not be sent as failed, with the reason.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from kernel.clock import stamp

from .db import Database, Statement
from .inbox import ALIVE, CLAIM_TIMEOUT, skip_locked

MAX_ATTEMPTS = 8


class Outbox:
    def __init__(self, db: Database, alive: timedelta = ALIVE) -> None:
        self.db = db
        self.alive = alive  # an instance silent for longer is dead: the messages it was sending are taken again

    @staticmethod
    def replies_statement(channel: str, chat_id: str, user: tuple[str, str], items: list[tuple[str, dict[str, Any]]],
                          now: datetime) -> Statement:
        """Queue a turn's replies (`items`: key and payload of each, in order) in one statement: the
        rows are inserted in the order listed, so the chat's messages keep it; the conversation
        (`user`: channel, user key) is looked up in the same statement. A key already queued is skipped."""
        row = "(?, ?, (SELECT id FROM conversations WHERE channel = ? AND user_key = ?), ?, ?, 'pending', ?, ?)"
        params: list[Any] = []
        for key, payload in items:
            params += [channel, chat_id, *user, key, json.dumps(payload, ensure_ascii=False), stamp(now), stamp(now)]
        return Statement(
            "INSERT INTO outbox (channel, chat_id, conversation_id, dedupe_key, payload, status, next_at, created_at) "  # noqa: S608
            f"VALUES {', '.join([row] * len(items))} ON CONFLICT (dedupe_key) DO NOTHING", params)

    async def enqueue(self, channel: str, chat_id: str, conversation_id: int | None, key: str, payload: dict[str, Any],
                      now: datetime) -> bool:
        changed = await self.db.execute(
            "INSERT INTO outbox (channel, chat_id, conversation_id, dedupe_key, payload, status, next_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (channel, chat_id, conversation_id, key, json.dumps(payload, ensure_ascii=False), stamp(now), stamp(now)))
        return changed > 0

    async def unrelayed(self, channel: str, conversation_id: int | None, since: datetime) -> list[dict[str, Any]]:
        """Operator and system messages of this channel's conversations not queued yet: of one
        conversation, or of all written since `since`."""
        scope, value = ("c.id = ?", conversation_id) if conversation_id is not None else ("m.created_at > ?", stamp(since))
        sql = ("SELECT m.id, m.text, m.buttons, c.id AS conversation_id, c.chat_id, c.lang FROM messages m "  # noqa: S608 - two fixed fragments
               "JOIN conversations c ON c.id = m.conversation_id WHERE " + scope +
               " AND c.channel = ? AND m.direction IN ('agent', 'system') "
               "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = ? || m.id) ORDER BY m.id")
        return await self.db.fetchall(sql, (value, channel, f"{channel}:msg:"))

    async def claim(self, channel: str, instance: str, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        """Take due messages to send (and ones a dead instance was sending); one instance gets each."""
        stale = stamp(now - CLAIM_TIMEOUT)
        alive = stamp(now - self.alive)
        taken = ("((status = 'pending' AND next_at <= ?) OR (status = 'sending' AND (claimed_at < ? OR claimed_by NOT IN "
                 "(SELECT id FROM instances WHERE last_seen > ?))))")
        # only each chat's first unsent message: a later one never overtakes it (a retry, another instance)
        first = ("NOT EXISTS (SELECT 1 FROM outbox e WHERE e.channel = outbox.channel AND e.chat_id = outbox.chat_id "
                 "AND e.id < outbox.id AND e.status IN ('pending', 'sending'))")
        rows = await self.db.fetchall(
            "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id IN ("  # noqa: S608
            "SELECT id FROM outbox WHERE channel = ? AND status IN ('pending', 'sending') "  # the open ones: an index
            f"AND {taken} AND {first} ORDER BY id LIMIT ?{skip_locked(self.db)}) AND {taken} "
            "RETURNING id, chat_id, payload, attempts, attempted_at",
            (instance, stamp(now), channel, stamp(now), stale, alive, limit, stamp(now), stale, alive))
        return sorted(rows, key=lambda r: r["id"])

    async def attempting(self, outbox_ids: list[int], now: datetime) -> None:
        """Mark messages as about to leave (durably, before they do). A message claimed again with
        its mark still set was being sent by an instance that stopped (no answer recorded): it may
        have reached the platform, and is sent again (at least once)."""
        marks = ",".join("?" * len(outbox_ids))
        await self.db.execute(f"UPDATE outbox SET attempted_at = ? WHERE id IN ({marks})",  # noqa: S608
                              (stamp(now), *outbox_ids))

    async def sent(self, outbox_ids: list[int], now: datetime) -> None:
        marks = ",".join("?" * len(outbox_ids))
        await self.db.execute(
            f"UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id IN ({marks})",  # noqa: S608
            (stamp(now), *outbox_ids))

    async def release(self, outbox_ids: list[int], next_at: datetime) -> None:
        """Give back claimed messages not tried yet, due at `next_at` (their chat waits for an
        earlier message's retry: they must not overtake it)."""
        if outbox_ids:
            marks = ",".join("?" * len(outbox_ids))
            await self.db.execute(
                f"UPDATE outbox SET status = 'pending', next_at = ? WHERE status = 'sending' AND id IN ({marks})",  # noqa: S608
                (stamp(next_at), *outbox_ids))

    async def retry(self, outbox_id: int, attempts: int, delay: float, error: str, now: datetime) -> None:
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"  # the attempt was answered: not in doubt
        await self.db.execute("UPDATE outbox SET status = ?, attempts = ?, next_at = ?, error = ?, attempted_at = NULL "
                              "WHERE id = ?",
                              (status, attempts, stamp(now + timedelta(seconds=delay)), error[:500], outbox_id))

    async def failed(self, outbox_id: int, attempts: int, error: str) -> None:
        await self.db.execute("UPDATE outbox SET status = 'failed', attempts = ?, error = ? WHERE id = ?",
                              (attempts, error[:500], outbox_id))

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
