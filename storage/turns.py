"""The turn log: one row per message the bot answered (what was asked, what it understood, how
sure it was, what it said), read for analytics and for the questions editors should look at."""

from __future__ import annotations

from typing import Any

from .db import Database


class TurnLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def unanswered(self, below: float, limit: int) -> list[dict[str, Any]]:
        """Unresolved turns the bot missed, or answered with a score under `below`; newest first."""
        return await self.db.fetchall(
            "SELECT id, conversation_id, text, lang, channel, created_at, reply, outcome, score FROM turns_log "
            "WHERE resolved_at IS NULL AND (outcome IN ('fallback', 'oos') OR (outcome = 'answer' AND score < ?)) "
            "ORDER BY id DESC LIMIT ?", (below, limit))

    async def resolve(self, turn_ids: list[int], entry_id: str, when: str) -> None:
        """Mark turns as dealt with by an editor (an example added to `entry_id`)."""
        marks = ",".join("?" * len(turn_ids))
        await self.db.execute(
            f"UPDATE turns_log SET resolved_at = ?, resolved_entry = ? WHERE id IN ({marks})",  # noqa: S608
            (when, entry_id, *turn_ids))

    async def between(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Turns in [lo, hi): conversation, channel, intent, action, outcome, time."""
        return await self.db.fetchall(
            "SELECT conversation_id, channel, intent, action, outcome, created_at FROM turns_log "
            "WHERE created_at >= ? AND created_at < ?", (lo, hi))

    async def said(self, intents: tuple[str, ...], lo: str, hi: str, limit: int) -> list[dict[str, Any]]:
        """What subscribers said in [lo, hi) that was understood as one of `intents` (praise for the
        team, complaints), newest first."""
        marks = ",".join("?" * len(intents))
        return await self.db.fetchall(
            f"SELECT intent, text, channel, lang, created_at FROM turns_log WHERE intent IN ({marks}) "  # noqa: S608
            "AND created_at >= ? AND created_at < ? ORDER BY id DESC LIMIT ?", (*intents, lo, hi, limit))
