"""The knowledge base's entries in the database (seeded from `knowledge/` on first start)."""

from __future__ import annotations

import json
from datetime import datetime

from knowledge.model import Entry

from .db import Database, stamp


class KnowledgeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def revision(self) -> int:
        value = await self.db.fetchval("SELECT value FROM kb_meta WHERE key = 'revision'")
        return int(value) if value is not None else 0

    async def entries(self) -> list[Entry]:
        rows = await self.db.fetchall("SELECT data FROM kb_entries WHERE retired = 0 ORDER BY position")
        return [Entry.model_validate(json.loads(r["data"])) for r in rows]

    async def seed(self, entries: list[Entry], now: datetime) -> bool:
        """Fill an empty knowledge base; False when it already had entries."""
        async with self.db.transaction() as tx:
            if await tx.fetchval("SELECT count(*) FROM kb_entries"):
                return False
            await tx.executemany(
                "INSERT INTO kb_entries (id, grp, position, data, updated_at) VALUES (?, ?, ?, ?, ?)",
                [(e.id, e.group, i, e.model_dump_json(exclude_defaults=True), stamp(now)) for i, e in enumerate(entries)],
            )
            await tx.execute(
                "INSERT INTO kb_meta (key, value) VALUES ('revision', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
        return True
