"""The operator's billing system as the bot sees it.

`BillingBackend` is what the account actions call. The embedded implementation
(`backends/sandbox.py`) is a real ledger in the project's database; a real operator's HTTP
billing API would implement the same interface.

Money is always an integer number of kopecks. Times are UTC. Every call that changes an
account takes an `op_key`: the same key twice performs the operation once and returns the
first result again (a double tap or a channel's retry never charges twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

SERVICE_GROUPS = ("internet", "safety", "calls", "call_management", "other")
EXPENSE_CATEGORIES = ("subscription", "calls", "sms", "internet", "content", "other")
PackageKind = Literal["gb", "min", "sms"]
INCIDENT_AFFECTS = ("internet", "calls", "sms")  # what a known problem on the line breaks


class BillingError(Exception):
    """An operation was refused; `code` says why (texts come from the bot's messages)."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Tariff:
    id: str
    name_ru: str
    name_en: str
    monthly_fee: int  # kopecks
    minutes: int
    sms: int
    gb: float
    description_ru: str = ""
    description_en: str = ""
    # prices beyond the allowance (kopecks): per started minute, per SMS, per megabyte
    minute_price: int = 0
    sms_price: int = 0
    mb_price: int = 0

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


@dataclass(frozen=True)
class Service:
    id: str
    group: str  # one of SERVICE_GROUPS
    name_ru: str
    name_en: str
    monthly_fee: int  # kopecks, 0 for free services
    connect_fee: int = 0
    aliases: tuple[str, ...] = ()  # other names subscribers use ("определитель", "caller id")
    description_ru: str = ""
    description_en: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


@dataclass(frozen=True)
class PackageOffer:
    id: str
    kind: PackageKind
    amount: float  # GB, minutes or SMS
    price: int  # kopecks


@dataclass(frozen=True)
class Subscriber:
    id: int
    phone: str  # +7XXXXXXXXXX
    name: str
    tariff_id: str
    created_at: datetime
    blocked: bool = False
    region_id: str | None = None


@dataclass(frozen=True)
class Remaining:
    minutes: int
    sms: int
    gb: float
    minutes_total: int
    sms_total: int
    gb_total: float


@dataclass(frozen=True)
class PromisedPayment:
    id: int
    amount: int
    fee: int
    taken_at: datetime
    due_at: datetime
    repaid_at: datetime | None = None


@dataclass(frozen=True)
class PromisedOption:
    amount: int
    fee: int
    days: int


@dataclass(frozen=True)
class PromisedOffer:
    eligible: bool
    reason: str | None  # why not: "open_promised", "balance_too_low", "too_new", "blocked"
    options: tuple[PromisedOption, ...] = ()


@dataclass(frozen=True)
class Autopay:
    enabled: bool
    mode: Literal["threshold", "schedule"] | None = None
    threshold: int | None = None  # kopecks: top up when the balance falls below
    day: int | None = None  # day of month for "schedule"
    amount: int = 0  # kopecks per top-up


@dataclass(frozen=True)
class Account:
    subscriber: Subscriber
    balance: int  # kopecks, equal to the ledger's sum
    tariff: Tariff
    remaining: Remaining
    services: tuple[Service, ...]
    promised: PromisedPayment | None
    autopay: Autopay


@dataclass(frozen=True)
class Expenses:
    start: date
    end: date
    by_category: dict[str, int]  # EXPENSE_CATEGORIES → kopecks spent (positive numbers)
    top_ups: int  # kopecks paid in
    total: int


@dataclass(frozen=True)
class UsageRecord:
    started_at: datetime
    kind: Literal["call", "sms", "data"]
    direction: Literal["out", "in"]
    other_party: str  # a number, or "" for data
    quantity: float  # seconds for calls, messages for SMS, megabytes for data
    cost: int  # kopecks charged (0 when within the package)


@dataclass(frozen=True)
class OperationResult:
    """What an account-changing operation did; returned again for a repeated op_key."""

    op_key: str
    kind: str
    balance: int  # the balance after the operation
    details: dict[str, object] = field(default_factory=dict)
    repeated: bool = False  # True when this op_key had already been performed


@dataclass(frozen=True)
class Incident:
    """A known problem on the line in one region (an outage, works on a base station)."""

    id: int
    region_id: str
    affects: str  # one of INCIDENT_AFFECTS
    since: datetime
    until: datetime | None  # the expected end; None when not yet known
    note: str = ""


@dataclass(frozen=True)
class ContentSubscription:
    """A paid content subscription from a content provider (horoscopes, games), charged to the balance."""

    id: int
    name_ru: str
    name_en: str
    price: int  # kopecks per period
    period_days: int
    since: datetime

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


@dataclass(frozen=True)
class Payment:
    token: str
    subscriber_id: int
    phone: str
    amount: int
    status: Literal["pending", "paid", "expired"]
    created_at: datetime


class BillingBackend(Protocol):
    # reading
    async def find_subscriber(self, phone: str) -> Subscriber | None: ...
    async def subscriber(self, subscriber_id: int) -> Subscriber | None: ...
    async def account(self, subscriber_id: int, now: datetime) -> Account: ...
    async def balance(self, subscriber_id: int) -> int: ...
    async def tariffs(self) -> list[Tariff]: ...
    async def services(self) -> list[Service]: ...
    async def packages(self) -> list[PackageOffer]: ...
    async def promised_offer(self, subscriber_id: int, now: datetime) -> PromisedOffer: ...
    async def expenses(self, subscriber_id: int, start: date, end: date) -> Expenses: ...
    async def usage(self, subscriber_id: int, start: date, end: date) -> list[UsageRecord]: ...
    async def incidents(self, region_id: str, now: datetime) -> list[Incident]:
        """The known problems on the line in this region at `now`, the earliest first."""
    async def content_subscriptions(self, subscriber_id: int) -> list[ContentSubscription]:
        """The subscriber's active paid content subscriptions."""

    # changing (each idempotent by op_key; BillingError when refused)
    async def change_tariff(self, subscriber_id: int, tariff_id: str, op_key: str,
                            now: datetime) -> OperationResult: ...
    async def connect_service(self, subscriber_id: int, service_id: str, op_key: str,
                              now: datetime) -> OperationResult: ...
    async def disconnect_service(self, subscriber_id: int, service_id: str, op_key: str,
                                 now: datetime) -> OperationResult: ...
    async def buy_package(self, subscriber_id: int, package_id: str, op_key: str,
                          now: datetime) -> OperationResult: ...
    async def take_promised(self, subscriber_id: int, amount: int, op_key: str,
                            now: datetime) -> OperationResult: ...
    async def set_autopay(self, subscriber_id: int, autopay: Autopay, op_key: str,
                          now: datetime) -> OperationResult: ...
    async def block_sim(self, subscriber_id: int, op_key: str, now: datetime) -> OperationResult: ...
    async def cancel_content(self, subscriber_id: int, content_id: int, op_key: str,
                             now: datetime) -> OperationResult: ...
    async def create_payment(self, subscriber_id: int, phone: str, amount: int, op_key: str,
                             now: datetime) -> Payment: ...
    async def payment(self, token: str) -> Payment | None: ...
    async def complete_payment(self, token: str, now: datetime) -> OperationResult: ...
    async def operation(self, op_key: str) -> OperationResult | None:
        """The result of an operation already performed with this key, or None."""
