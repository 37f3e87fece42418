"""`supportbot billing …` and `supportbot sms …`: look into and fill the sandbox billing.

    supportbot billing add-subscriber --phone 89990000009 --name "Анна" --balance 120.50 --tariff moy-online
    supportbot billing show --phone "+7 999 000-00-01"
    supportbot billing tariffs
    supportbot sms outbox --phone 9990000001 [--last]

Every command opens the database (migrating it and filling the demo data on first start,
exactly as the chat does) and prints its result on stdout; problems go to stderr with exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from backends.billing import BillingError
from backends.sandbox import SandboxBilling
from backends.sandbox_messaging import SandboxSms
from kernel.clock import parse_now, utcnow
from kernel.phones import normalize_phone
from storage.db import Database
from storage.schema import migrate

from .config import Config

ERRORS = {
    "bad_phone": "not a phone number: {phone}",
    "duplicate_phone": "{phone} is already a subscriber",
    "unknown_tariff": "no such tariff: {tariff_id} (see `supportbot billing tariffs`)",
    "unknown_subscriber": "no subscriber with the number {phone}",
    "bad_balance": "not a sum of rubles: {balance}",
    "bad_now": "--now must be an ISO-8601 date-time: {now}",
    "no_sms": "no SMS was sent to {phone}",
}


class CommandError(Exception):
    """A problem to report on stderr (exit code 1)."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(ERRORS.get(code, code).format(**values))
        self.code = code


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="SQLite database file (default: [storage] path in config.toml)")
    # an ISO date-time instead of the clock (scripts, tests)
    parser.add_argument("--now", help=argparse.SUPPRESS)


def add_commands(sub: Any) -> None:
    """Register `billing` and `sms` on the top-level subparsers object."""
    billing = sub.add_parser("billing", help="the sandbox billing: subscribers, tariffs")
    billing_sub = billing.add_subparsers(dest="billing_command", required=True)
    add = billing_sub.add_parser("add-subscriber", help="add a subscriber (prints the new id)")
    add.add_argument("--phone", required=True, help="phone number, any common spelling")
    add.add_argument("--name", required=True, help="the subscriber's name")
    add.add_argument("--balance", default="0", help="initial balance in rubles, e.g. 120.50")
    add.add_argument("--tariff", required=True, help="tariff id (see `billing tariffs`)")
    _common(add)
    show = billing_sub.add_parser("show", help="a subscriber's account as JSON")
    show.add_argument("--phone", required=True)
    _common(show)
    tariffs = billing_sub.add_parser("tariffs", help="the tariffs: id, name, monthly fee")
    _common(tariffs)

    sms = sub.add_parser("sms", help="the sandbox SMS gateway")
    sms_sub = sms.add_subparsers(dest="sms_command", required=True)
    outbox = sms_sub.add_parser("outbox", help="the SMS sent to a number, oldest first")
    outbox.add_argument("--phone", required=True)
    outbox.add_argument("--last", action="store_true", help="print only the newest text")
    _common(outbox)


def run(args: argparse.Namespace, config: Config) -> int:
    """Perform a `billing` or `sms` command; returns the exit code."""
    try:
        out = asyncio.run(_run(args, config))
    except CommandError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    if out:
        print(out)
    return 0


async def _run(args: argparse.Namespace, config: Config) -> str:
    now = _now(getattr(args, "now", None))
    from .database import open_database

    db = await open_database(config, getattr(args, "db", None))
    try:
        await migrate(db)
        billing = SandboxBilling(db)
        await billing.seed_demo(now)
        if args.command == "sms":
            return await _sms_outbox(db, args)
        command = args.billing_command
        if command == "add-subscriber":
            return await _add_subscriber(billing, args, now)
        if command == "show":
            return json.dumps(await show(billing, _phone(args.phone), now), ensure_ascii=False, indent=2)
        if command == "tariffs":
            return "\n".join(
                f"{t.id}\t{t.name_ru}\t{_rubles(t.monthly_fee):g} ₽/мес\t"
                f"{t.minutes} мин, {t.sms} SMS, {t.gb:g} ГБ" for t in await billing.tariffs())
        raise CommandError(f"unknown command: {command}")
    finally:
        await db.close()


def _now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        parsed = parse_now(value)
    except ValueError:
        raise CommandError("bad_now", now=value) from None
    assert parsed is not None
    return parsed


def _phone(text: str) -> str:
    phone = normalize_phone(text)
    if phone is None:
        raise CommandError("bad_phone", phone=text)
    return phone


def _kopecks(text: str) -> int:
    """Rubles as typed ("120.50", "120,5", "120") → kopecks."""
    try:
        value = Decimal(str(text).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise CommandError("bad_balance", balance=text) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise CommandError("bad_balance", balance=text)
    return int(value * 100)


def _rubles(kopecks: int) -> float:
    return kopecks / 100


async def _add_subscriber(billing: SandboxBilling, args: argparse.Namespace, now: datetime) -> str:
    phone = _phone(args.phone)
    try:
        sub = await billing.add_subscriber(phone, args.name, _kopecks(args.balance), args.tariff, now)
    except BillingError as exc:
        raise CommandError(exc.code, phone=phone, tariff_id=args.tariff) from None
    return str(sub.id)


async def show(billing: SandboxBilling, phone: str, now: datetime) -> dict[str, Any]:
    """A subscriber's account as plain JSON data (money in rubles, times in UTC ISO)."""
    sub = await billing.find_subscriber(phone)
    if sub is None:
        raise CommandError("unknown_subscriber", phone=phone)
    account = await billing.account(sub.id, now)
    promised = account.promised
    autopay = account.autopay
    return {
        "phone": sub.phone,
        "name": sub.name,
        "balance": _rubles(account.balance),
        "balance_kopecks": account.balance,
        "tariff": {"id": account.tariff.id, "name": account.tariff.name_ru},
        "remaining": {"minutes": account.remaining.minutes, "sms": account.remaining.sms,
                      "gb": account.remaining.gb},
        "packages": [{"id": p["id"], "kind": p["kind"], "amount": p["amount"], "price": _rubles(p["price"]),
                      "bought_at": _iso(p["bought_at"])}
                     for p in await billing.package_purchases(sub.id, now)],
        "services": [{"id": s.id, "name": s.name_ru, "monthly_fee": _rubles(s.monthly_fee)}
                     for s in account.services],
        "promised_payment": None if promised is None else {
            "amount": _rubles(promised.amount), "fee": _rubles(promised.fee),
            "due_at": _iso(promised.due_at)},
        "blocked": sub.blocked,
        "autopay": {"enabled": autopay.enabled, "mode": autopay.mode,
                    "threshold": None if autopay.threshold is None else _rubles(autopay.threshold),
                    "day": autopay.day, "amount": _rubles(autopay.amount)},
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _sms_outbox(db: Database, args: argparse.Namespace) -> str:
    phone = _phone(args.phone)
    messages = await SandboxSms(db).outbox(phone)
    if getattr(args, "last", False):
        if not messages:
            raise CommandError("no_sms", phone=phone)
        return str(messages[-1]["text"])
    return "\n".join(f"{_iso(m['created_at'])}  {' '.join(str(m['text']).splitlines())}" for m in messages)
