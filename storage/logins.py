"""One-time login codes (only their HMACs) and the server-side secrets kept in the database."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from kernel.clock import stamp

from .db import Database, Executor


async def load_secret(db: Database, name: str, supplied: str | None = None) -> bytes:
    """A server-side secret: from the environment if given, else created once and kept in the database."""
    if supplied:
        return supplied.encode()
    value = await db.fetchval("SELECT value FROM app_secrets WHERE name = ?", (name,))
    if value is None:
        await db.execute("INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                         (name, secrets.token_hex(32)))
        value = await db.fetchval("SELECT value FROM app_secrets WHERE name = ?", (name,))
    return str(value).encode()


class LoginCodeStore:
    """Each code's phone, channel user, purpose, HMAC, subscriber, times and wrong tries."""

    @staticmethod
    async def sent_since(tx: Executor, phone: str, user_key: str, since: datetime) -> list[datetime]:
        """When codes were sent to this phone or this channel user since `since`, oldest first (as stamps)."""
        rows = await tx.fetchall("SELECT created_at FROM login_codes WHERE (phone = ? OR user_key = ?) AND created_at > ? "
                                 "ORDER BY created_at", (phone, user_key, stamp(since)))
        return [r["created_at"] for r in rows]

    @staticmethod
    async def add(tx: Executor, phone: str, user_key: str, purpose: str, code_hash: str, subscriber_id: int | None,
                  now: datetime, expires_at: datetime) -> None:
        """A new code for the user; the user's earlier unused codes stop working."""
        await tx.execute("UPDATE login_codes SET used_at = ? WHERE user_key = ? AND used_at IS NULL", (stamp(now), user_key))
        await tx.execute(
            "INSERT INTO login_codes (phone, user_key, purpose, code_hash, subscriber_id, created_at, expires_at, attempts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (phone, user_key, purpose, code_hash, subscriber_id, stamp(now), stamp(expires_at)))

    @staticmethod
    async def latest_unused(tx: Executor, user_key: str, purpose: str) -> dict[str, Any] | None:
        return await tx.fetchone("SELECT * FROM login_codes WHERE user_key = ? AND purpose = ? AND used_at IS NULL "
                                 "ORDER BY id DESC", (user_key, purpose))

    @staticmethod
    async def outstanding(tx: Executor, user_key: str, now: datetime, sent_since: datetime) -> bool:
        """A code of this user that still works, or one sent since `sent_since`."""
        return bool(await tx.fetchval(
            "SELECT count(*) FROM login_codes WHERE user_key = ? AND (created_at > ? OR (used_at IS NULL AND "
            "expires_at > ?))", (user_key, stamp(sent_since), stamp(now))))

    @staticmethod
    async def use(tx: Executor, code_id: int, now: datetime) -> None:
        await tx.execute("UPDATE login_codes SET used_at = ? WHERE id = ?", (stamp(now), code_id))

    @staticmethod
    async def set_attempts(tx: Executor, code_id: int, attempts: int) -> None:
        await tx.execute("UPDATE login_codes SET attempts = ? WHERE id = ?", (attempts, code_id))
