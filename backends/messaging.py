"""Outgoing SMS and e-mail: the interfaces.

`SmsGateway` and `EmailSender` are what the bot calls (login codes, receipts, call details);
a real SMS centre or SMTP server would implement them. The sandbox's implementations are in
`backends/sandbox_messaging.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from intents.replies import Attachment


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str, now: datetime) -> None:
        """Send one SMS to a +7XXXXXXXXXX number."""


class EmailSender(Protocol):
    async def send(self, to: str, subject: str, body: str, now: datetime,
                   attachments: Sequence[Attachment] = ()) -> None:
        """Send one e-mail (plain-text body) with optional attachments."""
