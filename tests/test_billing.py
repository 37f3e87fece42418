"""The sandbox billing (backends/sandbox.py), the sandbox SMS/e-mail outboxes and the billing CLI."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import random
import tempfile
from collections.abc import AsyncIterator, Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dbaccess
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.billing import (
    EXPENSE_CATEGORIES,
    SERVICE_GROUPS,
    Autopay,
    BillingError,
    OperationResult,
    Remaining,
    Subscriber,
)
from backends.sandbox import PACKAGES, SERVICES, TARIFFS, SandboxBilling, month_bounds
from backends.sandbox_messaging import SandboxEmail, SandboxSms
from intents.replies import Attachment
from kernel.clock import MOSCOW
from storage.db import Database
from storage.schema import migrate
from supportbot import billingtools
from supportbot.config import load_config
from supportbot.database import open_database

NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
TARIFF = {t.id: t for t in TARIFFS}
SERVICE = {s.id: s for s in SERVICES}
PACKAGE = {p.id: p for p in PACKAGES}


# -- fixtures and helpers ------------------------------------------------------------------------


async def open_db(path: Path | str) -> Database:
    db = await open_database(load_config(), str(path))
    await migrate(db)
    return db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(await dbaccess.empty(tmp_path / "billing.db"))
    yield database
    await database.close()
    await dbaccess.release(tmp_path / "billing.db")


@pytest.fixture
async def billing(db: Database) -> SandboxBilling:
    backend = SandboxBilling(db)
    assert await backend.seed_catalogue()
    return backend


_phones = iter(range(10**6))


async def new_sub(billing: SandboxBilling, balance: int = 100000, tariff: str = "moy-online",
                  days: int = 365, phone: str | None = None) -> Subscriber:
    phone = phone or f"+7900{next(_phones):07d}"
    return await billing.add_subscriber(phone, "Тест Тестов", balance, tariff, NOW,
                                        created_at=NOW - timedelta(days=days))


async def refused(code: str, call: Awaitable[Any]) -> BillingError:
    with pytest.raises(BillingError) as info:
        await call
    assert info.value.code == code
    return info.value


async def consistent(billing: SandboxBilling, sub_id: int) -> int:
    """The balance, after checking it equals the ledger's sum."""
    balance = await billing.balance(sub_id)
    rows = await billing.ledger(sub_id)
    assert balance == await billing.ledger_sum(sub_id) == sum(r["amount"] for r in rows)
    return balance


async def topup(billing: SandboxBilling, sub: Subscriber, amount: int, key: str,
                now: datetime = NOW) -> OperationResult:
    payment = await billing.create_payment(sub.id, sub.phone, amount, key, now)
    return await billing.complete_payment(payment.token, now)


# -- seeding and the catalogue -------------------------------------------------------------------


async def test_seeded_usage_is_charged_as_records_one_by_one(billing: SandboxBilling) -> None:
    """The demo history's batch path (`_seed_usage`) charges what `_record_usage` charges record by
    record: across a Moscow month's end, past the allowance (overage charged), incoming and outgoing."""
    from backends.sandbox import _demo_usage

    now = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # the month before holds most of the 30 days
    rng = random.Random(7)
    events = _demo_usage(now, rng) + [("data", "out", "", 2500.0, now - timedelta(days=d, hours=1)) for d in range(1, 30)]
    events.sort(key=lambda e: e[4])
    tariff = next(t for t in TARIFFS if t.id == "moy-online")
    batch, single = await new_sub(billing), await new_sub(billing)
    await billing._seed_usage(billing.db, batch, tariff, events)
    for event in events:
        await billing._record_usage(billing.db, single, tariff, *event)

    async def history(sub: Subscriber) -> tuple[list[tuple], list[tuple]]:
        usage = await billing.db.fetchall(
            "SELECT kind, direction, other_party, quantity, units, cost, started_at FROM usage_records "
            "WHERE subscriber_id = ? ORDER BY started_at, id", (sub.id,))
        ledger = await billing.db.fetchall(
            "SELECT amount, category, description, created_at FROM ledger WHERE subscriber_id = ? ORDER BY id",
            (sub.id,))
        return [tuple(r.values()) for r in usage], [tuple(r.values()) for r in ledger]

    (usage, ledger), (usage_one, ledger_one) = await history(batch), await history(single)
    assert usage == usage_one and ledger == ledger_one
    assert sum(1 for r in usage if r[5]) > 10  # overage was charged
    assert len({r[6][:7] for r in usage}) == 2  # two months
    assert await consistent(billing, batch.id) == await consistent(billing, single.id)


async def test_seed_demo_once(db: Database) -> None:
    billing = SandboxBilling(db)
    assert await billing.seed_demo(NOW)
    assert not await billing.seed_demo(NOW)
    assert not await billing.seed_catalogue()
    assert await db.fetchval("SELECT count(*) FROM tariffs") == len(TARIFFS)
    subs = [await billing.find_subscriber(f"+7999000000{i}") for i in range(1, 6)]
    assert all(s is not None for s in subs)
    ivan, maria, alexey, olga, dmitry = (s for s in subs if s is not None)
    for sub in (ivan, maria, alexey, olga, dmitry):
        await consistent(billing, sub.id)

    assert ivan.name == "Иван Петров"
    assert NOW - ivan.created_at > timedelta(days=700)
    assert 30000 <= await billing.balance(ivan.id) <= 40000
    usage = await billing.usage(ivan.id, (NOW - timedelta(days=31)).date(), NOW.date())
    assert len(usage) > 60
    kinds = {(u.kind, u.direction) for u in usage}
    assert kinds >= {("call", "out"), ("call", "in"), ("sms", "out"), ("data", "out")}
    assert len({u.other_party for u in usage if u.kind == "call"}) >= 3
    assert all(NOW - timedelta(days=31) <= u.started_at < NOW for u in usage)
    assert usage == sorted(usage, key=lambda u: u.started_at)
    account = await billing.account(ivan.id, NOW)
    fees = [s.monthly_fee for s in account.services if s.id != "mobile-internet"]
    assert 0 in fees and any(fees)
    categories = {r["category"] for r in await billing.ledger(ivan.id)}
    assert {"subscription", "content", "topup"} <= categories
    assert account.remaining.minutes < account.remaining.minutes_total

    assert 1000 <= await billing.balance(maria.id) <= 2000
    assert (await billing.promised_offer(alexey.id, NOW)).reason == "too_new"
    assert (await billing.promised_offer(olga.id, NOW)).reason == "open_promised"
    assert (await billing.account(olga.id, NOW)).promised is not None
    assert dmitry.blocked and (await billing.promised_offer(dmitry.id, NOW)).reason == "blocked"


async def test_seed_demo_is_deterministic(tmp_path: Path) -> None:
    ledgers = []
    for name in ("a.db", "b.db"):
        database = await open_db(tmp_path / name)
        billing = SandboxBilling(database)
        await billing.seed_demo(NOW)
        sub = await billing.find_subscriber("+79990000001")
        assert sub is not None
        ledgers.append([(r["amount"], r["category"], r["created_at"]) for r in await billing.ledger(sub.id)])
        await database.close()
    assert ledgers[0] == ledgers[1]


@pytest.mark.parametrize("now", [
    datetime(2026, 12, 1, 21, 3, tzinfo=UTC),   # 00:03 on the 2nd in Moscow
    datetime(2026, 3, 1, 7, 0, tzinfo=UTC),     # 10:00 on the 1st in Moscow
    datetime(2026, 2, 28, 20, 59, tzinfo=UTC),  # 23:59 on the 28th in Moscow
    datetime(2026, 1, 31, 21, 2, tzinfo=UTC),   # 00:02 on the 1st in Moscow: minutes into the month
])
async def test_seed_demo_this_month_on_any_day(db: Database, now: datetime) -> None:
    """The demo's "this month" charges (fees, Ivan's content subscription) fall in the Moscow
    month of the seeding moment and not after it, also on the first days of a month."""
    billing = SandboxBilling(db)
    assert await billing.seed_demo(now)
    ivan = await billing.find_subscriber("+79990000001")
    assert ivan is not None
    start = month_bounds(now)[0]
    local = now.astimezone(MOSCOW).date()
    spent = await billing.expenses(ivan.id, local.replace(day=1), local)
    assert spent.by_category["content"] == 3000 and spent.by_category["subscription"] > 0
    for row in await billing.ledger(ivan.id):
        assert row["created_at"] <= now, row
        if row["category"] in ("subscription", "content"):
            assert row["created_at"] >= start, row


async def test_catalogue(billing: SandboxBilling) -> None:
    tariffs = {t.id: t for t in await billing.tariffs()}
    assert len(tariffs) >= 4 and {"moy-online", "moy-razgovor", "moy-tele2", "classic"} <= set(tariffs)
    assert tariffs["moy-online"].monthly_fee == 50000 and tariffs["moy-online"].name("en") == "My Online"
    classic = tariffs["classic"]
    assert classic.name_ru == "Классический"
    assert (classic.monthly_fee, classic.minutes, classic.sms, classic.gb) == (0, 0, 0, 0)
    assert all(t.minute_price > 0 and t.sms_price > 0 and t.mb_price > 0 for t in tariffs.values())

    services = await billing.services()
    assert len(services) >= 16
    assert {s.group for s in services} == set(SERVICE_GROUPS)
    assert any(s.monthly_fee == 0 for s in services) and any(s.monthly_fee for s in services)
    assert any(s.connect_fee for s in services)

    def by_alias(alias: str) -> str:
        return next(s.id for s in services if alias in s.aliases)

    assert by_alias("аон") == by_alias("caller id") == "caller-id"
    assert by_alias("ringback tone") == by_alias("мелодия вместо гудка") == "ringback"
    assert by_alias("hotspot") == "tethering"
    assert by_alias("missed calls") == by_alias("пропущенные") == "missed-calls"
    assert by_alias("blacklist") == "blacklist" and by_alias("voicemail") == "voicemail"
    assert by_alias("hide my number") == "antiaon" and by_alias("call waiting") == "call-waiting"
    assert by_alias("forward calls") == "forwarding" and by_alias("spam calls") == "antispam"

    offers = {(p.kind, p.amount) for p in await billing.packages()}
    assert {("gb", a) for a in (1, 3, 5, 10, 20)} <= offers
    assert {("min", a) for a in (50, 100, 300)} | {("sms", a) for a in (50, 100, 300)} <= offers


# -- subscribers ---------------------------------------------------------------------------------


async def test_add_subscriber(billing: SandboxBilling) -> None:
    sub = await billing.add_subscriber("8 (999) 123-45-67", "Анна Белова", 12050, "moy-tele2", NOW)
    assert sub.phone == "+79991234567" and sub.tariff_id == "moy-tele2" and not sub.blocked
    assert await consistent(billing, sub.id) == 12050
    [row] = await billing.ledger(sub.id)
    assert (row["amount"], row["category"]) == (12050, "adjustment")
    for spelling in ("+7 999 123-45-67", "89991234567", "9991234567"):
        assert await billing.find_subscriber(spelling) == sub
    assert await billing.subscriber(sub.id) == sub
    assert await billing.find_subscriber("+79990000000") is None
    account = await billing.account(sub.id, NOW)
    assert [s.id for s in account.services] == ["mobile-internet", "sms-mms"]
    assert account.promised is None and not account.autopay.enabled
    assert account.remaining.minutes == account.remaining.minutes_total == 150

    await refused("duplicate_phone", billing.add_subscriber("9991234567", "X", 0, "classic", NOW))
    await refused("unknown_tariff", billing.add_subscriber("+79991234568", "X", 0, "nope", NOW))
    await refused("bad_phone", billing.add_subscriber("12345", "X", 0, "classic", NOW))
    await refused("unknown_subscriber", billing.account(9999, NOW))


# -- changing operations ---------------------------------------------------------------------------


async def test_change_tariff(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=60000, tariff="classic")
    result = await billing.change_tariff(sub.id, "moy-online", "t1", NOW)
    assert not result.repeated and result.balance == 10000 == await consistent(billing, sub.id)
    assert result.details["tariff_id"] == "moy-online" and result.details["charged"] == 50000
    assert (await billing.ledger(sub.id))[-1]["category"] == "subscription"
    assert (await billing.account(sub.id, NOW)).tariff.id == "moy-online"

    await refused("same_tariff", billing.change_tariff(sub.id, "moy-online", "t2", NOW))
    await refused("unknown_tariff", billing.change_tariff(sub.id, "nope", "t3", NOW))
    error = await refused("insufficient_funds", billing.change_tariff(sub.id, "moy-online-plus", "t4", NOW))
    assert error.details == {"need": 75000, "balance": 10000}
    await billing.block_sim(sub.id, "b1", NOW)
    await refused("blocked", billing.change_tariff(sub.id, "moy-tele2", "t5", NOW))
    assert await consistent(billing, sub.id) == 10000
    for key in ("t2", "t3", "t4", "t5"):  # refused operations store nothing
        assert await billing.operation(key) is None


async def test_connect_and_disconnect_service(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=20000)
    antiaon = SERVICE["antiaon"]
    result = await billing.connect_service(sub.id, "antiaon", "c1", NOW)
    assert result.details["charged"] == antiaon.connect_fee + antiaon.monthly_fee
    expected = 20000 - antiaon.connect_fee - antiaon.monthly_fee
    assert result.balance == expected == await consistent(billing, sub.id)
    rows = (await billing.ledger(sub.id))[-2:]
    assert sorted((r["category"], -r["amount"]) for r in rows) == [
        ("other", antiaon.connect_fee), ("subscription", antiaon.monthly_fee)]
    assert "antiaon" in {s.id for s in (await billing.account(sub.id, NOW)).services}

    await billing.connect_service(sub.id, "caller-id", "c2", NOW)  # free
    assert await consistent(billing, sub.id) == result.balance
    await refused("already_connected", billing.connect_service(sub.id, "antiaon", "c3", NOW))
    await refused("unknown_service", billing.connect_service(sub.id, "nope", "c4", NOW))
    error = await refused("insufficient_funds",
                          billing.connect_service(sub.id, "parental-control", "c5", NOW))
    assert error.details["need"] == SERVICE["parental-control"].monthly_fee

    off = await billing.disconnect_service(sub.id, "antiaon", "d1", NOW)
    assert off.balance == result.balance  # no refund
    assert "antiaon" not in {s.id for s in (await billing.account(sub.id, NOW)).services}
    await refused("not_connected", billing.disconnect_service(sub.id, "antiaon", "d2", NOW))
    await refused("unknown_service", billing.disconnect_service(sub.id, "nope", "d3", NOW))
    await billing.block_sim(sub.id, "b1", NOW)
    await refused("blocked", billing.connect_service(sub.id, "antispam", "c6", NOW))


async def test_buy_package_grows_remaining(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=40000)
    before = (await billing.account(sub.id, NOW)).remaining
    result = await billing.buy_package(sub.id, "gb-3", "p1", NOW)
    assert result.details["charged"] == PACKAGE["gb-3"].price
    await billing.buy_package(sub.id, "min-100", "p2", NOW)
    await billing.buy_package(sub.id, "sms-50", "p3", NOW)
    after = (await billing.account(sub.id, NOW)).remaining
    assert after.gb == before.gb + 3 and after.gb_total == before.gb_total + 3
    assert after.minutes == before.minutes + 100 and after.sms == before.sms + 50
    categories = [r["category"] for r in (await billing.ledger(sub.id))[-3:]]
    assert categories == ["internet", "calls", "sms"]
    assert await consistent(billing, sub.id) == 40000 - 25000 - 10000 - 5000
    assert [p["id"] for p in await billing.package_purchases(sub.id, NOW)] == ["gb-3", "min-100", "sms-50"]

    # a package bought last month does not count this month
    next_month = month_bounds(NOW)[1] + timedelta(hours=1)
    assert (await billing.account(sub.id, next_month)).remaining.gb == before.gb
    assert await billing.package_purchases(sub.id, next_month) == []

    await refused("insufficient_funds", billing.buy_package(sub.id, "gb-20", "p4", NOW))
    await refused("unknown_package", billing.buy_package(sub.id, "gb-7", "p5", NOW))
    await billing.block_sim(sub.id, "b1", NOW)
    await refused("blocked", billing.buy_package(sub.id, "gb-1", "p6", NOW))


async def test_usage_charges_over_allowance(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=10000, tariff="moy-tele2")  # 150 min, 0 SMS, 7 GB
    tariff = TARIFF["moy-tele2"]
    t = NOW - timedelta(hours=2)
    assert (await billing.record_usage(sub.id, "call", "out", "+79161234567", 149 * 60, t)).cost == 0
    call = await billing.record_usage(sub.id, "call", "out", "+79161234567", 121, t)  # 3 started minutes
    assert call.cost == 2 * tariff.minute_price
    assert (await billing.record_usage(sub.id, "call", "in", "+79161234567", 600, t)).cost == 0
    assert (await billing.record_usage(sub.id, "sms", "out", "+79161234567", 1, t)).cost == tariff.sms_price
    assert (await billing.record_usage(sub.id, "sms", "in", "900", 1, t)).cost == 0
    assert (await billing.record_usage(sub.id, "data", "out", "", 7 * 1024 - 10, t)).cost == 0
    assert (await billing.record_usage(sub.id, "data", "out", "", 30, t)).cost == 20 * tariff.mb_price
    remaining = (await billing.account(sub.id, NOW)).remaining
    assert (remaining.minutes, remaining.sms, remaining.gb) == (0, 0, 0)
    categories = [r["category"] for r in await billing.ledger(sub.id) if r["amount"] < 0]
    assert categories == ["calls", "sms", "internet"]
    assert await consistent(billing, sub.id) == 10000 - 300 - 150 - 300

    # a Moscow month: 21:30 UTC on 30 November is already December in Moscow
    december = datetime(2025, 11, 30, 21, 30, tzinfo=UTC)
    assert (await billing.record_usage(sub.id, "call", "out", "+79161234567", 60, december)).cost == 0
    assert (await billing.account(sub.id, december)).remaining.minutes == 149

    classic = await new_sub(billing, balance=10000, tariff="classic")
    record = await billing.record_usage(classic.id, "data", "out", "", 1.5, t)
    assert record.cost == math.ceil(1.5 * TARIFF["classic"].mb_price)
    await refused("bad_usage", billing.record_usage(classic.id, "fax", "out", "", 1, t))
    await refused("bad_usage", billing.record_usage(classic.id, "call", "out", "", -1, t))

    listed = await billing.usage(sub.id, t.date(), t.date())
    assert [u.cost for u in listed] == [0, 300, 0, 150, 0, 0, 300]
    assert await billing.usage(sub.id, date(2025, 12, 1), date(2025, 12, 31)) == [
        replace(listed[0], started_at=december, quantity=60.0)]


async def test_charge_content(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=5000)
    assert await billing.charge_content(sub.id, 1500, "Гороскоп", NOW) == 3500
    assert (await billing.ledger(sub.id))[-1]["category"] == "content"
    await refused("bad_amount", billing.charge_content(sub.id, 0, "x", NOW))


async def test_block_sim(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=7000)
    result = await billing.block_sim(sub.id, "blk", NOW)
    assert result.balance == 7000 and (await billing.subscriber(sub.id)).blocked  # type: ignore[union-attr]
    assert (await billing.block_sim(sub.id, "blk", NOW)).repeated
    await refused("already_blocked", billing.block_sim(sub.id, "blk2", NOW))
    await refused("blocked", billing.record_usage(sub.id, "call", "out", "+79161234567", 60, NOW))
    assert await consistent(billing, sub.id) == 7000


# -- promised payment ----------------------------------------------------------------------------


async def test_promised_eligibility(billing: SandboxBilling) -> None:
    new = await new_sub(billing, days=59)
    assert (await billing.promised_offer(new.id, NOW)).reason == "too_new"
    await refused("too_new", billing.take_promised(new.id, 10000, "n1", NOW))
    assert (await billing.promised_offer(new.id, NOW + timedelta(days=1))).eligible

    poor = await new_sub(billing, balance=-10001)
    assert (await billing.promised_offer(poor.id, NOW)).reason == "balance_too_low"
    await refused("balance_too_low", billing.take_promised(poor.id, 10000, "n2", NOW))
    edge = await new_sub(billing, balance=-10000)
    assert (await billing.promised_offer(edge.id, NOW)).eligible

    blocked = await new_sub(billing)
    await billing.block_sim(blocked.id, "b", NOW)
    assert (await billing.promised_offer(blocked.id, NOW)).reason == "blocked"
    await refused("blocked", billing.take_promised(blocked.id, 10000, "n3", NOW))

    young = await new_sub(billing, days=90)
    offer = await billing.promised_offer(young.id, NOW)
    assert offer.eligible and offer.reason is None
    assert [(o.amount, o.fee, o.days) for o in offer.options] == [(10000, 1000, 3), (30000, 2500, 7)]
    await refused("bad_amount", billing.take_promised(young.id, 50000, "n4", NOW))
    old = await new_sub(billing, days=180)
    assert [o.amount for o in (await billing.promised_offer(old.id, NOW)).options] == [10000, 30000, 50000]
    await refused("bad_amount", billing.take_promised(old.id, 20000, "n5", NOW))

    result = await billing.take_promised(old.id, 30000, "n6", NOW)
    assert result.balance == 100000 + 30000 - 2500 == await consistent(billing, old.id)
    assert result.details["fee"] == 2500
    rows = (await billing.ledger(old.id))[-2:]
    assert [(r["amount"], r["category"]) for r in rows] == [(30000, "promised"), (-2500, "other")]
    promised = (await billing.account(old.id, NOW)).promised
    assert promised is not None and promised.due_at == NOW + timedelta(days=7) and promised.repaid_at is None
    assert (await billing.promised_offer(old.id, NOW)).reason == "open_promised"
    await refused("open_promised", billing.take_promised(old.id, 10000, "n7", NOW))


async def test_promised_repaid_on_top_up(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=-5000)
    await billing.take_promised(sub.id, 10000, "pp", NOW)
    assert await consistent(billing, sub.id) == -5000 + 10000 - 1000
    result = await topup(billing, sub, 50000, "top", NOW + timedelta(days=1))
    assert result.details["promised_repaid"] == 10000
    assert result.balance == -5000 + 10000 - 1000 + 50000 - 10000 == await consistent(billing, sub.id)
    assert (await billing.ledger(sub.id))[-1]["category"] == "promised_repayment"
    assert (await billing.account(sub.id, NOW)).promised is None
    assert (await billing.promised_offer(sub.id, NOW)).eligible
    # the repayment is not an expense; the fee is
    expenses = await billing.expenses(sub.id, NOW.date(), (NOW + timedelta(days=1)).date())
    assert expenses.by_category["other"] == 1000 and expenses.total == 1000
    assert expenses.top_ups == 50000
    # the next top-up repays nothing
    assert (await topup(billing, sub, 1000, "top2")).details["promised_repaid"] == 0


# -- payments and autopay ------------------------------------------------------------------------


async def test_payments(billing: SandboxBilling) -> None:
    payer = await new_sub(billing, balance=1000)
    other = await new_sub(billing, balance=0, phone="+79005550011")
    payment = await billing.create_payment(payer.id, "8 900 555-00-11", 30000, "pay1", NOW)
    assert payment.status == "pending" and payment.phone == "+79005550011" and len(payment.token) >= 20
    assert payment.subscriber_id == payer.id and payment.amount == 30000
    assert await billing.create_payment(payer.id, "8 900 555-00-11", 30000, "pay1", NOW) == payment
    assert await billing.payment(payment.token) == payment

    result = await billing.complete_payment(payment.token, NOW)
    assert not result.repeated and result.balance == 30000 == await consistent(billing, other.id)
    assert await consistent(billing, payer.id) == 1000  # the payer's own balance is untouched
    assert (await billing.ledger(other.id))[-1]["category"] == "topup"
    again = await billing.complete_payment(payment.token, NOW)
    assert again.repeated and replace(again, repeated=False) == result
    assert await consistent(billing, other.id) == 30000
    paid = await billing.payment(payment.token)
    assert paid is not None and paid.status == "paid"

    await refused("bad_amount", billing.create_payment(payer.id, payer.phone, 999, "pay2", NOW))
    await refused("bad_amount", billing.create_payment(payer.id, payer.phone, 1500001, "pay3", NOW))
    await refused("unknown_phone", billing.create_payment(payer.id, "+79990009999", 1000, "pay4", NOW))
    await refused("unknown_phone", billing.create_payment(payer.id, "12", 1000, "pay5", NOW))
    await refused("unknown_subscriber", billing.create_payment(9999, payer.phone, 1000, "pay6", NOW))
    await refused("unknown_payment", billing.complete_payment("no-such-token", NOW))
    assert await billing.payment("no-such-token") is None
    assert (await billing.create_payment(payer.id, payer.phone, 1000, "pay7", NOW)).token != payment.token


async def test_autopay_validation(billing: SandboxBilling) -> None:
    sub = await new_sub(billing)
    bad = [
        Autopay(True, "threshold", threshold=10000, amount=9999),
        Autopay(True, "threshold", threshold=10000, amount=1500001),
        Autopay(True, "threshold", threshold=500001, amount=10000),
        Autopay(True, "threshold", threshold=-1, amount=10000),
        Autopay(True, "threshold", threshold=None, amount=10000),
        Autopay(True, "schedule", day=0, amount=10000),
        Autopay(True, "schedule", day=29, amount=10000),
        Autopay(True, None, amount=10000),
    ]
    for i, autopay in enumerate(bad):
        await refused("bad_autopay", billing.set_autopay(sub.id, autopay, f"bad{i}", NOW))
    good = Autopay(True, "schedule", day=28, amount=1500000)
    assert (await billing.set_autopay(sub.id, good, "ok", NOW)).details["autopay"]["day"] == 28
    assert (await billing.account(sub.id, NOW)).autopay == good
    await billing.set_autopay(sub.id, Autopay(False), "off", NOW)
    assert not (await billing.account(sub.id, NOW)).autopay.enabled
    assert await billing.run_autopay(NOW.replace(day=28)) == 0


async def test_autopay_threshold(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=5000)
    await billing.take_promised(sub.id, 10000, "pp", NOW)  # balance 5000 + 10000 - 1000 = 14000
    await billing.set_autopay(sub.id, Autopay(True, "threshold", threshold=20000, amount=30000), "ap", NOW)
    assert await billing.run_autopay(NOW) == 1
    assert await consistent(billing, sub.id) == 14000 + 30000 - 10000  # the promised payment is repaid
    assert (await billing.account(sub.id, NOW)).promised is None
    assert await billing.run_autopay(NOW) == 0  # 34000 is above the threshold
    await billing.charge_content(sub.id, 20000, "x", NOW)  # 14000: below again, but once a day
    assert await billing.run_autopay(NOW + timedelta(hours=1)) == 0
    assert await billing.run_autopay(NOW + timedelta(days=1)) == 1
    assert await consistent(billing, sub.id) == 44000
    topups = [r for r in await billing.ledger(sub.id) if r["category"] == "topup"]
    assert [r["amount"] for r in topups] == [30000, 30000]


async def test_autopay_schedule(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=0)
    await billing.set_autopay(sub.id, Autopay(True, "schedule", day=5, amount=25000), "ap", NOW)  # 20 Nov
    assert await billing.run_autopay(NOW) == 0  # 5 November was before it was set
    assert await billing.run_autopay(datetime(2025, 12, 4, 12, tzinfo=UTC)) == 0
    assert await billing.run_autopay(datetime(2025, 12, 5, 6, tzinfo=UTC)) == 1
    assert await billing.run_autopay(datetime(2025, 12, 6, 6, tzinfo=UTC)) == 0
    assert await billing.run_autopay(datetime(2026, 1, 9, 6, tzinfo=UTC)) == 1  # a missed day still pays
    assert await consistent(billing, sub.id) == 50000
    today = await new_sub(billing, balance=0)
    await billing.set_autopay(today.id, Autopay(True, "schedule", day=20, amount=10000), "ap2", NOW)
    assert await billing.run_autopay(NOW) == 1


# -- expenses ------------------------------------------------------------------------------------


async def test_expenses_by_category(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=200000, tariff="classic")
    day = NOW
    await billing.change_tariff(sub.id, "moy-tele2", "e1", day)  # subscription 25000
    await billing.connect_service(sub.id, "antiaon", "e2", day)  # other 3000 + subscription 9900
    await billing.buy_package(sub.id, "gb-1", "e3", day)  # internet 15000
    await billing.buy_package(sub.id, "min-50", "e4", day)  # calls 6000
    await billing.buy_package(sub.id, "sms-50", "e5", day)  # sms 5000
    await billing.charge_content(sub.id, 1200, "Гороскоп", day)  # content 1200
    await billing.record_usage(sub.id, "call", "out", "+79161234567", 250 * 60, day)  # 50 over: calls 7500
    await billing.take_promised(sub.id, 10000, "e6", day)  # other 1000
    await topup(billing, sub, 20000, "e7", day)  # repays 10000 (not an expense)
    # just outside the range, in Moscow time
    await billing.charge_content(sub.id, 999, "before", datetime(2025, 11, 19, 20, 59, tzinfo=UTC))
    await billing.charge_content(sub.id, 999, "after", datetime(2025, 11, 20, 21, 0, tzinfo=UTC))
    inside = datetime(2025, 11, 19, 21, 0, tzinfo=UTC)  # 00:00 on 20 November in Moscow
    await billing.charge_content(sub.id, 1, "edge", inside)

    expenses = await billing.expenses(sub.id, date(2025, 11, 20), date(2025, 11, 20))
    assert tuple(expenses.by_category) == EXPENSE_CATEGORIES
    assert expenses.by_category == {"subscription": 34900, "calls": 13500, "sms": 5000, "internet": 15000,
                                    "content": 1201, "other": 4000}
    assert expenses.total == sum(expenses.by_category.values())
    assert expenses.top_ups == 20000
    wide = await billing.expenses(sub.id, date(2025, 11, 1), date(2025, 11, 30))
    assert wide.by_category["content"] == 1201 + 2 * 999
    assert (await billing.expenses(sub.id, date(2025, 10, 1), date(2025, 10, 31))).total == 0


# -- idempotency ---------------------------------------------------------------------------------


async def test_every_operation_is_idempotent(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=300000)
    payment = await billing.create_payment(sub.id, sub.phone, 5000, "i-pay", NOW)
    calls = [
        lambda: billing.change_tariff(sub.id, "moy-razgovor", "i1", NOW),
        lambda: billing.connect_service(sub.id, "voicemail", "i2", NOW),
        lambda: billing.disconnect_service(sub.id, "voicemail", "i3", NOW),
        lambda: billing.buy_package(sub.id, "gb-5", "i4", NOW),
        lambda: billing.take_promised(sub.id, 30000, "i5", NOW),
        lambda: billing.set_autopay(sub.id, Autopay(True, "schedule", day=3, amount=10000), "i6", NOW),
        lambda: billing.complete_payment(payment.token, NOW),
        lambda: billing.block_sim(sub.id, "i7", NOW),
    ]
    for call in calls:
        first = await call()
        rows = len(await billing.ledger(sub.id))
        balance = await consistent(billing, sub.id)
        second = await call()
        assert not first.repeated and second.repeated
        assert replace(second, repeated=False) == first
        assert len(await billing.ledger(sub.id)) == rows and await consistent(billing, sub.id) == balance
        assert await billing.operation(first.op_key) == second
    again = await billing.create_payment(sub.id, sub.phone, 5000, "i-pay", NOW)
    assert again == replace(payment, status="paid")
    assert await billing.operation("never") is None


async def test_refused_operation_stores_nothing(billing: SandboxBilling) -> None:
    sub = await new_sub(billing, balance=1000)
    await refused("insufficient_funds", billing.buy_package(sub.id, "gb-1", "k", NOW))
    assert await billing.operation("k") is None
    await topup(billing, sub, 20000, "t")
    result = await billing.buy_package(sub.id, "gb-1", "k", NOW)  # the same key now performs it
    assert not result.repeated and result.balance == 21000 - 15000


async def test_same_op_key_on_two_databases_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db1 = await open_db(path)
    db2 = await open_db(path)
    try:
        b1, b2 = SandboxBilling(db1), SandboxBilling(db2)
        await b1.seed_catalogue()
        sub = await new_sub(b1, balance=100000)
        results = await asyncio.gather(
            *(b.buy_package(sub.id, "gb-3", "same", NOW) for b in (b1, b2, b1, b2)))
        assert sorted(r.repeated for r in results) == [False, True, True, True]
        assert await consistent(b2, sub.id) == 100000 - 25000
        assert len(await b1.package_purchases(sub.id, NOW)) == 1

        payment = await b1.create_payment(sub.id, sub.phone, 10000, "pay", NOW)
        done = await asyncio.gather(b1.complete_payment(payment.token, NOW),
                                    b2.complete_payment(payment.token, NOW))
        assert sorted(r.repeated for r in done) == [False, True]
        assert await consistent(b1, sub.id) == 85000

        tokens = await asyncio.gather(
            *(b.create_payment(sub.id, sub.phone, 1000, "pay2", NOW) for b in (b1, b2)))
        assert tokens[0] == tokens[1]

        await b1.set_autopay(sub.id, Autopay(True, "threshold", threshold=90000, amount=10000), "ap", NOW)
        assert sum(await asyncio.gather(b1.run_autopay(NOW), b2.run_autopay(NOW))) == 1
        assert await consistent(b2, sub.id) == 95000
    finally:
        await db1.close()
        await db2.close()


# -- the property test ---------------------------------------------------------------------------

PROMISED = {10000: 1000, 30000: 2500, 50000: 4000}
SERVICE_CHOICES = ["antiaon", "voicemail", "caller-id", "parental-control", "mobile-internet"]

TOPUP = st.tuples(st.just("topup"), st.sampled_from([1000, 5000, 30000, 150000, 500000]))
DIRECTION = st.sampled_from(["out", "out", "in"])
OPERATION = st.one_of(
    TOPUP,
    TOPUP,
    st.tuples(st.just("package"), st.sampled_from(sorted(PACKAGE))),
    st.tuples(st.just("connect"), st.sampled_from(SERVICE_CHOICES)),
    st.tuples(st.just("disconnect"), st.sampled_from(SERVICE_CHOICES)),
    st.tuples(st.just("tariff"), st.sampled_from(sorted(TARIFF))),
    st.tuples(st.just("promised"), st.sampled_from([10000, 20000, 30000, 50000])),
    st.tuples(st.just("usage"), st.just("call"), DIRECTION, st.integers(0, 12000)),  # seconds
    st.tuples(st.just("usage"), st.just("sms"), DIRECTION, st.integers(1, 40)),
    st.tuples(st.just("usage"), st.just("data"), DIRECTION, st.integers(0, 5000)),  # MB
    st.tuples(st.just("repeat"), st.integers(0, 10**6)),
    st.tuples(st.just("repeat"), st.integers(0, 10**6)),
)


class Model:
    """What the balance and the account should be, from known prices only."""

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.tariff = "moy-tele2"
        self.connected = {"mobile-internet", "sms-mms"}
        self.promised = 0
        self.bought = {"gb": 0.0, "min": 0.0, "sms": 0.0}
        self.used = {"call": 0.0, "sms": 0.0, "data": 0.0}

    def refusal(self, op: tuple[Any, ...]) -> str | None:
        kind = op[0]
        if kind == "package":
            return "insufficient_funds" if self.balance < PACKAGE[op[1]].price else None
        if kind == "connect":
            service = SERVICE[op[1]]
            if op[1] in self.connected:
                return "already_connected"
            return "insufficient_funds" if self.balance < service.connect_fee + service.monthly_fee else None
        if kind == "disconnect":
            return None if op[1] in self.connected else "not_connected"
        if kind == "tariff":
            if op[1] == self.tariff:
                return "same_tariff"
            return "insufficient_funds" if self.balance < TARIFF[op[1]].monthly_fee else None
        if kind == "promised":
            if self.promised:
                return "open_promised"
            if self.balance < -10000:
                return "balance_too_low"
            return None if op[1] in PROMISED else "bad_amount"
        return None

    def remaining(self) -> Remaining:
        tariff = TARIFF[self.tariff]
        minutes, sms = tariff.minutes + self.bought["min"], tariff.sms + self.bought["sms"]
        gb = tariff.gb + self.bought["gb"]
        return Remaining(minutes=max(0, math.floor(minutes - self.used["call"])),
                         sms=max(0, math.floor(sms - self.used["sms"])),
                         gb=max(0.0, round(gb - self.used["data"] / 1024, 2)),
                         minutes_total=int(minutes), sms_total=int(sms), gb_total=gb)

    def usage_cost(self, kind: str, direction: str, quantity: int) -> int:
        tariff = TARIFF[self.tariff]
        if kind == "data":
            units, total, price = float(quantity), (tariff.gb + self.bought["gb"]) * 1024, tariff.mb_price
        elif direction == "in":
            return 0
        elif kind == "call":
            units = float(math.ceil(quantity / 60))
            total, price = tariff.minutes + self.bought["min"], tariff.minute_price
        else:
            units, total, price = float(quantity), tariff.sms + self.bought["sms"], tariff.sms_price
        over = max(0.0, units - max(0.0, total - self.used[kind]))
        self.used[kind] += units
        return math.ceil(over * price)


async def run_operations(ops: list[tuple[Any, ...]], initial: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = await open_db(Path(folder) / "p.db")
        try:
            billing = SandboxBilling(database)
            await billing.seed_catalogue()
            sub = await new_sub(billing, balance=initial, tariff="moy-tele2", phone="+79001112233")
            model = Model(initial)
            done: list[tuple[OperationResult, Any]] = []
            for step, op in enumerate(ops):
                now = NOW + timedelta(minutes=step)
                key = f"op{step}"
                before = model.balance
                if op[0] == "repeat":
                    if not done:
                        continue
                    first, again = done[op[1] % len(done)]
                    result = await again()
                    assert result.repeated and replace(result, repeated=False) == first
                elif op[0] == "usage":
                    record = await billing.record_usage(sub.id, op[1], op[2], "+79161234567", op[3], now)
                    assert record.cost >= 0
                    assert record.cost == model.usage_cost(op[1], op[2], op[3])
                    model.balance -= record.cost
                elif op[0] == "topup":
                    payment = await billing.create_payment(sub.id, sub.phone, op[1], key, now)
                    again = functools.partial(billing.complete_payment, payment.token, now)
                    result = await again()
                    assert result.details["promised_repaid"] == model.promised
                    model.balance += op[1] - model.promised
                    model.promised = 0
                    done.append((result, again))
                    repeat_create = await billing.create_payment(sub.id, sub.phone, op[1], key, now)
                    assert repeat_create.token == payment.token and repeat_create.status == "paid"
                else:
                    call = {
                        "package": lambda a, k, n: billing.buy_package(sub.id, a, k, n),
                        "connect": lambda a, k, n: billing.connect_service(sub.id, a, k, n),
                        "disconnect": lambda a, k, n: billing.disconnect_service(sub.id, a, k, n),
                        "tariff": lambda a, k, n: billing.change_tariff(sub.id, a, k, n),
                        "promised": lambda a, k, n: billing.take_promised(sub.id, a, k, n),
                    }[op[0]]
                    again = functools.partial(call, op[1], key, now)
                    expected = model.refusal(op)
                    if expected is not None:
                        await refused(expected, again())
                        assert await billing.operation(key) is None
                    else:
                        result = await again()
                        assert not result.repeated
                        charged = apply(model, op)
                        assert result.details.get("charged", charged) == charged
                        done.append((result, again))
                balance = await consistent(billing, sub.id)
                assert balance == model.balance, (op, before, balance, model.balance)
                account = await billing.account(sub.id, now)
                assert account.balance == balance and account.tariff.id == model.tariff
                assert {s.id for s in account.services} == model.connected
                assert (account.promised.amount if account.promised else 0) == model.promised
                assert account.remaining == model.remaining()
                if op[0] == "repeat":
                    assert balance == before
        finally:
            await database.close()


def apply(model: Model, op: tuple[Any, ...]) -> int:
    """Apply a successful operation to the model; returns what it charged."""
    kind, arg = op[0], op[1]
    charged = 0
    if kind == "package":
        charged = PACKAGE[arg].price
        model.bought[PACKAGE[arg].kind] += PACKAGE[arg].amount
    elif kind == "connect":
        charged = SERVICE[arg].connect_fee + SERVICE[arg].monthly_fee
        model.connected.add(arg)
    elif kind == "disconnect":
        model.connected.discard(arg)
    elif kind == "tariff":
        charged = TARIFF[arg].monthly_fee
        model.tariff = arg
    elif kind == "promised":
        model.balance += arg - PROMISED[arg]
        model.promised = arg
    model.balance -= charged
    return charged


@settings(max_examples=dbaccess.examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPERATION, min_size=1, max_size=25),
       initial=st.sampled_from([-12000, 0, 3000, 60000, 200000, 500000]))
def test_random_operations_keep_the_ledger_consistent(ops: list[tuple[Any, ...]], initial: int) -> None:
    asyncio.run(run_operations(ops, initial))


# -- messaging -----------------------------------------------------------------------------------


async def test_sandbox_sms(db: Database) -> None:
    sms = SandboxSms(db)
    await sms.send("+79990000001", "Код: 1234", NOW)
    await sms.send("89990000002", "other", NOW)
    await sms.send("8 999 000-00-01", "Код: 5678", NOW + timedelta(seconds=1))
    box = await sms.outbox("9990000001")
    assert [m["text"] for m in box] == ["Код: 1234", "Код: 5678"]
    assert box[0]["phone"] == "+79990000001" and box[0]["created_at"] == NOW
    assert await sms.outbox("+79990000009") == []


async def test_sandbox_email(db: Database) -> None:
    email = SandboxEmail(db)
    pdf = bytes(range(256)) * 3
    await email.send("ivan@example.com", "Детализация", "Во вложении.", NOW,
                     [Attachment("details.pdf", "application/pdf", pdf),
                      Attachment("a.csv", "text/csv", b"a;b\n")])
    await email.send("maria@example.com", "Счёт", "Текст", NOW + timedelta(seconds=1))
    everything = await email.outbox()
    assert [m["to"] for m in everything] == ["ivan@example.com", "maria@example.com"]
    [ivan] = await email.outbox("ivan@example.com")
    assert (ivan["subject"], ivan["body"], ivan["created_at"]) == ("Детализация", "Во вложении.", NOW)
    assert ivan["attachments"] == [
        {"filename": "details.pdf", "content_type": "application/pdf", "data": pdf},
        {"filename": "a.csv", "content_type": "text/csv", "data": b"a;b\n"},
    ]
    assert everything[1]["attachments"] == []


# -- the CLI -------------------------------------------------------------------------------------


def cli(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="supportbot")
    billingtools.add_commands(parser.add_subparsers(dest="command", required=True))
    return billingtools.run(parser.parse_args(args), load_config())


def test_cli_tariffs_and_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    assert cli(["billing", "tariffs", "--db", db]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(TARIFFS)
    assert lines[[t.id for t in TARIFFS].index("moy-online")].startswith("moy-online\tМой онлайн\t500 ₽")
    assert any(line.startswith("classic\tКлассический\t0 ₽") for line in lines)
    # the first start filled the demo subscribers
    assert cli(["billing", "show", "--phone", "8 999 000-00-01", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "Иван Петров" and shown["phone"] == "+79990000001"
    assert shown["tariff"] == {"id": "moy-online", "name": "Мой онлайн"}


def test_cli_add_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    assert cli(["billing", "add-subscriber", "--phone", "+7 900 000-00-77", "--name", "Анна Белова",
                "--balance", "120.50", "--tariff", "moy-razgovor", "--db", db]) == 0
    new_id = int(capsys.readouterr().out.strip())
    assert billingtools.run(argparse.Namespace(command="billing", billing_command="show", phone="9000000077",
                                               db=db), load_config()) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {
        "phone": "+79000000077", "name": "Анна Белова", "balance": 120.5, "balance_kopecks": 12050,
        "tariff": {"id": "moy-razgovor", "name": "Мой разговор"},
        "remaining": {"minutes": 500, "sms": 50, "gb": 10.0}, "packages": [],
        "services": [{"id": "mobile-internet", "name": "Мобильный интернет", "monthly_fee": 0.0},
                     {"id": "sms-mms", "name": "SMS и MMS", "monthly_fee": 0.0}],
        "promised_payment": None, "blocked": False, "region": None,
        "autopay": {"enabled": False, "mode": None, "threshold": None, "day": None, "amount": 0.0},
    }

    async def act() -> None:
        database = await open_db(db)
        billing = SandboxBilling(database)
        now = datetime.now(UTC)
        payment = await billing.create_payment(new_id, "+79000000077", 10000, "cli-0", now)
        await billing.complete_payment(payment.token, now)
        await billing.buy_package(new_id, "gb-1", "cli-1", now)
        await billing.take_promised(
            (await billing.add_subscriber("+79000000078", "Old", 0, "classic", now,
                                          created_at=now - timedelta(days=100))).id, 10000, "cli-2", now)
        await database.close()

    asyncio.run(act())
    assert cli(["billing", "show", "--phone", "89000000077", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["balance"] == 70.5 and shown["remaining"]["gb"] == 11.0
    assert [(p["id"], p["price"]) for p in shown["packages"]] == [("gb-1", 150.0)]
    assert cli(["billing", "show", "--phone", "89000000078", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["promised_payment"]["amount"] == 100.0 and shown["promised_payment"]["fee"] == 10.0


@pytest.mark.parametrize(("args", "message"), [
    (["billing", "show", "--phone", "12345"], "not a phone number"),
    (["billing", "show", "--phone", "+79000000099"], "no subscriber"),
    (["billing", "add-subscriber", "--phone", "+79990000001", "--name", "X", "--tariff", "classic"],
     "already"),
    (["billing", "add-subscriber", "--phone", "+79000000098", "--name", "X", "--tariff", "nope"],
     "no such tariff"),
    (["billing", "add-subscriber", "--phone", "abc", "--name", "X", "--tariff", "classic"],
     "not a phone number"),
    (["billing", "add-subscriber", "--phone", "+79000000097", "--name", "X", "--balance", "1.234",
      "--tariff", "classic"], "not a sum"),
    (["sms", "outbox", "--phone", "+79000000099", "--last"], "no SMS"),
])
def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                    message: str) -> None:
    assert cli([*args, "--db", str(tmp_path / "cli.db")]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_cli_sms_outbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")

    async def send() -> None:
        database = await open_db(db)
        sms = SandboxSms(database)
        await sms.send("+79990000001", "Код входа: 1111", NOW)
        await sms.send("+79990000001", "Код входа: 2222", NOW + timedelta(minutes=1))
        await sms.send("+79990000002", "чужое", NOW)
        await database.close()

    asyncio.run(send())
    assert cli(["sms", "outbox", "--phone", "8 999 000 00 01", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2025-11-20T09:00:00Z  Код входа: 1111", "2025-11-20T09:01:00Z  Код входа: 2222"]
    assert cli(["sms", "outbox", "--phone", "9990000001", "--last", "--db", db]) == 0
    assert capsys.readouterr().out == "Код входа: 2222\n"
    assert cli(["sms", "outbox", "--phone", "9990000005", "--db", db]) == 0
    assert capsys.readouterr().out == ""
