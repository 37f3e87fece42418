"""`supportbot billing …` and `supportbot sms …`: look into and fill the sandbox billing.

    supportbot billing add-subscriber --phone 89990000009 --name "Анна" --balance 120.50 --tariff moy-online
    supportbot billing show --phone "+7 999 000-00-01"
    supportbot billing tariffs
    supportbot billing set --phone P [--balance RUB] [--minutes N] [--sms N] [--gb X]
        [--service-on ID]… [--service-off ID]… [--blocked yes|no] [--region SLUG]
    supportbot billing incident add --region SLUG --affects internet|calls|sms [--until ISO] [--note TEXT]
    supportbot billing incident list | clear [--id N]
    supportbot sms outbox --phone 9990000001 [--last]

Every command opens the database (migrating it and filling the demo data on first start,
exactly as the chat does) and prints its result on stdout; problems go to stderr with exit 1,
a bad value given to `set` or `incident` with exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from backends.billing import INCIDENT_AFFECTS, BillingError
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
    "bad_count": "--{name} must be a whole number from 0 to 10000000: {value}",
    "bad_gb": "--gb must be a number of gigabytes from 0 to 10000, at most two decimals: {value}",
    "unknown_region": "no such region: {region} (region ids as in knowledge/regions.yaml, e.g. moscow)",
    "unknown_service": "no such service: {service_id}",
    "on_and_off": "a service cannot be both switched on and off: {service_id}",
    "nothing_to_set": "nothing to set: give at least one of --balance --minutes --sms --gb --service-on "
                      "--service-off --blocked --region",
    "bad_until": "--until must be an ISO-8601 date-time after now: {until}",
    "unknown_incident": "no incident with id {id}",
    "bad_note": "--note is at most 300 characters",
}



class CommandError(Exception):
    """A problem to report on stderr (exit code 1)."""

    def __init__(self, code: str, exit_code: int = 1, **values: object) -> None:
        super().__init__(ERRORS.get(code, code).format(**values))
        self.code = code
        self.exit_code = exit_code


def _bad(code: str, **values: object) -> CommandError:
    """A bad value for `billing set` / `billing incident` (exit code 2, like a usage error)."""
    return CommandError(code, 2, **values)


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
    setter = billing_sub.add_parser("set", help="put an account into a test situation (prints it as `show`)")
    setter.add_argument("--phone", required=True)
    setter.add_argument("--balance", help="the balance in rubles, e.g. -50 or 120.50")
    setter.add_argument("--minutes", help="minutes left this month")
    setter.add_argument("--sms", help="SMS left this month")
    setter.add_argument("--gb", help="gigabytes left this month, e.g. 0 or 1.5")
    setter.add_argument("--service-on", action="append", default=[], metavar="ID", help="switch a service on (repeat)")
    setter.add_argument("--service-off", action="append", default=[], metavar="ID", help="switch a service off (repeat)")
    setter.add_argument("--blocked", choices=["yes", "no"], help="block or unblock the SIM")
    setter.add_argument("--region", metavar="SLUG", help="the number's region id (knowledge/regions.yaml)")
    _common(setter)
    incident = billing_sub.add_parser("incident", help="known problems on the line, by region")
    incident_sub = incident.add_subparsers(dest="incident_command", required=True)
    inc_add = incident_sub.add_parser("add", help="record a known problem (prints its id)")
    inc_add.add_argument("--region", required=True, metavar="SLUG")
    inc_add.add_argument("--affects", required=True, choices=list(INCIDENT_AFFECTS))
    inc_add.add_argument("--until", help="the expected end, ISO-8601 (without an offset: Moscow time)")
    inc_add.add_argument("--note", default="", help="what is known (shown to subscribers)")
    _common(inc_add)
    inc_list = incident_sub.add_parser("list", help="the incidents as JSON lines")
    _common(inc_list)
    inc_clear = incident_sub.add_parser("clear", help="remove one incident (--id) or all")
    inc_clear.add_argument("--id", type=int)
    _common(inc_clear)

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
        return exc.exit_code
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
        if command == "set":
            return await _set(billing, args, now, config)
        if command == "incident":
            return await _incident(billing, args, now, config)
        if command == "tariffs":
            return "\n".join(
                f"{t.id}\t{t.name_ru}\t{_rubles(t.monthly_fee):g} ₽/мес\t"
                f"{t.minutes} мин, {t.sms} SMS, {t.gb:g} ГБ" for t in await billing.tariffs())
        raise CommandError(f"unknown command: {command}")
    finally:
        await db.close()


def _region_ids(config: Config) -> set[str]:
    from knowledge import loader

    from .runtime import knowledge_dir

    regions, _, _, _ = loader.load_reference(knowledge_dir(config))
    return {r.id for r in regions}


def _count(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or int(text) > 10_000_000:
        raise _bad("bad_count", name=name, value=value)
    return int(text)


def _gb(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise _bad("bad_gb", value=value) from None
    if not number.is_finite() or number < 0 or number > 10000 or number != number.quantize(Decimal("0.01")):
        raise _bad("bad_gb", value=value)
    return float(number)


async def _set(billing: SandboxBilling, args: argparse.Namespace, now: datetime, config: Config) -> str:
    phone = normalize_phone(args.phone)
    if phone is None:
        raise _bad("bad_phone", phone=args.phone)
    sub = await billing.find_subscriber(phone)
    if sub is None:
        raise _bad("unknown_subscriber", phone=phone)
    try:
        balance = None if args.balance is None else _kopecks(args.balance)
    except CommandError:
        raise _bad("bad_balance", balance=args.balance) from None
    minutes, sms, gb = _count("minutes", args.minutes), _count("sms", args.sms), _gb(args.gb)
    catalogue = {s.id for s in await billing.services()}
    for service_id in [*args.service_on, *args.service_off]:
        if service_id not in catalogue:
            raise _bad("unknown_service", service_id=service_id)
    both = set(args.service_on) & set(args.service_off)
    if both:
        raise _bad("on_and_off", service_id=sorted(both)[0])
    if args.region is not None and args.region not in _region_ids(config):
        raise _bad("unknown_region", region=args.region)
    blocked = None if args.blocked is None else args.blocked == "yes"
    if all(v is None for v in (balance, minutes, sms, gb, blocked, args.region)) and not (
            args.service_on or args.service_off):
        raise _bad("nothing_to_set")
    await billing.set_account(sub.id, now, balance=balance, minutes=minutes, sms=sms, gb=gb,
                              services_on=tuple(args.service_on), services_off=tuple(args.service_off),
                              blocked=blocked, region_id=args.region)
    return json.dumps(await show(billing, phone, now), ensure_ascii=False, indent=2)


async def _incident(billing: SandboxBilling, args: argparse.Namespace, now: datetime, config: Config) -> str:
    command = args.incident_command
    if command == "add":
        if args.region not in _region_ids(config):
            raise _bad("unknown_region", region=args.region)
        until = None
        if args.until:
            try:
                until = parse_now(args.until)
            except ValueError:
                raise _bad("bad_until", until=args.until) from None
            if until is None or until <= now:
                raise _bad("bad_until", until=args.until)
        if len(args.note) > 300:
            raise _bad("bad_note")
        return str(await billing.add_incident(args.region, args.affects, now, until, args.note.strip()))
    if command == "list":
        return "\n".join(json.dumps({
            "id": i.id, "region": i.region_id, "affects": i.affects, "since": _iso(i.since),
            "until": _iso(i.until) if i.until else None, "note": i.note,
            "active": i.since <= now and (i.until is None or i.until > now)}, ensure_ascii=False)
            for i in await billing.all_incidents())
    removed = await billing.clear_incidents(args.id)
    if args.id is not None and not removed:
        raise _bad("unknown_incident", id=args.id)
    return str(removed)


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
        "region": sub.region_id,
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
