"""What the agent console keeps beside the conversations themselves: internal notes, labels, the
canned replies per language (managed by admins), each agent's status (online/away) and limit of
open conversations, the knowledge-base answers agents took from the assist, the subscriber's
comment to a rating; and the console's look-ups (the same subscriber's earlier conversations on
any channel, search over conversations and tickets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.clock import stamp

from .db import Database

STATUSES = ("online", "auto", "away")  # auto: online, and the queue gives them conversations


def _patterns(query: str) -> list[str]:
    """LIKE patterns for a search: as typed, lower case and capitalised (LIKE is case-sensitive for
    Cyrillic in SQLite and for everything in PostgreSQL)."""
    q = query.strip().replace("\\", "").replace("%", "").replace("_", " ")
    variants = dict.fromkeys([q, q.lower(), q[:1].upper() + q[1:].lower()])
    return [f"%{v}%" for v in variants if v]


class AgentDesk:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- notes and labels ------------------------------------------------------------------------

    async def notes(self, conversation_id: int) -> list[dict[str, Any]]:
        return await self.db.fetchall(
            "SELECT n.id, n.text, n.created_at AS at, n.agent_id, a.name AS author FROM conversation_notes n "
            "LEFT JOIN agents a ON a.id = n.agent_id WHERE n.conversation_id = ? ORDER BY n.id", (conversation_id,))

    async def add_note(self, conversation_id: int, agent_id: int, text: str, now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO conversation_notes (conversation_id, agent_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (conversation_id, agent_id, text, stamp(now)))

    async def labels(self, conversation_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT label FROM conversation_labels WHERE conversation_id = ? ORDER BY label", (conversation_id,))
        return [r["label"] for r in rows]

    async def labels_of(self, conversation_ids: list[int]) -> dict[int, list[str]]:
        if not conversation_ids:
            return {}
        marks = ", ".join("?" for _ in conversation_ids)
        rows = await self.db.fetchall(
            f"SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN ({marks}) "  # noqa: S608
            "ORDER BY label", tuple(conversation_ids))
        found: dict[int, list[str]] = {}
        for r in rows:
            found.setdefault(r["conversation_id"], []).append(r["label"])
        return found

    async def add_label(self, conversation_id: int, label: str, agent_id: int, now: datetime) -> None:
        if not await self.db.fetchval("SELECT count(*) FROM conversation_labels WHERE conversation_id = ? AND label = ?",
                                      (conversation_id, label)):
            await self.db.execute(
                "INSERT INTO conversation_labels (conversation_id, label, agent_id, created_at) VALUES (?, ?, ?, ?)",
                (conversation_id, label, agent_id, stamp(now)))

    async def remove_label(self, conversation_id: int, label: str) -> None:
        await self.db.execute("DELETE FROM conversation_labels WHERE conversation_id = ? AND label = ?",
                              (conversation_id, label))

    async def all_labels(self) -> list[str]:
        rows = await self.db.fetchall("SELECT DISTINCT label FROM conversation_labels ORDER BY label")
        return [r["label"] for r in rows]

    # -- canned replies --------------------------------------------------------------------------

    async def canned(self) -> list[dict[str, Any]]:
        return await self.db.fetchall("SELECT id, lang, title, text FROM canned_replies ORDER BY lang, title")

    async def save_canned(self, lang: str, title: str, text: str, now: datetime, canned_id: int | None = None) -> int:
        if canned_id is not None:
            await self.db.execute("UPDATE canned_replies SET lang = ?, title = ?, text = ?, updated_at = ? WHERE id = ?",
                                  (lang, title, text, stamp(now), canned_id))
            return canned_id
        prior = await self.db.fetchval("SELECT id FROM canned_replies WHERE lang = ? AND title = ?", (lang, title))
        if prior is not None:
            await self.db.execute("UPDATE canned_replies SET text = ?, updated_at = ? WHERE id = ?",
                                  (text, stamp(now), prior))
            return int(prior)
        return await self.db.fetchval(
            "INSERT INTO canned_replies (lang, title, text, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
            (lang, title, text, stamp(now)))

    async def delete_canned(self, canned_id: int) -> None:
        await self.db.execute("DELETE FROM canned_replies WHERE id = ?", (canned_id,))

    async def seed_canned(self, replies: list[tuple[str, str, str]], now: datetime) -> None:
        """The knowledge base's canned replies, the first time (admins edit them afterwards)."""
        if await self.db.fetchval("SELECT count(*) FROM canned_replies"):
            return
        for lang, title, text in replies:
            await self.save_canned(lang, title, text, now)

    # -- agent status and limit ----------------------------------------------------------------------

    async def statuses(self) -> dict[int, dict[str, Any]]:
        rows = await self.db.fetchall("SELECT agent_id, status, max_open FROM agent_status")
        return {r["agent_id"]: {"status": r["status"], "max_open": r["max_open"]} for r in rows}

    async def status(self, agent_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT status, max_open FROM agent_status WHERE agent_id = ?", (agent_id,))
        return dict(row) if row else {"status": "online", "max_open": 3}

    async def set_status(self, agent_id: int, now: datetime, status: str | None = None, max_open: int | None = None) -> None:
        current = await self.status(agent_id)
        status = status or current["status"]
        max_open = current["max_open"] if max_open is None else max_open
        if await self.db.fetchval("SELECT count(*) FROM agent_status WHERE agent_id = ?", (agent_id,)):
            await self.db.execute("UPDATE agent_status SET status = ?, max_open = ?, updated_at = ? WHERE agent_id = ?",
                                  (status, max_open, stamp(now), agent_id))
        else:
            await self.db.execute("INSERT INTO agent_status (agent_id, status, max_open, updated_at) VALUES (?, ?, ?, ?)",
                                  (agent_id, status, max_open, stamp(now)))

    async def away(self, agent_ids: list[int]) -> int:
        """How many of these agents are away (their console open, taking nobody)."""
        if not agent_ids:
            return 0
        marks = ", ".join("?" for _ in agent_ids)
        return int(await self.db.fetchval(
            f"SELECT count(*) FROM agent_status WHERE status = 'away' AND agent_id IN ({marks})",  # noqa: S608
            tuple(agent_ids)) or 0)

    async def open_count(self, agent_id: int) -> int:
        return int(await self.db.fetchval(
            "SELECT count(*) FROM handoffs WHERE agent_id = ? AND status = 'assigned'", (agent_id,)) or 0)

    async def oldest_waiting(self) -> int | None:
        """The handoff the queue gives next: the one waiting longest."""
        return await self.db.fetchval(
            "SELECT id FROM handoffs WHERE status = 'waiting' ORDER BY enqueued_at, id LIMIT 1")

    # -- agent assist ------------------------------------------------------------------------------

    async def record_assist(self, conversation_id: int, agent_id: int, entry_id: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO assist_usage (conversation_id, agent_id, entry_id, used_at) VALUES (?, ?, ?, ?)",
            (conversation_id, agent_id, entry_id, stamp(now)))

    async def assist_counts(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Per knowledge entry, how often agents used its suggestion between two stamps."""
        return await self.db.fetchall(
            "SELECT entry_id, count(*) AS used FROM assist_usage WHERE used_at >= ? AND used_at < ? GROUP BY entry_id "
            "ORDER BY count(*) DESC, entry_id", (lo, hi))

    # -- the rating's comment ------------------------------------------------------------------------

    async def rating_comment(self, conversation_id: int, comment: str) -> bool:
        """The comment to the conversation's latest rating, once."""
        handoff = await self.db.fetchval(
            "SELECT id FROM handoffs WHERE conversation_id = ? AND rating IS NOT NULL ORDER BY id DESC LIMIT 1",
            (conversation_id,))
        if handoff is None:
            return False
        return await self.db.execute("UPDATE handoffs SET rating_comment = ? WHERE id = ? AND rating_comment IS NULL",
                                     (comment, handoff)) > 0

    # -- look-ups ------------------------------------------------------------------------------------

    async def earlier(self, subscriber_id: int, conversation_id: int, limit: int = 10) -> list[dict[str, Any]]:
        """The same subscriber's other conversations (any channel), newest first, with their last
        message from the subscriber."""
        return await self.db.fetchall(
            "SELECT c.id, c.channel, c.lang, c.updated_at, (SELECT m.text FROM messages m WHERE m.conversation_id = c.id "
            "AND m.direction = 'in' ORDER BY m.id DESC LIMIT 1) AS preview, (SELECT count(*) FROM messages m "
            "WHERE m.conversation_id = c.id) AS messages FROM conversations c WHERE c.subscriber_id = ? AND c.id <> ? "
            "ORDER BY c.updated_at DESC LIMIT ?", (subscriber_id, conversation_id, limit))

    async def search(self, query: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
        """Conversations with a message containing the words, and tickets (number, name, phone, text)."""
        patterns = _patterns(query)
        if not patterns:
            return {"conversations": [], "tickets": []}
        any_text = " OR ".join("m.text LIKE ?" for _ in patterns)
        conversations = await self.db.fetchall(
            "SELECT c.id, c.channel, c.lang, c.display_name, c.status, max(m.id) AS message_id, max(m.created_at) AS at "  # noqa: S608
            f"FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE ({any_text}) "
            "GROUP BY c.id, c.channel, c.lang, c.display_name, c.status ORDER BY max(m.id) DESC LIMIT ?",
            (*patterns, limit))
        for row in conversations:
            row["text"] = await self.db.fetchval("SELECT text FROM messages WHERE id = ?", (row["message_id"],))
        fields = ("t.name", "t.phone", "t.description", "t.email", "t.answer")
        any_field = " OR ".join(f"{f} LIKE ?" for f in fields for _ in patterns)
        number = query.strip().upper().removeprefix("FB-").lstrip("0")
        tickets = await self.db.fetchall(
            f"SELECT t.id, t.name, t.phone, t.status, t.description, t.created_at FROM tickets t WHERE ({any_field}) "  # noqa: S608
            "OR t.id = ? ORDER BY t.id DESC LIMIT ?",
            (*[p for _ in fields for p in patterns], int(number) if number.isdigit() else -1, limit))
        return {"conversations": conversations, "tickets": tickets}
