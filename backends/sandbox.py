"""The embedded sandbox billing: a real ledger in the project's own database.

Every money movement is one `ledger` row (kopecks, + credit / − debit) and the balance is
always the ledger's sum. Every account-changing call runs in one transaction that first looks
its `op_key` up in `billing_operations`: a key already performed returns the stored result
(`repeated=True`) and changes nothing; a refused call (`BillingError`) stores nothing. Because
the transaction is BEGIN IMMEDIATE, two processes sending the same key perform it once.

Months and days are Moscow calendar months and days; everything stored is UTC.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kernel.clock import MOSCOW, stamp, unstamp
from kernel.phones import normalize_phone
from storage.db import Database, Executor, Row

from .billing import (
    EXPENSE_CATEGORIES,
    INCIDENT_AFFECTS,
    SERVICE_GROUPS,
    Account,
    Autopay,
    BillingError,
    ContentSubscription,
    Expenses,
    Incident,
    OperationResult,
    PackageOffer,
    Payment,
    PromisedOffer,
    PromisedOption,
    PromisedPayment,
    Remaining,
    Service,
    Subscriber,
    Tariff,
    UsageRecord,
)

# -- the rules ---------------------------------------------------------------------------------

PROMISED_OPTIONS = (
    PromisedOption(amount=10000, fee=1000, days=3),
    PromisedOption(amount=30000, fee=2500, days=7),
    PromisedOption(amount=50000, fee=4000, days=7),
)
PROMISED_BIG = 50000  # offered only to subscribers of PROMISED_BIG_MIN_DAYS days
PROMISED_MIN_DAYS = 60
PROMISED_BIG_MIN_DAYS = 180
PROMISED_MIN_BALANCE = -10000
PAYMENT_MIN, PAYMENT_MAX = 1000, 1500000
AUTOPAY_AMOUNT_MIN, AUTOPAY_AMOUNT_MAX = 10000, 1500000
AUTOPAY_THRESHOLD_MIN, AUTOPAY_THRESHOLD_MAX = 0, 500000
AUTOPAY_DAY_MIN, AUTOPAY_DAY_MAX = 1, 28

USAGE_CATEGORY = {"call": "calls", "sms": "sms", "data": "internet"}
PACKAGE_CATEGORY = {"gb": "internet", "min": "calls", "sms": "sms"}
DEBIT_CATEGORIES = (*EXPENSE_CATEGORIES, "promised_repayment")
CREDIT_CATEGORIES = ("topup", "promised", "adjustment")

# -- the demo catalogue ------------------------------------------------------------------------

TARIFFS: tuple[Tariff, ...] = (
    Tariff("moy-tele2", "Мой Tele2", "My Tele2", 25000, 150, 0, 7.0,
           "Безлимит на Tele2 России, 150 минут на других операторов, 7 ГБ.",
           "Unlimited calls within Tele2 Russia, 150 minutes to other networks, 7 GB.",
           minute_price=150, sms_price=150, mb_price=15),
    Tariff("moy-razgovor", "Мой разговор", "My Talk", 35000, 500, 50, 10.0,
           "500 минут, 50 SMS и 10 ГБ для тех, кто много говорит.",
           "500 minutes, 50 SMS and 10 GB for those who talk a lot.",
           minute_price=150, sms_price=150, mb_price=15),
    Tariff("moy-online", "Мой онлайн", "My Online", 50000, 500, 50, 40.0,
           "40 ГБ, 500 минут, 50 SMS, безлимит на соцсети и мессенджеры.",
           "40 GB, 500 minutes, 50 SMS, unlimited social networks and messengers.",
           minute_price=150, sms_price=150, mb_price=15),
    Tariff("moy-online-plus", "Мой онлайн+", "My Online+", 75000, 1000, 100, 50.0,
           "50 ГБ, 1000 минут, 100 SMS, безлимитное видео.",
           "50 GB, 1000 minutes, 100 SMS, unlimited video.",
           minute_price=150, sms_price=150, mb_price=15),
    Tariff("classic", "Классический", "Classic", 0, 0, 0, 0.0,
           "Без абонентской платы: платите только за то, чем пользуетесь.",
           "No monthly fee: pay only for what you use.",
           minute_price=195, sms_price=195, mb_price=500),
)


def _svc(id_: str, group: str, ru: str, en: str, fee: int, connect: int, aliases: str,
         about_ru: str, about_en: str) -> Service:
    names = tuple(a.strip() for a in aliases.split(","))
    return Service(id_, group, ru, en, fee, connect, names, about_ru, about_en)


SERVICES: tuple[Service, ...] = (
    _svc("mobile-internet", "internet", "Мобильный интернет", "Mobile internet", 0, 0,
         "интернет, мобильный интернет, передача данных, mobile data, internet, data",
         "Доступ в интернет по тарифу.", "Internet access on your tariff."),
    _svc("messengers-unlimited", "internet", "Безлимит на мессенджеры", "Unlimited messengers", 6000, 0,
         "мессенджеры, безлимитные мессенджеры, безлимит на мессенджеры, whatsapp, telegram, "
         "unlimited messengers",
         "Мессенджеры не расходуют гигабайты пакета.", "Messengers don't use your gigabytes."),
    _svc("tethering", "internet", "Раздача интернета", "Internet sharing", 0, 0,
         "раздача интернета, раздача, модем, точка доступа, tethering, hotspot, internet sharing",
         "Раздавайте интернет с телефона на другие устройства.",
         "Share your phone's internet with other devices."),
    _svc("video-unlimited", "internet", "Безлимитное видео", "Unlimited video", 15000, 0,
         "безлимитное видео, видео, ютуб, youtube, unlimited video",
         "Видеосервисы не расходуют гигабайты пакета.", "Video services don't use your gigabytes."),
    _svc("antispam", "safety", "Антиспам", "Anti-spam", 0, 0,
         "антиспам, спам, спам звонки, нежелательные звонки, spam calls, spam, anti-spam",
         "Предупреждает о звонках с номеров, замеченных в рассылке спама.",
         "Warns you about calls from numbers known for spam."),
    _svc("blacklist", "safety", "Чёрный список", "Blacklist", 4500, 0,
         "чёрный список, черный список, заблокировать номер, black list, blacklist, block a number",
         "Звонки и SMS с номеров из списка не доходят до вас.",
         "Calls and SMS from listed numbers don't reach you."),
    _svc("parental-control", "safety", "Родительский контроль", "Parental control", 9000, 0,
         "родительский контроль, контроль детей, детский, parental control",
         "Фильтр сайтов и геопоиск для детского номера.", "Web filter and location for a child's number."),
    _svc("content-ban", "safety", "Запрет платного контента", "Paid content block", 0, 0,
         "запрет контента, запрет платных подписок, платные подписки, content block, "
         "block paid subscriptions",
         "Запрещает подключение платных подписок.", "Blocks paid subscriptions."),
    _svc("caller-id", "calls", "Определитель номера", "Caller ID", 0, 0,
         "определитель, определитель номера, аон, кто звонит, caller id",
         "Показывает номер звонящего.", "Shows who is calling."),
    _svc("ringback", "calls", "Замени гудок", "Ringback tone", 6000, 0,
         "замени гудок, ваш гудок, гудок, мелодия вместо гудка, ringback tone, ringback",
         "Мелодия вместо гудков для тех, кто вам звонит.",
         "A melody instead of beeps for people calling you."),
    _svc("international", "calls", "Международные вызовы", "International calls", 0, 0,
         "международные вызовы, международные звонки, звонки за границу, international calls, international",
         "Звонки на номера других стран.", "Calls to numbers in other countries."),
    _svc("roaming", "calls", "Роуминг", "Roaming", 0, 0,
         "роуминг, за границей, поездка за границу, roaming, abroad",
         "Связь в поездках по России и за границей.", "Service when travelling in Russia and abroad."),
    _svc("conference", "calls", "Конференц-связь", "Conference calling", 0, 0,
         "конференц-связь, конференция, конференц связь, conference call, conference calling",
         "Разговор с несколькими абонентами сразу.", "Talk with several people at once."),
    _svc("forwarding", "call_management", "Переадресация", "Call forwarding", 0, 0,
         "переадресация, переадресация вызовов, call forwarding, forward calls, divert",
         "Переводит вызовы на другой номер.", "Forwards calls to another number."),
    _svc("call-waiting", "call_management", "Ожидание вызова", "Call waiting", 0, 0,
         "ожидание вызова, удержание вызова, вторая линия, call waiting, call hold",
         "Второй звонок во время разговора.", "A second call during a conversation."),
    _svc("voicemail", "call_management", "Голосовая почта", "Voicemail", 4500, 0,
         "голосовая почта, автоответчик, voicemail, voice mail",
         "Принимает сообщения, когда вы не можете ответить.", "Takes messages when you can't answer."),
    _svc("missed-calls", "call_management", "Кто звонил", "Missed calls", 3000, 0,
         "кто звонил, пропущенные, пропущенные звонки, missed calls, who called",
         "SMS о звонках, пока телефон был выключен.", "SMS about calls while your phone was off."),
    _svc("antiaon", "call_management", "АнтиАОН", "Hide my number", 9900, 3000,
         "антиаон, запрет определения номера, скрыть номер, hide my number, caller id block",
         "Ваш номер не показывается собеседнику.", "Your number is hidden from the people you call."),
    _svc("balance-sms", "other", "Баланс после звонка", "Balance notifications", 0, 0,
         "баланс после звонка, уведомления о балансе, balance alerts, balance notifications",
         "SMS с остатком на счёте после платных звонков.", "An SMS with your balance after paid calls."),
    _svc("rollover", "other", "Перенос остатков", "Rollover", 0, 0,
         "перенос остатков, перенос минут, перенос гигабайт, rollover",
         "Неизрасходованные минуты и гигабайты переходят на следующий месяц.",
         "Unused minutes and gigabytes move to the next month."),
    _svc("e-bill", "other", "Счёт на e-mail", "E-mail bill", 0, 0,
         "счёт на почту, детализация на почту, e-mail bill, e-invoice",
         "Ежемесячный счёт и детализация на электронную почту.",
         "A monthly bill and call details by e-mail."),
    _svc("sms-mms", "other", "SMS и MMS", "SMS and MMS", 0, 0,
         "sms и mms, смс и ммс, sms and mms, отправка sms, sending texts",
         "Отправка и приём SMS и MMS.", "Sending and receiving texts and MMS."),
)
DEFAULT_SERVICES = ("mobile-internet", "sms-mms")  # connected for every new subscriber

PACKAGES: tuple[PackageOffer, ...] = (
    PackageOffer("gb-1", "gb", 1, 15000),
    PackageOffer("gb-3", "gb", 3, 25000),
    PackageOffer("gb-5", "gb", 5, 35000),
    PackageOffer("gb-10", "gb", 10, 50000),
    PackageOffer("gb-20", "gb", 20, 75000),
    PackageOffer("min-50", "min", 50, 6000),
    PackageOffer("min-100", "min", 100, 10000),
    PackageOffer("min-300", "min", 300, 25000),
    PackageOffer("sms-50", "sms", 50, 5000),
    PackageOffer("sms-100", "sms", 100, 8000),
    PackageOffer("sms-300", "sms", 300, 20000),
)
assert all(s.group in SERVICE_GROUPS for s in SERVICES)

# -- time --------------------------------------------------------------------------------------


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The Moscow calendar month containing `moment`, as a UTC [start, end) pair."""
    local = moment.astimezone(MOSCOW)
    start = datetime(local.year, local.month, 1, tzinfo=MOSCOW)
    nxt = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=MOSCOW)
    return start.astimezone(UTC), nxt.astimezone(UTC)


def month_key(moment: datetime) -> str:
    """The Moscow calendar month of `moment` as "YYYY-MM"."""
    return moment.astimezone(MOSCOW).strftime("%Y-%m")


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Moscow dates `start`…`end` inclusive, as a UTC [start, end) pair."""
    lo = datetime.combine(start, time(), tzinfo=MOSCOW)
    hi = datetime.combine(end + timedelta(days=1), time(), tzinfo=MOSCOW)
    return lo.astimezone(UTC), hi.astimezone(UTC)


def rub(kopecks: int) -> str:
    """Kopecks as a ruble amount for ledger descriptions: 12050 → "120.50 ₽"."""
    return f"{kopecks / 100:.2f} ₽"


# -- rows → dataclasses ------------------------------------------------------------------------


def _tariff(row: Row) -> Tariff:
    return Tariff(row["id"], row["name_ru"], row["name_en"], int(row["monthly_fee"]), int(row["minutes"]),
                  int(row["sms"]), float(row["gb"]), row["description_ru"], row["description_en"],
                  minute_price=int(row["minute_price"]), sms_price=int(row["sms_price"]),
                  mb_price=int(row["mb_price"]))


def _service(row: Row) -> Service:
    return Service(row["id"], row["grp"], row["name_ru"], row["name_en"], int(row["monthly_fee"]),
                   int(row["connect_fee"]), tuple(json.loads(row["aliases"])), row["description_ru"],
                   row["description_en"])


def _package(row: Row) -> PackageOffer:
    return PackageOffer(row["id"], row["kind"], float(row["amount"]), int(row["price"]))


def _subscriber(row: Row) -> Subscriber:
    return Subscriber(int(row["id"]), row["phone"], row["name"], row["tariff_id"], unstamp(row["created_at"]),
                      bool(row["blocked"]), row["region_id"])


def _promised(row: Row) -> PromisedPayment:
    return PromisedPayment(int(row["id"]), int(row["amount"]), int(row["fee"]), unstamp(row["taken_at"]),
                           unstamp(row["due_at"]), unstamp(row["repaid_at"]) if row["repaid_at"] else None)


def _payment(row: Row) -> Payment:
    return Payment(row["token"], int(row["subscriber_id"]), row["phone"], int(row["amount"]), row["status"],
                   unstamp(row["created_at"]))


def _usage(row: Row) -> UsageRecord:
    return UsageRecord(unstamp(row["started_at"]), row["kind"], row["direction"], row["other_party"],
                       float(row["quantity"]), int(row["cost"]))


def _incident(row: Row) -> Incident:
    return Incident(int(row["id"]), row["region_id"], row["affects"], unstamp(row["since"]),
                    unstamp(row["until"]) if row["until"] else None, row["note"])


def _content(row: Row) -> ContentSubscription:
    return ContentSubscription(int(row["id"]), row["name_ru"], row["name_en"], int(row["price"]),
                               int(row["period_days"]), unstamp(row["since"]))


def _autopay(row: Row | None) -> Autopay:
    if row is None:
        return Autopay(enabled=False)
    threshold = None if row["threshold"] is None else int(row["threshold"])
    return Autopay(bool(row["enabled"]), row["mode"], threshold, row["day"], int(row["amount"]))


@dataclass(frozen=True)
class _Budget:
    """One month's allowance (tariff + packages) and outgoing usage, in minutes, SMS and MB."""

    minutes_total: float
    minutes_used: float
    sms_total: float
    sms_used: float
    gb_total: float
    mb_used: float

    def available(self, kind: str) -> float:
        if kind == "call":
            return max(0.0, self.minutes_total - self.minutes_used)
        if kind == "sms":
            return max(0.0, self.sms_total - self.sms_used)
        return max(0.0, self.gb_total * 1024 - self.mb_used)

    def spending(self, kind: str, units: float) -> _Budget:
        """This budget after `units` more of outgoing `kind` ("call", "sms", "data")."""
        if kind == "call":
            return replace(self, minutes_used=self.minutes_used + units)
        if kind == "sms":
            return replace(self, sms_used=self.sms_used + units)
        return replace(self, mb_used=self.mb_used + units)

    def remaining(self) -> Remaining:
        return Remaining(
            minutes=max(0, math.floor(self.minutes_total - self.minutes_used)),
            sms=max(0, math.floor(self.sms_total - self.sms_used)),
            gb=max(0.0, round(self.gb_total - self.mb_used / 1024, 2)),
            minutes_total=int(self.minutes_total), sms_total=int(self.sms_total), gb_total=self.gb_total,
        )


Work = Callable[[Executor], Awaitable[tuple[int, dict[str, Any]]]]


class SandboxBilling:
    """`BillingBackend` over the project's `Database` (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # == reading ===================================================================================

    async def find_subscriber(self, phone: str) -> Subscriber | None:
        """The subscriber with this number (any common spelling), or None."""
        normalized = normalize_phone(phone) or phone.strip()
        row = await self.db.fetchone("SELECT * FROM subscribers WHERE phone = ?", (normalized,))
        return _subscriber(row) if row else None

    async def subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = await self.db.fetchone("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
        return _subscriber(row) if row else None

    async def balance(self, subscriber_id: int) -> int:
        """The ledger's sum, in kopecks."""
        return await self._balance(self.db, subscriber_id)

    async def ledger_sum(self, subscriber_id: int) -> int:
        """The ledger's sum, in kopecks (the same number as `balance`)."""
        return await self._balance(self.db, subscriber_id)

    async def ledger(self, subscriber_id: int) -> list[dict[str, Any]]:
        """The subscriber's ledger rows, oldest first (created_at as a UTC datetime)."""
        rows = await self.db.fetchall(
            "SELECT id, amount, category, description, op_key, created_at FROM ledger "
            "WHERE subscriber_id = ? ORDER BY created_at, id", (subscriber_id,))
        return [{**r, "amount": int(r["amount"]), "created_at": unstamp(r["created_at"])} for r in rows]

    async def tariffs(self) -> list[Tariff]:
        return [_tariff(r) for r in await self.db.fetchall("SELECT * FROM tariffs ORDER BY position")]

    async def tariff(self, tariff_id: str) -> Tariff | None:
        row = await self.db.fetchone("SELECT * FROM tariffs WHERE id = ?", (tariff_id,))
        return _tariff(row) if row else None

    async def services(self) -> list[Service]:
        return [_service(r) for r in await self.db.fetchall("SELECT * FROM services ORDER BY position")]

    async def packages(self) -> list[PackageOffer]:
        return [_package(r) for r in await self.db.fetchall("SELECT * FROM package_offers ORDER BY position")]

    async def account(self, subscriber_id: int, now: datetime) -> Account:
        """Everything about one account at `now`; BillingError("unknown_subscriber")."""
        ex = self.db
        sub = await self._require(ex, subscriber_id)
        tariff = await self._tariff_of(ex, sub)
        budget = await self._budget(ex, sub.id, tariff, now)
        rows = await ex.fetchall(
            "SELECT s.* FROM subscriber_services c JOIN services s ON s.id = c.service_id "
            "WHERE c.subscriber_id = ? ORDER BY s.position", (sub.id,))
        return Account(
            subscriber=sub, balance=await self._balance(ex, sub.id), tariff=tariff,
            remaining=budget.remaining(),
            services=tuple(_service(r) for r in rows), promised=await self._open_promised(ex, sub.id),
            autopay=_autopay(await ex.fetchone("SELECT * FROM autopay WHERE subscriber_id = ?", (sub.id,))),
        )

    async def package_purchases(self, subscriber_id: int, now: datetime) -> list[dict[str, Any]]:
        """The packages bought in the Moscow calendar month of `now`, oldest first."""
        lo, hi = month_bounds(now)
        rows = await self.db.fetchall(
            "SELECT package_id, kind, amount, price, bought_at FROM package_purchases "
            "WHERE subscriber_id = ? AND bought_at >= ? AND bought_at < ? ORDER BY bought_at, id",
            (subscriber_id, stamp(lo), stamp(hi)))
        return [{"id": r["package_id"], "kind": r["kind"], "amount": float(r["amount"]),
                 "price": int(r["price"]), "bought_at": unstamp(r["bought_at"])} for r in rows]

    async def promised_offer(self, subscriber_id: int, now: datetime) -> PromisedOffer:
        sub = await self._require(self.db, subscriber_id)
        return await self._offer(self.db, sub, now)

    async def expenses(self, subscriber_id: int, start: date, end: date) -> Expenses:
        """Debits per expense category and top-ups over Moscow dates start…end inclusive."""
        lo, hi = day_bounds(start, end)
        span = (subscriber_id, stamp(lo), stamp(hi))
        rows = await self.db.fetchall(
            "SELECT category, SUM(amount) AS total FROM ledger WHERE subscriber_id = ? AND created_at >= ? "
            "AND created_at < ? AND amount < 0 GROUP BY category", span)
        spent = {r["category"]: -int(r["total"]) for r in rows}
        by_category = {c: spent.get(c, 0) for c in EXPENSE_CATEGORIES}
        top_ups = await self.db.fetchval(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE subscriber_id = ? AND created_at >= ? "
            "AND created_at < ? AND category = 'topup' AND amount > 0", span)
        return Expenses(start, end, by_category, int(top_ups), sum(by_category.values()))

    async def usage(self, subscriber_id: int, start: date, end: date) -> list[UsageRecord]:
        """Usage records over Moscow dates start…end inclusive, oldest first."""
        lo, hi = day_bounds(start, end)
        rows = await self.db.fetchall(
            "SELECT * FROM usage_records WHERE subscriber_id = ? AND started_at >= ? AND started_at < ? "
            "ORDER BY started_at, id", (subscriber_id, stamp(lo), stamp(hi)))
        return [_usage(r) for r in rows]

    async def incidents(self, region_id: str, now: datetime) -> list[Incident]:
        """The known problems on the line in `region_id` at `now` (begun, not yet over), earliest first."""
        when = stamp(now)
        rows = await self.db.fetchall(
            "SELECT * FROM incidents WHERE region_id = ? AND since <= ? AND (until IS NULL OR until > ?) "
            "ORDER BY since, id", (region_id, when, when))
        return [_incident(r) for r in rows]

    async def content_subscriptions(self, subscriber_id: int) -> list[ContentSubscription]:
        rows = await self.db.fetchall(
            "SELECT * FROM content_subscriptions WHERE subscriber_id = ? AND cancelled_at IS NULL ORDER BY id",
            (subscriber_id,))
        return [_content(r) for r in rows]

    async def operation(self, op_key: str) -> OperationResult | None:
        """The result of an operation already performed with this key (repeated=True), or None."""
        return await self._stored(self.db, op_key)

    async def payment(self, token: str) -> Payment | None:
        row = await self.db.fetchone("SELECT * FROM payments WHERE token = ?", (token,))
        return _payment(row) if row else None

    # == changing ==================================================================================

    async def change_tariff(self, subscriber_id: int, tariff_id: str, op_key: str,
                            now: datetime) -> OperationResult:
        """Switch tariffs, charging the new monthly fee at once."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            row = await tx.fetchone("SELECT * FROM tariffs WHERE id = ?", (tariff_id,))
            if row is None:
                raise BillingError("unknown_tariff", tariff_id=tariff_id)
            tariff = _tariff(row)
            if tariff.id == sub.tariff_id:
                raise BillingError("same_tariff", tariff_id=tariff_id)
            if sub.blocked:
                raise BillingError("blocked")
            await self._ensure_funds(tx, sub.id, tariff.monthly_fee)
            if tariff.monthly_fee:
                await self._post(tx, sub.id, -tariff.monthly_fee, "subscription",
                                 f"Абонентская плата: тариф «{tariff.name_ru}»", op_key, now)
            await tx.execute("UPDATE subscribers SET tariff_id = ? WHERE id = ?", (tariff.id, sub.id))
            return sub.id, {"tariff_id": tariff.id, "old_tariff_id": sub.tariff_id,
                            "charged": tariff.monthly_fee}

        return await self._operate(op_key, "change_tariff", now, work)

    async def connect_service(self, subscriber_id: int, service_id: str, op_key: str,
                              now: datetime) -> OperationResult:
        """Connect a service, charging its connection fee and first monthly fee at once."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            service = await self._service_by_id(tx, service_id)
            if await self._connected(tx, sub.id, service.id):
                raise BillingError("already_connected", service_id=service.id)
            if sub.blocked:
                raise BillingError("blocked")
            cost = service.connect_fee + service.monthly_fee
            await self._ensure_funds(tx, sub.id, cost)
            if service.connect_fee:
                await self._post(tx, sub.id, -service.connect_fee, "other",
                                 f"Подключение услуги «{service.name_ru}»", op_key, now)
            if service.monthly_fee:
                await self._post(tx, sub.id, -service.monthly_fee, "subscription",
                                 f"Абонентская плата: услуга «{service.name_ru}»", op_key, now)
            await tx.execute("INSERT INTO subscriber_services (subscriber_id, service_id, connected_at) "
                             "VALUES (?, ?, ?)", (sub.id, service.id, stamp(now)))
            return sub.id, {"service_id": service.id, "charged": cost, "connect_fee": service.connect_fee,
                            "monthly_fee": service.monthly_fee}

        return await self._operate(op_key, "connect_service", now, work)

    async def disconnect_service(self, subscriber_id: int, service_id: str, op_key: str,
                                 now: datetime) -> OperationResult:
        """Disconnect a service (no refund of fees already charged)."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            service = await self._service_by_id(tx, service_id)
            if not await self._connected(tx, sub.id, service.id):
                raise BillingError("not_connected", service_id=service.id)
            await tx.execute("DELETE FROM subscriber_services WHERE subscriber_id = ? AND service_id = ?",
                             (sub.id, service.id))
            return sub.id, {"service_id": service.id, "charged": 0}

        return await self._operate(op_key, "disconnect_service", now, work)

    async def buy_package(self, subscriber_id: int, package_id: str, op_key: str,
                          now: datetime) -> OperationResult:
        """Buy an extra package; it adds to this Moscow month's remaining."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            row = await tx.fetchone("SELECT * FROM package_offers WHERE id = ?", (package_id,))
            if row is None:
                raise BillingError("unknown_package", package_id=package_id)
            offer = _package(row)
            if sub.blocked:
                raise BillingError("blocked")
            await self._ensure_funds(tx, sub.id, offer.price)
            await self._post(tx, sub.id, -offer.price, PACKAGE_CATEGORY[offer.kind],
                             f"Пакет {offer.amount:g} {_UNIT[offer.kind]}", op_key, now)
            await tx.execute(
                "INSERT INTO package_purchases (subscriber_id, package_id, kind, amount, price, bought_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sub.id, offer.id, offer.kind, offer.amount, offer.price, stamp(now)))
            return sub.id, {"package_id": offer.id, "kind": offer.kind, "amount": offer.amount,
                            "charged": offer.price}

        return await self._operate(op_key, "buy_package", now, work)

    async def take_promised(self, subscriber_id: int, amount: int, op_key: str,
                            now: datetime) -> OperationResult:
        """Credit a promised payment and debit its fee; refused with the offer's reason."""
        return await self._operate(op_key, "take_promised", now,
                                   lambda tx: self._take_promised(tx, subscriber_id, amount, op_key, now))

    async def set_autopay(self, subscriber_id: int, autopay: Autopay, op_key: str,
                          now: datetime) -> OperationResult:
        """Store the autopayment settings; BillingError("bad_autopay") for values out of range."""
        _validate_autopay(autopay)

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            await tx.execute(
                "INSERT INTO autopay (subscriber_id, enabled, mode, threshold, day, amount, since, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscriber_id) DO UPDATE SET "
                "enabled = excluded.enabled, mode = excluded.mode, threshold = excluded.threshold, "
                "day = excluded.day, amount = excluded.amount, since = excluded.since, "
                "updated_at = excluded.updated_at",
                (sub.id, int(autopay.enabled), autopay.mode, autopay.threshold, autopay.day, autopay.amount,
                 stamp(now), stamp(now)))
            return sub.id, {"autopay": asdict(autopay)}

        return await self._operate(op_key, "set_autopay", now, work)

    async def block_sim(self, subscriber_id: int, op_key: str, now: datetime) -> OperationResult:
        """Block the SIM (lost or stolen); the balance stays."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            if sub.blocked:
                raise BillingError("already_blocked")
            await tx.execute("UPDATE subscribers SET blocked = 1, blocked_at = ? WHERE id = ?",
                             (stamp(now), sub.id))
            return sub.id, {"blocked": True}

        return await self._operate(op_key, "block_sim", now, work)

    async def cancel_content(self, subscriber_id: int, content_id: int, op_key: str,
                             now: datetime) -> OperationResult:
        """Stop a paid content subscription (charges already made are not refunded here)."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            sub = await self._require(tx, subscriber_id)
            changed = await tx.execute(
                "UPDATE content_subscriptions SET cancelled_at = ? WHERE id = ? AND subscriber_id = ? "
                "AND cancelled_at IS NULL", (stamp(now), content_id, sub.id))
            if not changed:
                raise BillingError("not_subscribed", content_id=content_id)
            return sub.id, {"content_id": content_id, "charged": 0}

        return await self._operate(op_key, "cancel_content", now, work)

    async def create_payment(self, subscriber_id: int, phone: str, amount: int, op_key: str,
                             now: datetime) -> Payment:
        """A pending top-up of `phone` (maybe another subscriber's number) paid for by `subscriber_id`.

        The Payment's `subscriber_id` is the payer; the credit goes to the subscriber with `phone`.
        """
        async with self.db.transaction() as tx:
            stored = await self._claim(tx, op_key, "create_payment", now)
            if stored is not None:
                row = await tx.fetchone("SELECT * FROM payments WHERE token = ?", (stored.details["token"],))
                assert row is not None
                return _payment(row)
            payer = await self._require(tx, subscriber_id)
            if not PAYMENT_MIN <= amount <= PAYMENT_MAX:
                raise BillingError("bad_amount", min=PAYMENT_MIN, max=PAYMENT_MAX)
            target_phone = normalize_phone(phone)
            target = await tx.fetchone("SELECT * FROM subscribers WHERE phone = ?", (target_phone,)) \
                if target_phone else None
            if target is None:
                raise BillingError("unknown_phone", phone=phone)
            token = secrets.token_urlsafe(16)
            await tx.execute(
                "INSERT INTO payments (token, subscriber_id, target_id, phone, amount, status, op_key, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                (token, payer.id, target["id"], target_phone, amount, op_key, stamp(now)))
            result = OperationResult(op_key, "create_payment", await self._balance(tx, payer.id),
                                     {"token": token, "phone": target_phone, "amount": amount,
                                      "target_id": int(target["id"])})
            await self._store(tx, result, payer.id)
            row = await tx.fetchone("SELECT * FROM payments WHERE token = ?", (token,))
            assert row is not None
            return _payment(row)

    async def complete_payment(self, token: str, now: datetime) -> OperationResult:
        """Credit a paid top-up once (repaying an open promised payment); the result's balance is the
        credited number's. A second call returns the first result with repeated=True."""

        async def work(tx: Executor) -> tuple[int, dict[str, Any]]:
            row = await tx.fetchone("SELECT * FROM payments WHERE token = ?", (token,))
            if row is None:
                raise BillingError("unknown_payment")
            if row["status"] != "pending":
                raise BillingError("payment_" + row["status"])
            target_id, amount = int(row["target_id"]), int(row["amount"])
            repaid = await self._credit_topup(tx, target_id, amount, f"Пополнение счёта {row['phone']}",
                                              f"payment:{token}", now)
            await tx.execute("UPDATE payments SET status = 'paid', paid_at = ? WHERE token = ?",
                             (stamp(now), token))
            return target_id, {"token": token, "phone": row["phone"], "amount": amount,
                               "subscriber_id": target_id, "payer_id": int(row["subscriber_id"]),
                               "promised_repaid": repaid}

        return await self._operate(f"payment:{token}", "topup", now, work)

    # == sandbox extras ============================================================================

    async def add_subscriber(self, phone: str, name: str, balance_kopecks: int, tariff_id: str, now: datetime,
                             created_at: datetime | None = None, region_id: str | None = None) -> Subscriber:
        """A new subscriber whose initial balance is one "adjustment" credit.

        BillingError("bad_phone"), ("duplicate_phone") or ("unknown_tariff").
        """
        async with self.db.transaction() as tx:
            return await self._add_subscriber(tx, phone, name, balance_kopecks, tariff_id, created_at or now,
                                              region_id)

    async def record_usage(self, subscriber_id: int, kind: str, direction: str, other_party: str,
                           quantity: float, started_at: datetime) -> UsageRecord:
        """Record a call (seconds), SMS (count) or data session (MB); what exceeds the month's
        allowance is charged at the tariff's prices (ledger category calls / sms / internet)."""
        async with self.db.transaction() as tx:
            sub = await self._require(tx, subscriber_id)
            return await self._record_usage(tx, sub, await self._tariff_of(tx, sub), kind, direction,
                                            other_party, quantity, started_at)

    async def charge_content(self, subscriber_id: int, amount: int, description: str, now: datetime) -> int:
        """Debit a content charge (category "content"); returns the new balance."""
        if amount <= 0:
            raise BillingError("bad_amount")
        async with self.db.transaction() as tx:
            sub = await self._require(tx, subscriber_id)
            await self._post(tx, sub.id, -amount, "content", description, None, now)
            return await self._balance(tx, sub.id)

    async def run_autopay(self, now: datetime) -> int:
        """Perform the autopayments due at `now` as top-ups; returns how many were made.

        Threshold: when the balance is below the threshold, at most once per Moscow day.
        Schedule: once a month, from the chosen day on (not for a day already past when it was set).
        Each one has its own op_key, so concurrent runs perform it once.
        """
        done = 0
        today = now.astimezone(MOSCOW).date()
        rows = await self.db.fetchall("SELECT * FROM autopay WHERE enabled = 1 ORDER BY subscriber_id")
        for row in rows:
            sid, amount = int(row["subscriber_id"]), int(row["amount"])
            if row["mode"] == "schedule":
                day = int(row["day"])
                since = unstamp(row["since"]).astimezone(MOSCOW).date()
                if today.day < day or date(today.year, today.month, day) < since:
                    continue
                op_key = f"autopay:{sid}:{today:%Y-%m}"
            elif row["mode"] == "threshold":
                op_key = f"autopay:{sid}:{today.isoformat()}"
            else:
                continue
            async with self.db.transaction() as tx:
                if await self._claim(tx, op_key, "autopay", now) is not None:
                    continue
                balance = await self._balance(tx, sid)
                if row["mode"] == "threshold" and balance >= int(row["threshold"]):
                    await tx.execute("DELETE FROM billing_operations WHERE op_key = ?", (op_key,))
                    continue
                repaid = await self._credit_topup(tx, sid, amount, "Автоплатёж", op_key, now)
                result = OperationResult(op_key, "autopay", await self._balance(tx, sid),
                                         {"amount": amount, "mode": row["mode"], "promised_repaid": repaid})
                await self._store(tx, result, sid)
            done += 1
        return done

    async def set_account(self, subscriber_id: int, now: datetime, *, balance: int | None = None,
                          minutes: int | None = None, sms: int | None = None, gb: float | None = None,
                          services_on: tuple[str, ...] = (), services_off: tuple[str, ...] = (),
                          blocked: bool | None = None, region_id: str | None = None) -> None:
        """Put an account into a test situation, in one transaction (a sandbox tool, not an operation).

        The balance is reached with one "adjustment" ledger row (the ledger stays the balance's sum).
        Remaining minutes, SMS and GB of `now`'s Moscow month are reached by recording how much of the
        month's allowance counts as used beside the real usage (`usage_adjustments`); a value above
        the allowance is a bonus (a negative "used"). Services are switched without charges.
        BillingError: unknown_subscriber, unknown_service, bad_remaining.
        """
        wanted = {"call": minutes, "sms": sms, "data": None if gb is None else gb * 1024}
        for value in wanted.values():
            if value is not None and not (math.isfinite(value) and 0 <= value <= 10_000_000):
                raise BillingError("bad_remaining", value=value)
        async with self.db.transaction() as tx:
            sub = await self._require(tx, subscriber_id)
            if balance is not None:
                delta = balance - await self._balance(tx, sub.id)
                if delta:
                    await self._post(tx, sub.id, delta, "adjustment", "Корректировка баланса (песочница)", None, now)
            for service_id in services_on:
                service = await self._service_by_id(tx, service_id)
                if not await self._connected(tx, sub.id, service.id):
                    await tx.execute("INSERT INTO subscriber_services (subscriber_id, service_id, connected_at) "
                                     "VALUES (?, ?, ?)", (sub.id, service.id, stamp(now)))
            for service_id in services_off:
                service = await self._service_by_id(tx, service_id)
                await tx.execute("DELETE FROM subscriber_services WHERE subscriber_id = ? AND service_id = ?",
                                 (sub.id, service.id))
            if blocked is not None:
                await tx.execute("UPDATE subscribers SET blocked = ?, blocked_at = ? WHERE id = ?",
                                 (int(blocked), stamp(now) if blocked else None, sub.id))
            if region_id is not None:
                await tx.execute("UPDATE subscribers SET region_id = ? WHERE id = ?", (region_id, sub.id))
            if any(v is not None for v in wanted.values()):
                month = month_key(now)
                budget = await self._budget(tx, sub.id, await self._tariff_of(tx, sub), now)
                totals = {"call": budget.minutes_total, "sms": budget.sms_total, "data": budget.gb_total * 1024}
                used = {"call": budget.minutes_used, "sms": budget.sms_used, "data": budget.mb_used}
                for kind, value in wanted.items():
                    if value is None:
                        continue
                    old = await tx.fetchval("SELECT units FROM usage_adjustments WHERE subscriber_id = ? "
                                            "AND month = ? AND kind = ?", (sub.id, month, kind))
                    real = used[kind] - float(old or 0.0)  # what was really used, without an earlier setting
                    units = totals[kind] - value - real
                    await tx.execute(
                        "INSERT INTO usage_adjustments (subscriber_id, month, kind, units) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (subscriber_id, month, kind) DO UPDATE SET units = excluded.units",
                        (sub.id, month, kind, units))

    async def add_incident(self, region_id: str, affects: str, since: datetime, until: datetime | None,
                           note: str = "") -> int:
        """Record a known problem on the line; returns its id. BillingError("bad_incident")."""
        if affects not in INCIDENT_AFFECTS or not region_id or (until is not None and until <= since):
            raise BillingError("bad_incident", region_id=region_id, affects=affects)
        return int(await self.db.fetchval(
            "INSERT INTO incidents (region_id, affects, since, until, note, created_at) VALUES (?, ?, ?, ?, ?, ?) "
            "RETURNING id", (region_id, affects, stamp(since), stamp(until) if until else None, note, stamp(since))))

    async def all_incidents(self) -> list[Incident]:
        """Every recorded incident, past ones too, oldest first."""
        return [_incident(r) for r in await self.db.fetchall("SELECT * FROM incidents ORDER BY id")]

    async def clear_incidents(self, incident_id: int | None = None) -> int:
        """Remove one incident (or all); returns how many were removed."""
        if incident_id is None:
            return await self.db.execute("DELETE FROM incidents")
        return await self.db.execute("DELETE FROM incidents WHERE id = ?", (incident_id,))

    async def add_content(self, subscriber_id: int, name_ru: str, name_en: str, price: int, period_days: int,
                          since: datetime) -> int:
        """Subscribe to paid content (the provider's side: the charges are posted separately)."""
        async with self.db.transaction() as tx:
            sub = await self._require(tx, subscriber_id)
            return int(await tx.fetchval(
                "INSERT INTO content_subscriptions (subscriber_id, name_ru, name_en, price, period_days, since) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id", (sub.id, name_ru, name_en, price, period_days, stamp(since))))

    async def seed_catalogue(self) -> bool:
        """Fill the tariffs, services and packages once; False when tariffs already exist."""
        async with self.db.transaction() as tx:
            if await tx.fetchval("SELECT count(*) FROM tariffs"):
                return False
            await self._seed_catalogue(tx)
            return True

    async def seed_demo(self, now: datetime) -> bool:
        """Fill the catalogue and the demo subscribers (+79990000001…6) once, in one transaction;
        False when tariffs already exist."""
        async with self.db.transaction() as tx:
            if await tx.fetchval("SELECT count(*) FROM tariffs"):
                return False
            await self._seed_catalogue(tx)
            await self._seed_subscribers(tx, now)
            return True

    # == internals =================================================================================

    async def _operate(self, op_key: str, kind: str, now: datetime, work: Work) -> OperationResult:
        """Run `work` once per op_key in one transaction; store and return its result."""
        async with self.db.transaction() as tx:
            return await self._perform(tx, op_key, kind, now, work)

    async def _perform(self, tx: Executor, op_key: str, kind: str, now: datetime,
                       work: Work) -> OperationResult:
        stored = await self._claim(tx, op_key, kind, now)
        if stored is not None:
            return stored
        subscriber_id, details = await work(tx)
        result = OperationResult(op_key, kind, await self._balance(tx, subscriber_id), details)
        await self._store(tx, result, subscriber_id)
        return result

    async def _claim(self, tx: Executor, op_key: str, kind: str, now: datetime) -> OperationResult | None:
        """Reserve `op_key` in this transaction, or return its stored result (repeated=True).

        The reservation is a row in billing_operations: a concurrent transaction with the same key
        waits on it (SQLite: the write lock; PostgreSQL: the unique key) and then sees the result;
        if this transaction is refused and rolled back, the reservation goes with it.
        """
        claimed = await tx.execute(
            "INSERT INTO billing_operations (op_key, kind, result, created_at) VALUES (?, ?, '', ?) "
            "ON CONFLICT (op_key) DO NOTHING", (op_key, kind, stamp(now)))
        if claimed:
            return None
        stored = await self._stored(tx, op_key)
        assert stored is not None
        return stored

    async def _stored(self, ex: Executor, op_key: str) -> OperationResult | None:
        raw = await ex.fetchval("SELECT result FROM billing_operations WHERE op_key = ?", (op_key,))
        if not raw:
            return None
        data = json.loads(raw)
        return OperationResult(data["op_key"], data["kind"], int(data["balance"]), data["details"],
                               repeated=True)

    async def _store(self, tx: Executor, result: OperationResult, subscriber_id: int) -> None:
        """Fill in the result of an operation claimed by `_claim` in this transaction."""
        data = {"op_key": result.op_key, "kind": result.kind, "balance": result.balance,
                "details": result.details}
        await tx.execute("UPDATE billing_operations SET subscriber_id = ?, result = ? WHERE op_key = ?",
                         (subscriber_id, json.dumps(data, ensure_ascii=False), result.op_key))

    async def _balance(self, ex: Executor, subscriber_id: int) -> int:
        value = await ex.fetchval("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE subscriber_id = ?",
                                  (subscriber_id,))
        return int(value or 0)

    async def _post(self, tx: Executor, subscriber_id: int, amount: int, category: str, description: str,
                    op_key: str | None, when: datetime) -> None:
        """One ledger row."""
        assert category in DEBIT_CATEGORIES or category in CREDIT_CATEGORIES, category
        await tx.execute(
            "INSERT INTO ledger (subscriber_id, amount, category, description, op_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (subscriber_id, amount, category, description, op_key, stamp(when)))

    async def _ensure_funds(self, tx: Executor, subscriber_id: int, need: int) -> None:
        balance = await self._balance(tx, subscriber_id)
        if balance - need < 0:
            raise BillingError("insufficient_funds", need=need, balance=balance)

    async def _require(self, ex: Executor, subscriber_id: int) -> Subscriber:
        row = await ex.fetchone("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
        if row is None:
            raise BillingError("unknown_subscriber", subscriber_id=subscriber_id)
        return _subscriber(row)

    async def _tariff_of(self, ex: Executor, sub: Subscriber) -> Tariff:
        row = await ex.fetchone("SELECT * FROM tariffs WHERE id = ?", (sub.tariff_id,))
        assert row is not None
        return _tariff(row)

    async def _service_by_id(self, ex: Executor, service_id: str) -> Service:
        row = await ex.fetchone("SELECT * FROM services WHERE id = ?", (service_id,))
        if row is None:
            raise BillingError("unknown_service", service_id=service_id)
        return _service(row)

    async def _connected(self, ex: Executor, subscriber_id: int, service_id: str) -> bool:
        return bool(await ex.fetchval(
            "SELECT count(*) FROM subscriber_services WHERE subscriber_id = ? AND service_id = ?",
            (subscriber_id, service_id)))

    async def _open_promised(self, ex: Executor, subscriber_id: int) -> PromisedPayment | None:
        row = await ex.fetchone("SELECT * FROM promised_payments WHERE subscriber_id = ? "
                                "AND repaid_at IS NULL ORDER BY id", (subscriber_id,))
        return _promised(row) if row else None

    async def _budget(self, ex: Executor, subscriber_id: int, tariff: Tariff, moment: datetime) -> _Budget:
        """The allowance and outgoing usage of the Moscow month containing `moment`."""
        lo, hi = (stamp(t) for t in month_bounds(moment))
        bought = {r["kind"]: float(r["total"]) for r in await ex.fetchall(
            "SELECT kind, SUM(amount) AS total FROM package_purchases WHERE subscriber_id = ? "
            "AND bought_at >= ? AND bought_at < ? GROUP BY kind", (subscriber_id, lo, hi))}
        used = {r["kind"]: float(r["total"]) for r in await ex.fetchall(
            "SELECT kind, SUM(units) AS total FROM usage_records WHERE subscriber_id = ? "
            "AND started_at >= ? AND started_at < ? GROUP BY kind", (subscriber_id, lo, hi))}
        for r in await ex.fetchall("SELECT kind, units FROM usage_adjustments WHERE subscriber_id = ? AND month = ?",
                                   (subscriber_id, month_key(moment))):
            used[r["kind"]] = used.get(r["kind"], 0.0) + float(r["units"])
        return _Budget(
            minutes_total=tariff.minutes + bought.get("min", 0.0), minutes_used=used.get("call", 0.0),
            sms_total=tariff.sms + bought.get("sms", 0.0), sms_used=used.get("sms", 0.0),
            gb_total=tariff.gb + bought.get("gb", 0.0), mb_used=used.get("data", 0.0),
        )

    async def _offer(self, ex: Executor, sub: Subscriber, now: datetime) -> PromisedOffer:
        if sub.blocked:
            return PromisedOffer(False, "blocked")
        if await self._open_promised(ex, sub.id) is not None:
            return PromisedOffer(False, "open_promised")
        if await self._balance(ex, sub.id) < PROMISED_MIN_BALANCE:
            return PromisedOffer(False, "balance_too_low")
        age = now - sub.created_at
        if age < timedelta(days=PROMISED_MIN_DAYS):
            return PromisedOffer(False, "too_new")
        big = age >= timedelta(days=PROMISED_BIG_MIN_DAYS)
        options = tuple(o for o in PROMISED_OPTIONS if big or o.amount != PROMISED_BIG)
        return PromisedOffer(True, None, options)

    async def _take_promised(self, tx: Executor, subscriber_id: int, amount: int, op_key: str,
                             now: datetime) -> tuple[int, dict[str, Any]]:
        sub = await self._require(tx, subscriber_id)
        offer = await self._offer(tx, sub, now)
        if not offer.eligible:
            raise BillingError(offer.reason or "not_eligible")
        option = next((o for o in offer.options if o.amount == amount), None)
        if option is None:
            raise BillingError("bad_amount", options=[o.amount for o in offer.options])
        due = now + timedelta(days=option.days)
        await self._post(tx, sub.id, option.amount, "promised", "Обещанный платёж", op_key, now)
        await self._post(tx, sub.id, -option.fee, "other", "Комиссия за обещанный платёж", op_key, now)
        promised_id = await tx.fetchval(
            "INSERT INTO promised_payments (subscriber_id, amount, fee, taken_at, due_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (sub.id, option.amount, option.fee, stamp(now), stamp(due)))
        return sub.id, {"promised_id": int(promised_id), "amount": option.amount, "fee": option.fee,
                        "due_at": stamp(due)}

    async def _credit_topup(self, tx: Executor, subscriber_id: int, amount: int, description: str,
                            op_key: str, now: datetime) -> int:
        """Credit a top-up and repay the open promised payments; returns the amount repaid."""
        await self._post(tx, subscriber_id, amount, "topup", description, op_key, now)
        repaid = 0
        for row in await tx.fetchall("SELECT * FROM promised_payments WHERE subscriber_id = ? "
                                     "AND repaid_at IS NULL ORDER BY id", (subscriber_id,)):
            await self._post(tx, subscriber_id, -int(row["amount"]), "promised_repayment",
                             "Погашение обещанного платежа", op_key, now)
            await tx.execute("UPDATE promised_payments SET repaid_at = ? WHERE id = ?",
                             (stamp(now), row["id"]))
            repaid += int(row["amount"])
        return repaid

    async def _add_subscriber(self, tx: Executor, phone: str, name: str, balance: int, tariff_id: str,
                              created_at: datetime, region_id: str | None) -> Subscriber:
        normalized = normalize_phone(phone)
        if normalized is None:
            raise BillingError("bad_phone", phone=phone)
        if await tx.fetchval("SELECT count(*) FROM subscribers WHERE phone = ?", (normalized,)):
            raise BillingError("duplicate_phone", phone=normalized)
        if not await tx.fetchval("SELECT count(*) FROM tariffs WHERE id = ?", (tariff_id,)):
            raise BillingError("unknown_tariff", tariff_id=tariff_id)
        row = await tx.fetchone(
            "INSERT INTO subscribers (phone, name, tariff_id, region_id, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING *", (normalized, name, tariff_id, region_id, stamp(created_at)))
        assert row is not None
        sub = _subscriber(row)
        if balance:
            await self._post(tx, sub.id, balance, "adjustment", "Начальный баланс", None, created_at)
        await tx.executemany(
            "INSERT INTO subscriber_services (subscriber_id, service_id, connected_at) VALUES (?, ?, ?)",
            [(sub.id, s, stamp(created_at)) for s in DEFAULT_SERVICES])
        return sub

    async def _record_usage(self, tx: Executor, sub: Subscriber, tariff: Tariff, kind: str, direction: str,
                            other_party: str, quantity: float, started_at: datetime) -> UsageRecord:
        if kind not in USAGE_CATEGORY or direction not in ("out", "in") or not (
                math.isfinite(quantity) and quantity >= 0):
            raise BillingError("bad_usage")
        if sub.blocked:
            raise BillingError("blocked")
        units = 0.0
        if direction == "out" or kind == "data":
            units = float(math.ceil(quantity / 60)) if kind == "call" else float(quantity)
        cost = 0
        if units:
            over = max(0.0, units - (await self._budget(tx, sub.id, tariff, started_at)).available(kind))
            price = {"call": tariff.minute_price, "sms": tariff.sms_price, "data": tariff.mb_price}[kind]
            cost = math.ceil(over * price - 1e-6) if over > 1e-9 else 0
        await tx.execute(
            "INSERT INTO usage_records (subscriber_id, kind, direction, other_party, quantity, units, cost, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sub.id, kind, direction, other_party, quantity, units, cost, stamp(started_at)))
        if cost:
            what = {"call": f"Звонок на {other_party}, {units:g} мин", "sms": f"SMS на {other_party}",
                    "data": f"Мобильный интернет, {quantity:.1f} МБ"}[kind]
            await self._post(tx, sub.id, -cost, USAGE_CATEGORY[kind], what, None, started_at)
        return UsageRecord(started_at, kind, direction, other_party, quantity, cost)  # type: ignore[arg-type]

    async def _seed_usage(self, tx: Executor, sub: Subscriber, tariff: Tariff,
                          events: list[tuple[str, str, str, float, datetime]]) -> None:
        """A demo history of usage, charged exactly as `_record_usage` charges it one record at a time,
        in a few statements: each Moscow month's allowance is read once and counted down here (the
        first start of a new database seeds ~200 records: ~0.2 s one by one). Oldest first; nothing
        else may change the subscriber's allowance meanwhile."""
        budgets: dict[str, _Budget] = {}
        records: list[tuple[Any, ...]] = []
        charges: list[tuple[int, str, str, datetime]] = []
        for kind, direction, other_party, quantity, started_at in events:
            units = 0.0
            if direction == "out" or kind == "data":
                units = float(math.ceil(quantity / 60)) if kind == "call" else float(quantity)
            cost = 0
            if units:
                month = month_key(started_at)
                budget = budgets.get(month) or await self._budget(tx, sub.id, tariff, started_at)
                over = max(0.0, units - budget.available(kind))
                budgets[month] = budget.spending(kind, units)
                price = {"call": tariff.minute_price, "sms": tariff.sms_price, "data": tariff.mb_price}[kind]
                cost = math.ceil(over * price - 1e-6) if over > 1e-9 else 0
            records.append((sub.id, kind, direction, other_party, quantity, units, cost, stamp(started_at)))
            if cost:
                what = {"call": f"Звонок на {other_party}, {units:g} мин", "sms": f"SMS на {other_party}",
                        "data": f"Мобильный интернет, {quantity:.1f} МБ"}[kind]
                charges.append((-cost, USAGE_CATEGORY[kind], what, started_at))
        await tx.executemany(
            "INSERT INTO usage_records (subscriber_id, kind, direction, other_party, quantity, units, cost, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
        for amount, category, what, when in charges:
            await self._post(tx, sub.id, amount, category, what, None, when)

    async def _seed_catalogue(self, tx: Executor) -> None:
        await tx.executemany(
            "INSERT INTO tariffs (id, position, name_ru, name_en, monthly_fee, minutes, sms, gb, "
            "minute_price, sms_price, mb_price, description_ru, description_en) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(t.id, i, t.name_ru, t.name_en, t.monthly_fee, t.minutes, t.sms, t.gb, t.minute_price,
              t.sms_price, t.mb_price, t.description_ru, t.description_en) for i, t in enumerate(TARIFFS)])
        await tx.executemany(
            "INSERT INTO services (id, position, grp, name_ru, name_en, monthly_fee, connect_fee, aliases, "
            "description_ru, description_en, by_default) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s.id, i, s.group, s.name_ru, s.name_en, s.monthly_fee, s.connect_fee,
              json.dumps(list(s.aliases), ensure_ascii=False), s.description_ru, s.description_en,
              int(s.id in DEFAULT_SERVICES)) for i, s in enumerate(SERVICES)])
        await tx.executemany(
            "INSERT INTO package_offers (id, position, kind, amount, price) VALUES (?, ?, ?, ?, ?)",
            [(p.id, i, p.kind, p.amount, p.price) for i, p in enumerate(PACKAGES)])

    async def _seed_subscribers(self, tx: Executor, now: datetime) -> None:
        """The demo subscribers; histories are generated deterministically relative to `now`."""
        month_start = _this_month(now, month_bounds(now)[0] + timedelta(minutes=5))
        tariffs = {t.id: t for t in TARIFFS}
        services = {s.id: s for s in SERVICES}

        async def fees(sub: Subscriber, extra: tuple[str, ...] = ()) -> None:
            tariff = tariffs[sub.tariff_id]
            if tariff.monthly_fee:
                await self._post(tx, sub.id, -tariff.monthly_fee, "subscription",
                                 f"Абонентская плата: тариф «{tariff.name_ru}»", None, month_start)
            for service_id in extra:
                service = services[service_id]
                connected = stamp(sub.created_at + timedelta(days=40))
                await tx.execute("INSERT INTO subscriber_services (subscriber_id, service_id, connected_at) "
                                 "VALUES (?, ?, ?)", (sub.id, service.id, connected))
                if service.monthly_fee:
                    await self._post(tx, sub.id, -service.monthly_fee, "subscription",
                                     f"Абонентская плата: услуга «{service.name_ru}»", None, month_start)

        async def opening(sub: Subscriber, target: int) -> None:
            """Make the balance `target` with an opening "adjustment" at the creation date."""
            delta = target - await self._balance(tx, sub.id)
            if delta:
                await self._post(tx, sub.id, delta, "adjustment", "Начальный баланс", None, sub.created_at)

        # 1. Иван Петров: two years with us, a month of realistic usage, ~350 ₽.
        ivan = await self._add_subscriber(tx, "+79990000001", "Иван Петров", 0, "moy-online",
                                          now - timedelta(days=731), "moscow")
        await fees(ivan, ("caller-id", "ringback"))
        for days_ago, amount in ((27, 20000), (15, 15000), (4, 15000)):
            await self._post(tx, ivan.id, amount, "topup", "Пополнение банковской картой", None,
                             now - timedelta(days=days_ago, hours=3))
        await self._post(tx, ivan.id, -3000, "content", "Подписка «Гороскоп на каждый день»", None,
                         _this_month(now, now - timedelta(days=9, hours=5)))
        await tx.execute(
            "INSERT INTO content_subscriptions (subscriber_id, name_ru, name_en, price, period_days, since) "
            "VALUES (?, ?, ?, ?, ?, ?)", (ivan.id, "Гороскоп на каждый день", "Daily horoscope", 3000, 30,
                                          stamp(now - timedelta(days=70))))
        await self._seed_usage(tx, ivan, tariffs["moy-online"], _demo_usage(now, random.Random(20240901)))
        await opening(ivan, 35240)

        # 2. Мария Смирнова: a low balance.
        maria = await self._add_subscriber(tx, "+79990000002", "Мария Смирнова", 0, "moy-razgovor",
                                           now - timedelta(days=400), "saint-petersburg")
        await fees(maria, ("antispam",))
        await opening(maria, 1500)

        # 3. Алексей Кузнецов: joined 20 days ago (too new for a promised payment).
        alexey = await self._add_subscriber(tx, "+79990000003", "Алексей Кузнецов", 0, "moy-tele2",
                                            now - timedelta(days=20), "novosibirsk-oblast")
        await self._post(tx, alexey.id, 45000, "topup", "Пополнение в салоне связи", None, alexey.created_at)
        await self._post(tx, alexey.id, -25000, "subscription", "Абонентская плата: тариф «Мой Tele2»", None,
                         alexey.created_at + timedelta(minutes=1))

        # 4. Ольга Иванова: an open promised payment taken two days ago.
        olga = await self._add_subscriber(tx, "+79990000004", "Ольга Иванова", 0, "moy-online",
                                          now - timedelta(days=500), "tatarstan")
        await fees(olga)
        await opening(olga, -5000)
        taken, key = now - timedelta(days=2), "demo:promised:+79990000004"
        await self._perform(tx, key, "take_promised", taken,
                            lambda t: self._take_promised(t, olga.id, 30000, key, taken))

        # 5. Дмитрий Соколов: SIM blocked three days ago.
        dmitry = await self._add_subscriber(tx, "+79990000005", "Дмитрий Соколов", 0, "moy-razgovor",
                                            now - timedelta(days=1000), "moscow-oblast")
        await fees(dmitry)
        await opening(dmitry, 12000)
        await tx.execute("UPDATE subscribers SET blocked = 1, blocked_at = ? WHERE id = ?",
                         (stamp(now - timedelta(days=3)), dmitry.id))

        # 6. Елена Попова: pay-per-use "Классический".
        elena = await self._add_subscriber(tx, "+79990000006", "Елена Попова", 0, "classic",
                                           now - timedelta(days=300), "moscow")
        rng = random.Random(20240906)
        for days_ago in range(10, 0, -1):
            when = now - timedelta(days=days_ago, hours=rng.randint(0, 10))
            await self._record_usage(tx, elena, tariffs["classic"], "call", "out", rng.choice(_CONTACTS),
                                     rng.randint(20, 300), when)
        await self._record_usage(tx, elena, tariffs["classic"], "sms", "out", _CONTACTS[0], 1,
                                 now - timedelta(hours=20))
        await opening(elena, 8000)


def _this_month(now: datetime, wanted: datetime) -> datetime:
    """`wanted` if it falls in `now`'s Moscow month before `now`, else halfway from the month's start to
    `now`: the demo's "this month" charges stay in this month on its first days too."""
    start = month_bounds(now)[0]
    return wanted if start <= wanted <= now else start + (now - start) / 2


_UNIT = {"gb": "ГБ", "min": "мин", "sms": "SMS"}
_CONTACTS = ("+79161234567", "+79263456789", "+79031112233", "+79857654321", "+74952223344", "+79119876543")
_SENDERS = ("Sberbank", "900", "Tele2", "+79161234567", "Ozon")


def _demo_usage(now: datetime, rng: random.Random) -> list[tuple[str, str, str, float, datetime]]:
    """A month of realistic usage before `now`: calls in and out, SMS, daily data, oldest first."""
    events: list[tuple[str, str, str, float, datetime]] = []
    today = now.astimezone(MOSCOW).date()
    for days_ago in range(30, 0, -1):
        day = today - timedelta(days=days_ago)

        def at(hour_from: int = 8, hour_to: int = 23, day: date = day) -> datetime:
            moment = datetime.combine(day, time(), tzinfo=MOSCOW) + timedelta(
                seconds=rng.randint(hour_from * 3600, hour_to * 3600 - 1))
            return moment.astimezone(UTC)

        for _ in range(rng.randint(0, 4)):
            events.append(("call", "out", rng.choice(_CONTACTS), float(rng.randint(15, 600)), at()))
        for _ in range(rng.randint(0, 3)):
            events.append(("call", "in", rng.choice(_CONTACTS), float(rng.randint(10, 900)), at()))
        if rng.random() < 0.3:
            events.append(("sms", "out", rng.choice(_CONTACTS), 1.0, at()))
        for _ in range(rng.randint(0, 2)):
            events.append(("sms", "in", rng.choice(_SENDERS), 1.0, at()))
        for _ in range(rng.randint(2, 4)):
            events.append(("data", "out", "", round(rng.uniform(20, 400), 1), at(0, 24)))
    events.sort(key=lambda e: e[4])
    return events


def _validate_autopay(autopay: Autopay) -> None:
    if not autopay.enabled:
        return
    ok = AUTOPAY_AMOUNT_MIN <= autopay.amount <= AUTOPAY_AMOUNT_MAX
    if autopay.mode == "threshold":
        ok = ok and autopay.threshold is not None and (
            AUTOPAY_THRESHOLD_MIN <= autopay.threshold <= AUTOPAY_THRESHOLD_MAX)
    elif autopay.mode == "schedule":
        ok = ok and autopay.day is not None and AUTOPAY_DAY_MIN <= autopay.day <= AUTOPAY_DAY_MAX
    else:
        ok = False
    if not ok:
        raise BillingError("bad_autopay")

