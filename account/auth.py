"""Subscriber login by a one-time code sent in an SMS.

- Codes are 6 digits, single use, valid `code_ttl` (10 minutes), at most `max_attempts`
  (5) wrong tries per code, stored only as an HMAC (the key is kept in the database's
  `app_secrets`, or given in the environment).
- Sends are limited per phone number and per channel user: 1 a minute, 5 an hour; and per client
  address where the channel knows it (web chat): 10 an hour (`[limits] login_codes_per_hour`).
- The reply never tells whether a number is a subscriber: for a number that is not, a
  code record is kept all the same (nothing is sent), so every later step behaves alike.
- Codes never reach a log: the SMS text goes only to the SMS gateway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from backends.billing import BillingBackend
from backends.messaging import SmsGateway
from kernel.clock import stamp, unstamp
from kernel.ratelimit import RateLimiter
from storage.db import Database
from storage.logins import LoginCodeStore


@dataclass(frozen=True)
class LoginPolicy:
    code_ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    per_minute: int = 1
    per_hour: int = 5
    session_ttl: timedelta = timedelta(days=30)
    per_address_hour: int = 10


@dataclass(frozen=True)
class SendResult:
    status: Literal["sent", "rate_limited"]
    retry_after: int = 0  # seconds


@dataclass(frozen=True)
class VerifyResult:
    status: Literal["ok", "wrong", "expired", "locked", "no_code"]
    subscriber_id: int | None = None
    attempts_left: int = 0


class LoginService:
    def __init__(self, db: Database, billing: BillingBackend, sms: SmsGateway, key: bytes,
                 policy: LoginPolicy | None = None) -> None:
        self.db = db
        self.billing = billing
        self.sms = sms
        self.key = key
        self.policy = policy or LoginPolicy()
        per_hour = self.policy.per_address_hour
        self.address_limiter: RateLimiter = RateLimiter(rate=per_hour / 3600, burst=per_hour)

    def _hash(self, phone: str, code: str) -> str:
        return hmac.new(self.key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    async def send_code(self, user_key: str, phone: str, now: datetime, purpose: str = "login",
                        lang: str = "ru", address: str | None = None) -> SendResult:
        """Send a fresh code to `phone` (only if it is a subscriber; the answer is the same)."""
        policy = self.policy
        subscriber = await self.billing.find_subscriber(phone)
        if address is not None and not await self.address_limiter.allow_async(address, time.monotonic()):
            return SendResult("rate_limited", int(3600 / policy.per_address_hour) + 1)
        async with self.db.transaction(f"phone:{phone}") as tx:  # the limits count per phone (and per user)
            minute_ago = stamp(now - timedelta(minutes=1))
            recent = [unstamp(s) for s in await LoginCodeStore.sent_since(tx, phone, user_key, now - timedelta(hours=1))]
            last_minute = [t for t in recent if stamp(t) > minute_ago]
            if len(last_minute) >= policy.per_minute:
                wait = 60 - (now - last_minute[0]).total_seconds()
                return SendResult("rate_limited", max(1, int(wait) + 1))
            if len(recent) >= policy.per_hour:
                wait = 3600 - (now - recent[0]).total_seconds()
                return SendResult("rate_limited", max(1, int(wait) + 1))
            code = f"{secrets.randbelow(10**6):06d}"
            await LoginCodeStore.add(tx, phone, user_key, purpose, self._hash(phone, code),
                                     subscriber.id if subscriber else None, now, now + policy.code_ttl)
        if subscriber is not None:
            await self.sms.send(phone, sms_text(code, purpose, lang, int(policy.code_ttl.total_seconds() // 60)), now)
        return SendResult("sent")

    async def code_out(self, user_key: str, now: datetime, recent: timedelta) -> bool:
        """Whether this channel user has a code that still works, or was sent one within `recent`."""
        return await LoginCodeStore.outstanding(self.db, user_key, now, now - recent)

    async def verify(self, user_key: str, code: str, now: datetime, purpose: str = "login") -> VerifyResult:
        async with self.db.transaction(f"login:{user_key}") as tx:
            row = await LoginCodeStore.latest_unused(tx, user_key, purpose)
            if row is None:
                return VerifyResult("no_code")
            if row["attempts"] >= self.policy.max_attempts:
                return VerifyResult("locked")
            if unstamp(row["expires_at"]) <= now:
                return VerifyResult("expired")
            good = hmac.compare_digest(row["code_hash"], self._hash(row["phone"], code.strip()))
            if good and row["subscriber_id"] is not None:
                await LoginCodeStore.use(tx, row["id"], now)
                return VerifyResult("ok", row["subscriber_id"])
            attempts = row["attempts"] + 1
            await LoginCodeStore.set_attempts(tx, row["id"], attempts)
            left = self.policy.max_attempts - attempts
            return VerifyResult("locked" if left <= 0 else "wrong", attempts_left=max(left, 0))


def sms_text(code: str, purpose: str, lang: str, minutes: int) -> str:
    if lang == "en":
        what = "to confirm blocking your SIM" if purpose == "recheck" else "to log in to the Tele2 support chat"
        return f"Code {code} {what}. Valid {minutes} min. Never tell it to anyone."
    what = "для подтверждения блокировки SIM" if purpose == "recheck" else "для входа в чат поддержки Tele2"
    return f"Код {code} {what}. Действует {minutes} мин. Никому не сообщайте его."


def mask_phone(phone: str) -> str:
    """+79990000001 → +7 999 •••-••-01"""
    if len(phone) == 12:
        return f"{phone[:2]} {phone[2:5]} •••-••-{phone[-2:]}"
    return phone[:4] + "•••"
