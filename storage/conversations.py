"""Conversations, their messages and the turn log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from intents.ports import Conversation
from kernel.clock import stamp

from .db import Database, Executor, Statement


def _conversation(row: dict[str, Any]) -> Conversation:
    return Conversation(
        id=row["id"], channel=row["channel"], user_key=row["user_key"], chat_id=row["chat_id"],
        lang=row["lang"], status=row["status"], state=json.loads(row["state"] or "{}"),
        subscriber_id=row["subscriber_id"], display_name=row["display_name"],
    )


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_or_create(self, channel: str, user_key: str, now: datetime, chat_id: str = "",
                            display_name: str = "") -> Conversation:
        row = await self.db.fetchone(
            "SELECT * FROM conversations WHERE channel = ? AND user_key = ?", (channel, user_key)
        )
        return _conversation(row) if row else await self._create(channel, user_key, now, chat_id, display_name)

    async def open_turn(self, channel: str, user_key: str, message_id: str | None, now: datetime, chat_id: str = "",
                        display_name: str = "") -> tuple[Conversation, tuple[str, str | None] | None]:
        """The user's conversation (created on the first message) and, for a platform message
        already answered, its stored result and the conversation's status then; one query."""
        if message_id is None:
            return await self.get_or_create(channel, user_key, now, chat_id, display_name), None
        row = await self.db.fetchone(
            "SELECT c.*, p.result AS done_result, p.status AS done_status FROM conversations c "
            "LEFT JOIN processed_messages p ON p.channel = ? AND p.message_id = ? "
            "WHERE c.channel = ? AND c.user_key = ?", (channel, message_id, channel, user_key))
        if row is None:  # a first message: nothing of it can have been answered yet
            return await self._create(channel, user_key, now, chat_id, display_name), None
        result, status = row.pop("done_result"), row.pop("done_status")
        return _conversation(row), (result, status) if result is not None else None

    async def _create(self, channel: str, user_key: str, now: datetime, chat_id: str, display_name: str) -> Conversation:
        when = stamp(now)
        await self.db.execute(
            "INSERT INTO conversations (channel, user_key, chat_id, display_name, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_key) DO NOTHING",
            (channel, user_key, chat_id or user_key, display_name, when, when),
        )
        row = await self.db.fetchone(
            "SELECT * FROM conversations WHERE channel = ? AND user_key = ?", (channel, user_key)
        )
        assert row is not None
        return _conversation(row)

    async def get(self, conversation_id: int, tx: Executor | None = None) -> Conversation | None:
        row = await (tx or self.db).fetchone("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(row) if row else None

    async def save(self, conv: Conversation, now: datetime, tx: Executor | None = None) -> None:
        await (tx or self.db).execute(
            "UPDATE conversations SET lang = ?, state = ?, subscriber_id = ?, updated_at = ? WHERE id = ?",
            (conv.lang, json.dumps(conv.state, ensure_ascii=False), conv.subscriber_id, stamp(now), conv.id),
        )

    async def set_status(self, conversation_id: int, status: str, now: datetime, tx: Executor | None = None) -> None:
        await (tx or self.db).execute(
            "UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?", (status, stamp(now), conversation_id)
        )

    async def add_message(self, conversation_id: int, direction: str, text: str, now: datetime, *,
                          buttons: list[dict[str, str]] | None = None, intent: str | None = None,
                          action: str | None = None, score: float | None = None, author: str = "",
                          client_id: str | None = None, tx: Executor | None = None) -> int:
        """Add a message; its id. With a `client_id` (the sender's own id for it) a message already
        stored under that id in this conversation is not stored again: its id is returned. On
        PostgreSQL the conversation's row is locked first (until the message commits), so the
        conversation's message ids become visible in order: the live views read "after id N" per
        conversation. SQLite has one writer at a time."""
        values = ("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" if self.db.dialect != "postgres" else
                  "SELECT c.id, ?, ?, ?, ?, ?, ?, CAST(? AS REAL), ?, ? FROM c")
        lock = "WITH c AS (SELECT id FROM conversations WHERE id = ? FOR UPDATE) " if self.db.dialect == "postgres" else ""
        sql = (f"{lock}INSERT INTO messages (conversation_id, direction, author, text, buttons, intent, action, score, "
               f"created_at, client_id) {values} "
               "ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING id")
        params = ((conversation_id,) if lock else ()) + (
            *(() if lock else (conversation_id,)), direction, author, text, json.dumps(buttons or [], ensure_ascii=False),
            intent, action, score, stamp(now), client_id)
        found = await (tx or self.db).fetchval(sql, params)
        if found is None and client_id:  # stored before under this id
            prior = await self.client_message(conversation_id, client_id, tx=tx)
            assert prior is not None
            return int(prior["id"])
        return int(found)

    async def client_message(self, conversation_id: int, client_id: str, tx: Executor | None = None
                             ) -> dict[str, Any] | None:
        """The message stored under the sender's own id in this conversation (id, created_at), if any."""
        return await (tx or self.db).fetchone(
            "SELECT id, created_at FROM messages WHERE conversation_id = ? AND client_id = ?", (conversation_id, client_id))

    async def messages(self, conversation_id: int, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
            (conversation_id, after_id, limit),
        )
        for row in rows:
            row["buttons"] = json.loads(row["buttons"])
        return rows

    async def of_subscriber(self, subscriber_id: int, limit: int = 3) -> list[dict[str, Any]]:
        """id and lang of the conversations a subscriber is logged in to, most recent first."""
        return await self.db.fetchall(
            "SELECT id, lang FROM conversations WHERE subscriber_id = ? ORDER BY updated_at DESC LIMIT ?",
            (subscriber_id, limit))

    async def record_turn(self, conv: Conversation, inbound: str, replies: list[dict[str, Any]], now: datetime, *,
                          author: str, intent: str | None, action: str | None, score: float | None, outcome: str,
                          message_key: tuple[str, str] | None = None, result: str | None = None,
                          client_id: str | None = None, payload: str | None = None,
                          also: Sequence[Statement] = ()) -> tuple[str, int]:
        """Everything a turn writes, in one transaction: the user's message (with the sender's own id
        for it, unique in the conversation, and a pressed button's payload), the state, the bot's
        replies, the turn log and (for a platform message) its result, kept so that a redelivery
        of the same message gets the same answer without doing the turn again; and `also`, what
        the caller writes with the turn (a channel: the replies queued, the update marked done;
        insert or update statements without results). Returns the conversation's status afterwards
        and the id of the user's message.

        On PostgreSQL it is one statement (a transaction by itself: no BEGIN, no COMMIT): the
        conversation's row is updated first, so its messages are inserted under the row's lock
        and one conversation's message ids become visible in order."""
        when = stamp(now)
        state = json.dumps(conv.state, ensure_ascii=False)
        turn_log = (conv.id, conv.channel, conv.lang, inbound[:1000], intent, action, score, outcome,
                    "\n".join(r["text"] for r in replies)[:1000], when)
        if self.db.dialect == "postgres":
            return await self._record_turn_pg(conv, inbound, replies, when, state, turn_log, author, intent, action,
                                              score, message_key, result, also, client_id, payload)
        statements = [
            Statement("UPDATE conversations SET lang = ?, state = ?, subscriber_id = ?, updated_at = ? WHERE id = ?",
                      (conv.lang, state, conv.subscriber_id, when, conv.id)),
            Statement("INSERT INTO messages (conversation_id, direction, author, text, buttons, intent, action, score, "
                      "created_at, client_id, payload) VALUES (?, 'in', ?, ?, '[]', NULL, NULL, NULL, ?, ?, ?) RETURNING id",
                      (conv.id, author, inbound, when, client_id, payload), fetch="value"),
            Statement("INSERT INTO turns_log (conversation_id, channel, lang, text, intent, action, score, outcome, reply, "
                      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", turn_log),
        ]
        if replies:
            statements.insert(2, Statement(
                "INSERT INTO messages (conversation_id, direction, author, text, buttons, intent, action, score, created_at)"
                " VALUES (?, 'out', '', ?, ?, ?, ?, ?, ?)",
                [(conv.id, r["text"], json.dumps(r["buttons"], ensure_ascii=False), intent, action, score, when)
                 for r in replies], many=True))
        status_at = len(statements)
        statements.append(Statement("SELECT status FROM conversations WHERE id = ?", (conv.id,), fetch="value"))
        if message_key is not None and result is not None:
            # kept with the conversation's status at the end of the turn (a handoff queued by this
            # turn shows), read in the same transaction
            statements.append(Statement(
                "INSERT INTO processed_messages (channel, message_id, result, created_at, status) VALUES (?, ?, ?, ?, "
                "(SELECT status FROM conversations WHERE id = ?)) ON CONFLICT (channel, message_id) DO NOTHING",
                (*message_key, result, when, conv.id)))
        statements += also
        results = await self.db.batch(statements)
        return results[status_at], int(results[1])

    async def _record_turn_pg(self, conv: Conversation, inbound: str, replies: list[dict[str, Any]], when: str,
                              state: str, turn_log: tuple[Any, ...], author: str, intent: str | None,
                              action: str | None, score: float | None, message_key: tuple[str, str] | None,
                              result: str | None, also: Sequence[Statement], client_id: str | None,
                              payload: str | None) -> tuple[str, int]:
        # the data-modifying parts of one WITH: `c` locks and updates the conversation; the messages
        # are selected from it (so inserted after the lock, in the order listed); the rest is independent
        rows = ", ".join(["(0, 'in', ?, ?, '[]', NULL, NULL, CAST(NULL AS REAL), CAST(? AS TEXT), CAST(? AS TEXT))"] +
                         ["(?, 'out', '', ?, ?, ?, ?, CAST(? AS REAL), NULL, NULL)"] * len(replies))
        row_params: list[Any] = [author, inbound, client_id, payload]
        for index, r in enumerate(replies, 1):
            row_params += [index, r["text"], json.dumps(r["buttons"], ensure_ascii=False), intent, action, score]
        parts = [
            ("c AS (UPDATE conversations SET lang = ?, state = ?, subscriber_id = ?, updated_at = ? WHERE id = ? "
             "RETURNING id, status)", [conv.lang, state, conv.subscriber_id, when, conv.id]),
            ("m AS (INSERT INTO messages (conversation_id, direction, author, text, buttons, intent, action, score, "  # noqa: S608
             "created_at, client_id, payload) SELECT c.id, v.d, v.a, v.t, v.b, v.i, v.ac, v.s, ?, v.cl, v.p FROM c, "
             "(VALUES " + rows + ") AS v (n, d, a, t, b, i, ac, s, cl, p) ORDER BY v.n RETURNING id, direction)",
             [when, *row_params]),
            ("t AS (INSERT INTO turns_log (conversation_id, channel, lang, text, intent, action, score, outcome, reply, "
             "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))", list(turn_log)),
        ]
        if message_key is not None and result is not None:
            parts.append(("p AS (INSERT INTO processed_messages (channel, message_id, result, created_at, status) "
                          "SELECT ?, ?, ?, ?, c.status FROM c ON CONFLICT (channel, message_id) DO NOTHING)",
                          [*message_key, result, when]))
        for index, st in enumerate(also):
            assert st.fetch == "none" and not st.many, "only single writes go with a turn"
            parts.append((f"x{index} AS ({st.sql})", list(st.params)))
        sql = ("WITH " + ", ".join(p for p, _ in parts)  # noqa: S608 - our own statements
               + " SELECT c.status, (SELECT id FROM m WHERE direction = 'in') AS message_id FROM c")
        row = await self.db.fetchone(sql, [v for _, params in parts for v in params])
        assert row is not None
        return row["status"], int(row["message_id"])
