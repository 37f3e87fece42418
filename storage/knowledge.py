"""The knowledge base's entries in the database, with revisions.

The shipped files seed an empty database. From then on editors change the database: every
save is a revision (who, when, which entries before and after), any revision can be rolled
back (as a new revision), and an import replaces the whole base as one revision.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel.clock import stamp, unstamp
from knowledge.loader import KnowledgeError, check_references
from knowledge.model import Entry

from .db import Database, Executor


@dataclass
class Revision:
    id: int
    author: str
    message: str
    created_at: datetime
    changes: list[dict[str, Any]]  # {"id", "before": entry dict | None, "after": entry dict | None}

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "author": self.author, "message": self.message, "created_at": self.created_at.isoformat(),
                "entries": [c["id"] for c in self.changes]}


def _dump(entry: Entry) -> str:
    return entry.model_dump_json(exclude_defaults=True)


class KnowledgeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- trained understanding models, by the digest of the knowledge they were trained on ----------

    MODELS_KEPT = 5

    async def model(self, digest: str) -> bytes | None:
        row = await self.db.fetchone("SELECT data FROM understanding_models WHERE digest = ?", (digest,))
        return base64.b64decode(row["data"]) if row else None

    async def save_model(self, digest: str, data: bytes, now: datetime) -> None:
        """Store a model (the newest few are kept: a rollback finds its model again)."""
        encoded = base64.b64encode(data).decode()
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM understanding_models WHERE digest = ?", (digest,))
            await tx.execute("INSERT INTO understanding_models (digest, created_at, data) VALUES (?, ?, ?)",
                             (digest, stamp(now), encoded))
            rows = await tx.fetchall("SELECT digest FROM understanding_models ORDER BY created_at DESC, digest")
            for row in rows[self.MODELS_KEPT:]:
                await tx.execute("DELETE FROM understanding_models WHERE digest = ?", (row["digest"],))

    async def revision(self) -> int:
        value = await self.db.fetchval("SELECT value FROM kb_meta WHERE key = 'revision'")
        return int(value) if value is not None else 0

    async def entries(self) -> list[Entry]:
        return [Entry.model_validate(json.loads(data)) for data in await self.entry_documents()]

    async def entry_documents(self) -> list[str]:
        """The entries in force as stored (JSON), in order: what a cache of what was built from them keys on."""
        rows = await self.db.fetchall("SELECT data FROM kb_entries WHERE retired = 0 ORDER BY position")
        return [r["data"] for r in rows]

    async def empty(self) -> bool:
        """No entries yet (a first start seeds them from the files)."""
        return not await self.db.fetchval("SELECT count(*) FROM kb_entries")

    async def entry(self, entry_id: str) -> tuple[Entry, bool] | None:
        """An entry and whether it is retired."""
        row = await self.db.fetchone("SELECT data, retired FROM kb_entries WHERE id = ?", (entry_id,))
        return (Entry.model_validate(json.loads(row["data"])), bool(row["retired"])) if row else None

    async def retired(self) -> list[Entry]:
        rows = await self.db.fetchall("SELECT data FROM kb_entries WHERE retired = 1 ORDER BY position")
        return [Entry.model_validate(json.loads(r["data"])) for r in rows]

    async def seed(self, entries: list[Entry], now: datetime) -> bool:
        """Fill an empty knowledge base; False when it already had entries."""
        async with self.db.transaction() as tx:
            if await tx.fetchval("SELECT count(*) FROM kb_entries"):
                return False
            await tx.executemany(
                "INSERT INTO kb_entries (id, grp, position, data, updated_at) VALUES (?, ?, ?, ?, ?)",
                [(e.id, e.group, i, _dump(e), stamp(now)) for i, e in enumerate(entries)],
            )
            revision = await tx.fetchval(
                "INSERT INTO kb_revisions (author, message, changes, created_at) VALUES (?, ?, '[]', ?) RETURNING id",
                ("files", "the shipped knowledge base", stamp(now)))
            await self._bump(tx, revision)
        return True

    async def _bump(self, tx: Executor, value: int) -> int:
        await tx.execute("INSERT INTO kb_meta (key, value) VALUES ('revision', ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(value),))
        return value

    # -- changing ----------------------------------------------------------------------------------

    async def save(self, changed: list[Entry], retire: list[str], author: str, message: str, now: datetime,
                   restore: list[Entry] | None = None) -> int:
        """One revision: entries added or changed, entries retired (and retired ones brought back).
        Raises KnowledgeError when the result would be inconsistent (duplicate ids, a follow-up
        to a missing or retired entry). Returns the new knowledge-base revision number."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall("SELECT id, data, retired, position FROM kb_entries")
            current = {r["id"]: r for r in rows}
            active = {r["id"]: Entry.model_validate(json.loads(r["data"])) for r in rows if not r["retired"]}
            changes: list[dict[str, Any]] = []
            for entry in [*changed, *(restore or [])]:
                before = current.get(entry.id)
                active[entry.id] = entry
                changes.append({"id": entry.id, "before": json.loads(before["data"]) if before and not before["retired"]
                                else None, "after": json.loads(_dump(entry))})
            for entry_id in retire:
                if entry_id not in active:
                    raise KnowledgeError(f"no active entry {entry_id!r} to retire")
                changes.append({"id": entry_id, "before": json.loads(_dump(active.pop(entry_id))), "after": None})
            check_references(list(active.values()))
            if not changes:
                raise KnowledgeError("nothing to save")
            next_position = max((r["position"] for r in rows), default=-1) + 1
            for change in changes:
                entry_id, after = change["id"], change["after"]
                if after is None:
                    await tx.execute("UPDATE kb_entries SET retired = 1, updated_at = ? WHERE id = ?", (stamp(now), entry_id))
                elif entry_id in current:
                    await tx.execute("UPDATE kb_entries SET data = ?, grp = ?, retired = 0, updated_at = ? WHERE id = ?",
                                     (json.dumps(after, ensure_ascii=False), after["group"], stamp(now), entry_id))
                else:
                    await tx.execute("INSERT INTO kb_entries (id, grp, position, data, updated_at) VALUES (?, ?, ?, ?, ?)",
                                     (entry_id, after["group"], next_position, json.dumps(after, ensure_ascii=False),
                                      stamp(now)))
                    next_position += 1
            revision = await tx.fetchval(
                "INSERT INTO kb_revisions (author, message, changes, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                (author, message[:500], json.dumps(changes, ensure_ascii=False), stamp(now)))
            return await self._bump(tx, revision)  # the base's revision number is the revision's id

    async def revisions(self, limit: int = 100) -> list[Revision]:
        rows = await self.db.fetchall("SELECT * FROM kb_revisions ORDER BY id DESC LIMIT ?", (limit,))
        return [_revision(r) for r in rows]

    async def get_revision(self, revision_id: int) -> Revision | None:
        row = await self.db.fetchone("SELECT * FROM kb_revisions WHERE id = ?", (revision_id,))
        return _revision(row) if row else None

    async def rollback(self, revision_id: int, author: str, now: datetime) -> int:
        """Undo one revision's changes, as a new revision."""
        revision = await self.get_revision(revision_id)
        if revision is None:
            raise KnowledgeError(f"no revision {revision_id}")
        changed, retire, restore = [], [], []
        for change in revision.changes:
            if change["before"] is None:
                retire.append(change["id"])  # it was added: retire it
            elif change["after"] is None:
                restore.append(Entry.model_validate(change["before"]))  # it was retired: bring it back
            else:
                changed.append(Entry.model_validate(change["before"]))
        return await self.save(changed, retire, author, f"rollback of revision {revision_id}", now, restore=restore)

    async def replace_all(self, entries: list[Entry], author: str, now: datetime) -> int:
        """An import: the given entries become the whole base (others retired), as one revision."""
        check_references(entries)
        current = {e.id: e for e in await self.entries()}
        changed = [e for e in entries if current.get(e.id) != e]
        retire = [entry_id for entry_id in current if entry_id not in {e.id for e in entries}]
        if not changed and not retire:
            return await self.revision()
        revision = await self.save(changed, retire, author, "import", now)
        await self._reorder([e.id for e in entries])
        return revision

    async def _reorder(self, ids: list[str]) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany("UPDATE kb_entries SET position = ? WHERE id = ?",
                                 [(i, entry_id) for i, entry_id in enumerate(ids)])
            rest = await tx.fetchall("SELECT id FROM kb_entries WHERE retired = 1 ORDER BY position")
            await tx.executemany("UPDATE kb_entries SET position = ? WHERE id = ?",
                                 [(len(ids) + i, r["id"]) for i, r in enumerate(rest)])


def _revision(row: dict[str, Any]) -> Revision:
    return Revision(row["id"], row["author"], row["message"], unstamp(row["created_at"]), json.loads(row["changes"]))
