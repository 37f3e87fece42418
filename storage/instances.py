"""Instances of the product sharing one database: heartbeats (so work a dead instance took is
taken again at once) and leases (so background work runs on one instance, not on each)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from kernel.clock import stamp

from .db import Database

log = logging.getLogger(__name__)


class Instances:
    def __init__(self, db: Database, instance: str) -> None:
        self.db = db
        self.instance = instance

    async def beat(self, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO instances (id, started_at, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen", (self.instance, stamp(now), stamp(now)))

    async def forget_others(self) -> None:
        """Only this instance runs (one by design): what any other had claimed is free again."""
        await self.db.execute("DELETE FROM instances WHERE id <> ?", (self.instance,))

    async def leave(self) -> None:
        await self.db.execute("DELETE FROM instances WHERE id = ?", (self.instance,))

    async def lease(self, name: str, ttl: timedelta, now: datetime) -> bool:
        """Hold the named lease for `ttl` (renewing our own); False when another instance holds it."""
        until = stamp(now + ttl)
        async with self.db.transaction(f"lease:{name}") as tx:
            row = await tx.fetchone("SELECT holder, until FROM leases WHERE name = ?", (name,))
            if row is None:
                await tx.execute("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)", (name, self.instance, until))
                return True
            if row["holder"] == self.instance or row["until"] < stamp(now):
                await tx.execute("UPDATE leases SET holder = ?, until = ? WHERE name = ?", (self.instance, until, name))
                return True
            return False


async def every(seconds: float, work: Callable[[], Awaitable[None]], name: str) -> None:
    """Run `work` every `seconds` until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed", name)
        await asyncio.sleep(seconds)


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
