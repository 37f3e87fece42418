"""The sandbox's SMS gateway and mail server: messages are written to the `sms_outbox` /
`email_outbox` tables of the product's own database, where tests and `supportbot sms outbox`
read them back. Part of the sandbox back end, which stands in for the operator's systems and
keeps its own SQL."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from intents.replies import Attachment
from kernel.clock import stamp, unstamp
from kernel.phones import normalize_phone
from storage.db import Database


def _phone(phone: str) -> str:
    return normalize_phone(phone) or phone.strip()


class SandboxSms:
    """An `SmsGateway` that stores messages in `sms_outbox`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, phone: str, text: str, now: datetime) -> None:
        await self.db.execute("INSERT INTO sms_outbox (phone, text, created_at) VALUES (?, ?, ?)",
                              (_phone(phone), text, stamp(now)))

    async def outbox(self, phone: str) -> list[dict[str, Any]]:
        """The messages sent to `phone` (any common spelling), oldest first: id, phone, text, created_at."""
        rows = await self.db.fetchall("SELECT id, phone, text, created_at FROM sms_outbox WHERE phone = ? "
                                      "ORDER BY created_at, id", (_phone(phone),))
        return [{**r, "created_at": unstamp(r["created_at"])} for r in rows]


class SandboxEmail:
    """An `EmailSender` that stores messages in `email_outbox` (attachments base64 in `email_attachments`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, to: str, subject: str, body: str, now: datetime,
                   attachments: Sequence[Attachment] = ()) -> None:
        async with self.db.transaction(f"email:{to.strip()}") as tx:  # plain inserts: no other writer waits
            email_id = await tx.fetchval(
                "INSERT INTO email_outbox (recipient, subject, body, created_at) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (to.strip(), subject, body, stamp(now)))
            if attachments:
                await tx.executemany(
                    "INSERT INTO email_attachments (email_id, filename, content_type, data) "
                    "VALUES (?, ?, ?, ?)",
                    [(email_id, a.filename, a.content_type, base64.b64encode(a.data).decode("ascii"))
                     for a in attachments])

    async def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """The e-mails sent (to one address, or all), oldest first: id, to, subject, body, created_at and
        attachments [{filename, content_type, data: bytes}]."""
        if to is None:
            rows = await self.db.fetchall("SELECT * FROM email_outbox ORDER BY created_at, id")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM email_outbox WHERE recipient = ? ORDER BY created_at, id", (to.strip(),))
        out = []
        for r in rows:
            files = await self.db.fetchall(
                "SELECT filename, content_type, data FROM email_attachments WHERE email_id = ? ORDER BY id",
                (r["id"],))
            out.append({
                "id": r["id"], "to": r["recipient"], "subject": r["subject"], "body": r["body"],
                "created_at": unstamp(r["created_at"]),
                "attachments": [{"filename": f["filename"], "content_type": f["content_type"],
                                 "data": base64.b64decode(f["data"])} for f in files],
            })
        return out
