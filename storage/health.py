"""Whether the database can take writes: a real write (this instance's heartbeat row) and, for
SQLite, the room left (the page limit, the disk)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from pathlib import Path

from .db import Database
from .instances import Instances

MIN_FREE_PAGES = 16  # below this a turn (a few pages) may not fit
MIN_FREE_DISK = 4 * 1024 * 1024  # bytes on the database's file system


async def write_problem(db: Database, instance: str, now: datetime) -> str | None:
    """None when a write went through and there is room for more; else what is wrong."""
    await Instances(db, instance).beat(now)  # raises when the database refuses writes
    if db.dialect != "sqlite":
        return None
    pages = await db.fetchval("PRAGMA page_count")
    limit = await db.fetchval("PRAGMA max_page_count")
    free = await db.fetchval("PRAGMA freelist_count")
    if limit - pages + free < MIN_FREE_PAGES:
        return "database full (its page limit)"
    path = getattr(db, "path", ":memory:")
    if path != ":memory:":
        usage = await asyncio.to_thread(shutil.disk_usage, Path(path).parent)
        if usage.free < MIN_FREE_DISK:
            return "disk full"
    return None
