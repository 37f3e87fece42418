"""The account actions end to end through `supportbot chat --jsonl`'s own line handler.

The conversations of all the scenarios run side by side, one channel user each, in three
`chat_in_process` calls on one database (state persists across runs, as across the command's
runs; the command as a process is tests/test_cli_jsonl.py's subject):

1. every user asks for an action before logging in and sends a number;
   the codes are read with `supportbot sms outbox` (through the CLI's entry point in this
   process);
2. every user types the code and carries on: slots by buttons or free text, confirmations;
   the SIM-block re-check code is read, the top-up link is paid in-process;
3. the follow-ups that need a payload seen in step 2 (a confirm button pressed twice) or a
   code sent in step 2.

The `world` fixture records every turn and snapshots the billing before and after; each test
checks one scenario. The concurrency tests at the end run in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dbaccess
import pytest
from account_helpers import confirm_payload, login, now_utc, open_fast_runtime
from conftest import ChatClient, chat_in_process

from account.format import amount, money
from backends.sandbox import SandboxBilling
from intents.replies import Incoming
from kernel.clock import MOSCOW
from storage.schema import migrate
from supportbot.cli import main
from supportbot.config import load_config
from supportbot.database import open_database
from supportbot.runtime import Runtime

# the module's tests share one world (a module fixture): kept on one test process, it is built once
pytestmark = pytest.mark.xdist_group("actions-world")

IVAN, MARIA, ALEXEY, OLGA = "+79990000001", "+79990000002", "+79990000003", "+79990000004"
# extra subscribers, one per scenario so that each ledger tells one story
EXTRA = {
    # phone: (name, tariff, balance in kopecks)
    "+79990000101": ("Тариф Кнопкой", "moy-tele2", 100000),
    "+79990000102": ("Тариф Словом", "classic", 100000),
    "+79990000103": ("Тариф Названием", "moy-tele2", 100000),
    "+79990000105": ("Минус Большой", "moy-tele2", -15000),
    "+79990000106": ("Пакет Пакетов", "moy-online", 100000),
    "+79990000107": ("Услуга Услугина", "moy-tele2", 50000),
    "+79990000108": ("Авто Платёжный", "moy-tele2", 50000),
    "+79990000109": ("Попол Нение", "moy-tele2", 10000),
    "+79990000110": ("Блок Симкин", "moy-tele2", 20000),
}

# user → (phone, first message: an action request before login, the action it starts)
SCENARIOS: dict[str, tuple[str, str, str]] = {
    "read": (IVAN, "какой у меня баланс", "balance"),
    "details": ("+7 999 000-00-01", "отправь детализацию звонков мне на почту", "call_details"),
    "maria": ("89990000002", "купи пакет 10 гб", "buy_package"),
    "alexey": (ALEXEY, "дайте обещанный платёж", "promised_payment"),
    "olga": (OLGA, "хочу обещанный платёж", "promised_payment"),
    "low": ("+79990000105", "нужен обещанный платёж", "promised_payment"),
    "t-btn": ("+79990000101", "хочу сменить тариф", "change_tariff"),
    "t-word": ("+79990000102", "сменить тариф", "change_tariff"),
    "t-name": ("+79990000103", "поменять тариф", "change_tariff"),
    "pkg": ("+79990000106", "подключи 5 гб", "buy_package"),
    "svc": ("+79990000107", "подключи чёрный список", "connect_service"),
    "autopay": ("+79990000108", "настрой автоплатёж", "autopay"),
    "topup": ("+79990000109", "пополни мой счёт на 300 рублей", "top_up"),
    "block": ("+79990000110", "заблокируй мою сим-карту", "block_sim"),
}

# questions ABOUT how things work: knowledge answers, no action
HOW_TO = [
    "а как вообще работает обещанный платёж и когда его надо вернуть?",
    "расскажите, что за автоплатёж и как его настроить по порогу",
    "каким образом можно заказать детализацию звонков за прошлый месяц?",
    "чем отличается вкладка мои услуги от вкладки все услуги в личном кабинете",
    "где в приложении найти страницу моего тарифа",
    "есть ли комиссия, если пополнять счёт банковской картой",
]
# requests to DO it: the action starts (and asks to log in)
DO_IT = [
    ("дай мне обещанный платёж на 300 рублей", "promised_payment"),
    ("включи мне автоплатёж", "autopay"),
    ("скинь мне на почту распечатку звонков", "call_details"),
    ("подключите мне голосовую почту", "connect_service"),
    ("смени мой тариф на мой разговор", "change_tariff"),
    ("закинь 200 рублей на мой номер", "top_up"),
]

EMAIL = "ivan.petrov@example.com"
# The world's clock: fixed, so the scenarios do not depend on the day CI runs, and early in a
# month (the 2nd, 09:30 Moscow), where "this month" is shortest: the demo data's charges of
# "this month" must still fall in it.
WORLD_T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def phone_of(user: str) -> str:
    phone = SCENARIOS[user][0]
    return "+7" + re.sub(r"\D", "", phone)[-10:]


# -- the CLI ---------------------------------------------------------------------------------------


def cli(db: Path, *args: str) -> str:
    """`supportbot ARGS --db DB` through its entry point in this process (the chat itself runs as the
    real process, above); what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--db", str(db)])
    assert code == 0, out.getvalue()
    return out.getvalue()


def parallel(calls: list[tuple[str, ...]], db: Path) -> list[str]:
    return [cli(db, *args) for args in calls]


def codes_in(outbox_listing: str) -> list[str]:
    """The 6-digit codes in `supportbot sms outbox` output, oldest first (one SMS a line)."""
    return [m.group(1) for line in outbox_listing.splitlines() if (m := re.search(r"Код (\d{6}) ", line))]


def iso(moment: datetime) -> str:
    return moment.isoformat()


# -- the world ---------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    balance: int
    ledger: list[dict[str, Any]]
    remaining_gb: float
    services: list[str]
    tariff: str
    blocked: bool


@dataclass
class World:
    db: Path
    t0: datetime
    turns: dict[str, list[tuple[dict, dict]]] = field(default_factory=dict)
    before: dict[str, Snapshot] = field(default_factory=dict)
    after: dict[str, Snapshot] = field(default_factory=dict)
    shown: dict[str, dict] = field(default_factory=dict)  # `billing show` JSON by phone
    emails: list[dict[str, Any]] = field(default_factory=list)
    paid: dict[str, Any] = field(default_factory=dict)
    expenses: dict[str, Any] = field(default_factory=dict)

    def chat(self, lines: list[dict]) -> list[dict]:
        outputs = chat_in_process(lines, self.db)
        assert len(outputs) == len(lines)
        for line, out in zip(lines, outputs, strict=True):
            assert "error" not in out, (line, out)
            self.turns.setdefault(line["user"], []).append((line, out))
        return outputs

    def outputs(self, user: str) -> list[dict]:
        return [out for _, out in self.turns[user]]

    def reply_to(self, user: str, said: str, nth: int = 0) -> dict:
        """The bot's answer to the nth time `user` said (or pressed) `said`."""
        hits = [out for line, out in self.turns[user] if said in (line.get("text"), line.get("button"))]
        assert len(hits) > nth, f"{user} never said {said!r} ({nth})"
        return hits[nth]

    def confirm_of(self, user: str, said: str) -> str:
        """The act:yes:<op> payload offered in the answer to `said`."""
        payloads = [b["payload"] for b in self.reply_to(user, said)["buttons"] if b["payload"].startswith("act:yes:")]
        assert payloads, self.reply_to(user, said)
        return payloads[0]


def line(user: str, text: str | None = None, *, now: datetime, button: str | None = None) -> dict:
    out: dict[str, Any] = {"user": user, "now": iso(now)}
    if text is not None:
        out["text"] = text
    if button is not None:
        out["button"] = button
    return out


async def snapshot(db_path: Path, phones: list[str], now: datetime) -> dict[str, Snapshot]:
    db = await open_database(load_config(), str(db_path))
    try:
        billing = SandboxBilling(db)
        out = {}
        for phone in phones:
            sub = await billing.find_subscriber(phone)
            assert sub is not None, phone
            account = await billing.account(sub.id, now)
            assert account.balance == await billing.ledger_sum(sub.id)
            out[phone] = Snapshot(account.balance, await billing.ledger(sub.id), account.remaining.gb,
                                  [s.id for s in account.services], account.tariff.id, sub.blocked)
        return out
    finally:
        await db.close()


async def prepare(db_path: Path, t0: datetime) -> None:
    """The demo data (as the chat would seed it) plus one subscriber per scenario, 400 days old."""
    db = await open_database(load_config(), str(db_path))
    try:
        await migrate(db)
        billing = SandboxBilling(db)
        assert await billing.seed_demo(t0)
        for phone, (name, tariff, balance) in EXTRA.items():
            await billing.add_subscriber(phone, name, balance, tariff, t0, created_at=t0 - timedelta(days=400))
    finally:
        await db.close()


async def pay(db_path: Path, token: str, now: datetime) -> Any:
    db = await open_database(load_config(), str(db_path))
    try:
        return await SandboxBilling(db).complete_payment(token, now)
    finally:
        await db.close()


async def read_emails_and_expenses(db_path: Path, now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from backends.sandbox_messaging import SandboxEmail

    db = await open_database(load_config(), str(db_path))
    try:
        emails = await SandboxEmail(db).outbox()
        billing = SandboxBilling(db)
        sub = await billing.find_subscriber(IVAN)
        assert sub is not None
        today = now.astimezone(MOSCOW).date()
        spent = await billing.expenses(sub.id, today.replace(day=1), today)
        usage = await billing.usage(sub.id, today.replace(day=1), today)
        return emails, {"expenses": spent, "usage": usage}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    t0 = WORLD_T0
    w = World(db, t0)
    p1, p1b, p2, p3, p4 = (t0 + timedelta(minutes=m) for m in (0, 2, 4, 6, 7))
    phones = sorted({phone_of(u) for u in SCENARIOS} | {MARIA})
    asyncio.run(prepare(db, t0))
    w.before = asyncio.run(snapshot(db, phones, p1))

    # -- 1: the action requests before login, and the numbers
    first: list[dict] = []
    for user, (phone, request, _) in SCENARIOS.items():
        when = p1b if user == "details" else p1  # a second login to Ivan's number: a minute apart at least
        first += [line(user, request, now=when), line(user, phone, now=when)]
    first += [line(f"how-{i}", text, now=p1) for i, text in enumerate(HOW_TO)]
    first += [line(f"do-{i}", text, now=p1) for i, (text, _) in enumerate(DO_IT)]
    w.chat(first)

    listings = dict(zip(phones, parallel([("sms", "outbox", "--phone", p) for p in phones], db), strict=True))
    code: dict[str, str] = {}
    for user in SCENARIOS:
        sent = codes_in(listings[phone_of(user)])
        code[user] = sent[1] if user == "details" else sent[0]
    assert codes_in(listings[MARIA]) and len(codes_in(listings[IVAN])) == 2

    # -- 2: the codes, then the dialogues
    def say(user: str, *texts: str) -> list[dict]:
        return [line(user, t, now=p2) for t in texts]

    def press(user: str, payload: str) -> dict:
        return line(user, None, button=payload, now=p2)

    second = [
        *say("read", code["read"], "сколько осталось гигов", "какой у меня тариф", "мои услуги",
             "покажи мои расходы за этот месяц"),
        *say("details", code["details"], "этот месяц", "ivan.petrov@mail", EMAIL, "да"),
        *say("maria", code["maria"], "хочу обещанный платёж"), press("maria", "act:opt:30000"),
        *say("maria", "да", "обещанный платёж"),
        *say("alexey", code["alexey"], "купить пакет 1 гб", "отмена"),
        *say("olga", code["olga"]),
        *say("low", code["low"]),
        *say("t-btn", code["t-btn"]), press("t-btn", "act:opt:moy-online"),
        *say("t-word", code["t-word"], "второй", "да", "да"),
        *say("t-name", code["t-name"], "мой разговор", "да"),
        *say("pkg", code["pkg"], "да", "купить пакет 5 гб", "да"),
        *say("svc", code["svc"], "да", "мои услуги", "подключи определитель номера", "да", "отключи чёрный список",
             "да", "мои услуги"),
        *say("autopay", code["autopay"]), press("autopay", "act:opt:threshold"), *say("autopay", "100", "500", "да"),
        *say("topup", code["topup"]),
        *say("block", code["block"], "да"),
    ]
    w.chat(second)

    recheck = codes_in(cli(db, "sms", "outbox", "--phone", phone_of("block")))
    assert len(recheck) == 2, recheck
    url = w.reply_to("topup", code["topup"])["text"]
    token = re.search(r"/pay/([A-Za-z0-9_\-]+)", url)
    assert token, url
    w.paid = {"token": token.group(1), "result": asyncio.run(pay(db, token.group(1), p2 + timedelta(seconds=30)))}

    # -- 3: what needs something seen in step 2
    op = w.confirm_of("t-btn", "act:opt:moy-online")
    wrong = "135790" if recheck[1] != "135790" else "246802"
    w.chat([
        line("t-btn", None, button=op, now=p3), line("t-btn", None, button=op, now=p3),
        line("block", wrong, now=p3), line("block", recheck[1], now=p3),
        line("topup", "какой у меня баланс", now=p3),
    ])

    show_phones = [phone_of(u) for u in ("t-btn", "pkg", "svc", "autopay", "topup", "block")] + [MARIA]
    shown = parallel([("billing", "show", "--phone", p, "--now", iso(p4)) for p in show_phones], db)
    w.shown = {p: json.loads(s) for p, s in zip(show_phones, shown, strict=True)}
    w.after = asyncio.run(snapshot(db, phones, p4))
    w.emails, w.expenses = asyncio.run(read_emails_and_expenses(db, p2))
    return w


def new_rows(world: World, phone: str) -> list[dict[str, Any]]:
    seen = {r["id"] for r in world.before[phone].ledger}
    return [r for r in world.after[phone].ledger if r["id"] not in seen]


def rub(kopecks: int) -> str:
    return money(kopecks, "ru")


# -- every action, through the CLI -------------------------------------------------------------------


def test_login_steps_and_every_turn_carry_the_action(world: World) -> None:
    for user, (_, _, action) in SCENARIOS.items():
        request, number, code = world.outputs(user)[:3]
        assert request["action"] == action, (user, request)
        assert "нужно войти" in request["text"], (user, request)
        assert number["action"] == action and "отправлен код" in number["text"], (user, number)
        assert code["action"] == action and "Вы вошли" in code["text"], (user, code)
        assert all(not out["handoff"] for out in world.outputs(user))
        # every turn of these conversations is part of some action (slots, confirmations, repeats, refusals)
        assert all(out["action"] for out in world.outputs(user)), [(o["text"][:40], o["action"])
                                                                   for o in world.outputs(user)]


def test_balance(world: World) -> None:
    reply = world.outputs("read")[2]
    assert reply["action"] == "balance"
    assert f"Ваш баланс: {rub(world.before[IVAN].balance)}." in reply["text"]
    assert world.before[IVAN].balance == 35240
    payloads = [b["payload"] for b in reply["buttons"]]
    assert "act:start:top_up" in payloads and "act:start:promised_payment" in payloads


def test_remaining(world: World) -> None:
    reply = world.reply_to("read", "сколько осталось гигов")
    assert reply["action"] == "remaining"
    assert "Остатки по тарифу «Мой онлайн»" in reply["text"]
    assert f"интернет: {amount(world.before[IVAN].remaining_gb, 'gb', 'ru')} из 40 ГБ" in reply["text"]


def test_tariff(world: World) -> None:
    reply = world.reply_to("read", "какой у меня тариф")
    assert reply["action"] == "tariff"
    assert "Ваш тариф — «Мой онлайн», 500\u00a0₽ в месяц" in reply["text"]
    assert "act:start:change_tariff" in [b["payload"] for b in reply["buttons"]]


def test_services_list(world: World) -> None:
    reply = world.reply_to("read", "мои услуги")
    assert reply["action"] == "services"
    text = reply["text"]
    assert "Замени гудок — 60\u00a0₽/мес" in text
    assert "Определитель номера" in text and "Мобильный интернет" in text
    payloads = [b["payload"] for b in reply["buttons"]]
    assert {"act:svc:groups", "act:start:connect_service", "act:start:disconnect_service"} <= set(payloads)


def test_expenses_by_category(world: World) -> None:
    reply = world.reply_to("read", "покажи мои расходы за этот месяц")
    assert reply["action"] == "expenses"
    spent = world.expenses["expenses"]
    labels = {"subscription": "абонентская плата", "calls": "звонки", "sms": "SMS и MMS",
              "internet": "мобильный интернет", "content": "контент и подписки", "other": "прочее"}
    present = [c for c, v in spent.by_category.items() if v]
    assert {"subscription", "content"} <= set(present)
    for category in present:
        assert f"- {labels[category]}: {rub(spent.by_category[category])}" in reply["text"]
    assert f"Итого: {rub(spent.total)}" in reply["text"]


def test_reading_changes_nothing(world: World) -> None:
    assert world.after[IVAN].ledger == world.before[IVAN].ledger


def test_change_tariff_from_buttons_confirm_pressed_twice_charges_once(world: World) -> None:
    phone = phone_of("t-btn")
    choose = world.outputs("t-btn")[2]
    assert "На какой тариф перейти?" in choose["text"]
    offered = [b["payload"] for b in choose["buttons"]]
    assert "act:opt:moy-online" in offered and "act:opt:moy-tele2" not in offered  # not the current one
    confirm = world.reply_to("t-btn", "act:opt:moy-online")
    assert confirm["action"] == "change_tariff"
    assert "Перейти на «Мой онлайн»?" in confirm["text"] and f"Баланс после перехода: {rub(50000)}" in confirm["text"]
    op = world.confirm_of("t-btn", "act:opt:moy-online")
    done, again = world.reply_to("t-btn", op, 0), world.reply_to("t-btn", op, 1)
    assert "ваш тариф теперь «Мой онлайн»" in done["text"] and f"Баланс: {rub(50000)}" in done["text"]
    assert "уже сделано" in again["text"]
    rows = new_rows(world, phone)
    assert [(r["amount"], r["op_key"]) for r in rows] == [(-50000, op.removeprefix("act:yes:"))]
    assert world.after[phone].balance == world.before[phone].balance - 50000
    assert world.shown[phone]["tariff"]["id"] == "moy-online"
    assert world.shown[phone]["balance_kopecks"] == world.after[phone].balance


def test_change_tariff_by_ordinal_and_yes_twice_charges_once(world: World) -> None:
    phone = phone_of("t-word")
    confirm = world.reply_to("t-word", "второй")
    assert "Перейти на «Мой разговор»?" in confirm["text"]  # classic → [Мой Tele2, Мой разговор, …]
    op = world.confirm_of("t-word", "второй").removeprefix("act:yes:")
    done, again = world.reply_to("t-word", "да", 0), world.reply_to("t-word", "да", 1)
    assert "ваш тариф теперь «Мой разговор»" in done["text"]
    assert "уже сделано" in again["text"] and again["action"] == "change_tariff"
    assert [(r["amount"], r["op_key"]) for r in new_rows(world, phone)] == [(-35000, op)]
    assert world.after[phone].tariff == "moy-razgovor"


def test_change_tariff_by_name(world: World) -> None:
    phone = phone_of("t-name")
    confirm = world.reply_to("t-name", "мой разговор")
    assert "Перейти на «Мой разговор»?" in confirm["text"]
    assert "ваш тариф теперь «Мой разговор»" in world.reply_to("t-name", "да")["text"]
    assert world.after[phone].tariff == "moy-razgovor"
    assert world.after[phone].balance == world.before[phone].balance - 35000


def test_promised_payment_for_an_eligible_subscriber_then_refused_as_open(world: World) -> None:
    choose = world.reply_to("maria", "хочу обещанный платёж")
    assert choose["action"] == "promised_payment"
    assert "act:opt:30000" in [b["payload"] for b in choose["buttons"]]
    confirm = world.reply_to("maria", "act:opt:30000")
    assert "Зачислить обещанный платёж 300\u00a0₽" in confirm["text"] and "Комиссия 25\u00a0₽" in confirm["text"]
    op = world.confirm_of("maria", "act:opt:30000").removeprefix("act:yes:")
    done = world.reply_to("maria", "да")
    assert "зачислено 300\u00a0₽" in done["text"]
    rows = new_rows(world, MARIA)
    assert sorted((r["amount"], r["category"], r["op_key"]) for r in rows) == [
        (-2500, "other", op), (30000, "promised", op)]
    assert world.after[MARIA].balance == world.before[MARIA].balance + 30000 - 2500
    assert f"Баланс: {rub(world.after[MARIA].balance)}" in done["text"]
    assert world.shown[MARIA]["promised_payment"]["amount"] == 300
    again = world.reply_to("maria", "обещанный платёж")
    assert again["action"] == "promised_payment"
    assert "уже есть непогашенный (300\u00a0₽" in again["text"]


def test_promised_payment_refusals_give_the_reason(world: World) -> None:
    assert "не меньше 60 дней" in world.outputs("alexey")[2]["text"]
    assert "уже есть непогашенный" in world.outputs("olga")[2]["text"]
    low = world.outputs("low")[2]["text"]
    assert "ниже допустимого" in low and rub(-15000) in low
    for user, phone in (("olga", OLGA), ("low", phone_of("low"))):
        assert world.after[phone].ledger == world.before[phone].ledger, user


def test_buy_package_refused_for_low_balance_mentions_top_up(world: World) -> None:
    refusal = world.outputs("maria")[2]
    assert refusal["action"] == "buy_package"
    assert "Не хватает денег" in refusal["text"] and "Пополните счёт" in refusal["text"]
    assert f"нужно {rub(50000)}, на балансе {rub(1500)}" in refusal["text"]
    assert "act:start:top_up" in [b["payload"] for b in refusal["buttons"]]
    assert not [r for r in new_rows(world, MARIA) if r["category"] == "internet"]


def test_action_asked_before_login_resumes_after_it(world: World) -> None:
    """"подключи 5 гб" → number → code → straight to the 5 GB confirmation, no question asked again."""
    after_code = world.outputs("pkg")[2]
    assert after_code["action"] == "buy_package"
    assert "Вы вошли" in after_code["text"] and "Купить пакет 5 ГБ за 350\u00a0₽?" in after_code["text"]
    assert "Какой пакет" not in after_code["text"] and "размер" not in after_code["text"]
    assert any(b["payload"].startswith("act:yes:") for b in after_code["buttons"])


def test_buy_package_prefilled_adds_gigabytes_and_charges_the_price(world: World) -> None:
    phone = phone_of("pkg")
    first = world.reply_to("pkg", "да", 0)
    assert "Теперь осталось: 45 ГБ" in first["text"] and f"Баланс: {rub(65000)}" in first["text"]
    confirm = world.reply_to("pkg", "купить пакет 5 гб")
    assert confirm["action"] == "buy_package" and "Купить пакет 5 ГБ за 350\u00a0₽?" in confirm["text"]
    second = world.reply_to("pkg", "да", 1)
    assert "Теперь осталось: 50 ГБ" in second["text"] and f"Баланс: {rub(30000)}" in second["text"]
    assert [r["amount"] for r in new_rows(world, phone)] == [-35000, -35000]
    assert world.after[phone].remaining_gb == world.before[phone].remaining_gb + 10
    shown = world.shown[phone]
    assert shown["remaining"]["gb"] == 50 and shown["balance_kopecks"] == 30000
    assert [(p["id"], p["amount"]) for p in shown["packages"]] == [("gb-5", 5.0), ("gb-5", 5.0)]


def test_connect_service_named_in_the_first_message_and_disconnect(world: World) -> None:
    phone = phone_of("svc")
    after_code = world.outputs("svc")[2]
    assert "Подключить «Чёрный список»?" in after_code["text"] and "45\u00a0₽ в месяц" in after_code["text"]
    assert "Услуга «Чёрный список» подключена" in world.reply_to("svc", "да", 0)["text"]
    assert "Чёрный список — 45\u00a0₽/мес" in world.reply_to("svc", "мои услуги", 0)["text"]
    caller_id = world.reply_to("svc", "подключи определитель номера")
    assert caller_id["action"] == "connect_service" and "Подключить «Определитель номера»?" in caller_id["text"]
    disconnect = world.reply_to("svc", "отключи чёрный список")
    assert disconnect["action"] == "disconnect_service" and "Отключить услугу «Чёрный список»?" in disconnect["text"]
    assert "Услуга «Чёрный список» отключена" in world.reply_to("svc", "да", 2)["text"]
    final = world.reply_to("svc", "мои услуги", 1)["text"]
    assert "Чёрный список" not in final and "Определитель номера" in final
    assert [r["amount"] for r in new_rows(world, phone)] == [-4500]  # caller ID is free, disabling refunds nothing
    assert {s["id"] for s in world.shown[phone]["services"]} == {"mobile-internet", "sms-mms", "caller-id"}


def test_call_details_by_email_with_a_csv(world: World) -> None:
    period = world.outputs("details")[2]
    assert "За какой период" in period["text"]
    assert "На какой e-mail" in world.reply_to("details", "этот месяц")["text"]
    bad = world.reply_to("details", "ivan.petrov@mail")
    assert bad["action"] == "call_details"
    assert "Не похоже на адрес e-mail" in bad["text"]
    confirm = world.reply_to("details", EMAIL)
    month = (world.t0 + timedelta(minutes=4)).astimezone(MOSCOW)  # step 2's clock
    assert f"Отправить детализацию с 01.{month:%m.%Y}" in confirm["text"]
    assert EMAIL in confirm["text"] and any(b["payload"].startswith("act:yes:") for b in confirm["buttons"])
    done = world.reply_to("details", "да")
    assert f"отправлена на {EMAIL}" in done["text"]
    [email] = [e for e in world.emails if e["to"] == EMAIL]
    assert "+79990000001" in email["subject"]
    [attachment] = email["attachments"]
    assert attachment["filename"].endswith(".csv") and attachment["content_type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(attachment["data"].decode("utf-8-sig"))))
    assert rows[0][:3] == ["date_time_msk", "type", "direction"]
    usage = world.expenses["usage"]
    assert len(rows) - 1 == len(usage) > 0
    assert f"({len(usage)} " in done["text"]
    assert world.after[IVAN].ledger == world.before[IVAN].ledger


def test_autopay_threshold_mode(world: World) -> None:
    phone = phone_of("autopay")
    modes = world.outputs("autopay")[2]
    assert "act:opt:threshold" in [b["payload"] for b in modes["buttons"]]
    assert "При каком балансе" in world.reply_to("autopay", "act:opt:threshold")["text"]
    confirm = world.reply_to("autopay", "500")
    assert "когда баланс ниже 100\u00a0₽, пополнять на 500\u00a0₽" in confirm["text"]
    assert "Готово" in world.reply_to("autopay", "да")["text"]
    assert world.shown[phone]["autopay"] == {"enabled": True, "mode": "threshold", "threshold": 100.0, "day": None,
                                             "amount": 500.0}
    assert world.after[phone].ledger == world.before[phone].ledger


def test_top_up_link_paid_in_process_grows_the_balance(world: World) -> None:
    phone = phone_of("topup")
    link = world.outputs("topup")[2]
    assert link["action"] == "top_up"
    assert f"Оплатите 300\u00a0₽ для {phone}" in link["text"]
    assert f"http://127.0.0.1:8080/pay/{world.paid['token']}" in link["text"]
    assert any(b["payload"] == f"url:http://127.0.0.1:8080/pay/{world.paid['token']}" for b in link["buttons"])
    assert world.paid["result"].balance == world.before[phone].balance + 30000
    assert [(r["amount"], r["category"]) for r in new_rows(world, phone)] == [(30000, "topup")]
    assert f"Ваш баланс: {rub(40000)}" in world.reply_to("topup", "какой у меня баланс")["text"]
    assert world.shown[phone]["balance_kopecks"] == 40000


def test_block_sim_after_confirm_and_a_fresh_code(world: World) -> None:
    phone = phone_of("block")
    confirm = world.outputs("block")[2]
    assert f"Заблокировать SIM-карту {phone}?" in confirm["text"]
    asked = world.reply_to("block", "да")
    assert asked["action"] == "block_sim" and "новый код" in asked["text"]
    wrong, right = world.outputs("block")[-2:]
    assert "Код неверный" in wrong["text"] and wrong["action"] == "block_sim"
    assert f"SIM-карта {phone} заблокирована" in right["text"]
    assert world.shown[phone]["blocked"] is True
    assert world.after[phone].ledger == world.before[phone].ledger


def test_cancel_at_the_confirmation_leaves_the_ledger_unchanged(world: World) -> None:
    confirm = world.reply_to("alexey", "купить пакет 1 гб")
    assert "Купить пакет 1 ГБ" in confirm["text"]
    cancelled = world.reply_to("alexey", "отмена")
    assert "Отменено, ничего не изменилось" in cancelled["text"]
    assert cancelled["action"] == "buy_package"
    assert world.after[ALEXEY].ledger == world.before[ALEXEY].ledger
    assert world.after[ALEXEY].remaining_gb == world.before[ALEXEY].remaining_gb


def test_how_to_questions_stay_knowledge_answers(world: World) -> None:
    for i, text in enumerate(HOW_TO):
        [out] = world.outputs(f"how-{i}")
        assert out["action"] is None, (text, out)
        assert out["intent"] and out["intent"].startswith("lk-"), (text, out)
        assert "нужно войти" not in out["text"], text


def test_requests_to_do_it_start_the_action(world: World) -> None:
    for i, (text, action) in enumerate(DO_IT):
        [out] = world.outputs(f"do-{i}")
        assert out["action"] == action, (text, out)
        assert "нужно войти" in out["text"], text


# -- more rules, in-process ----------------------------------------------------------------------------


async def test_top_up_another_tele2_number_credits_that_number(bot: ChatClient, runtime: Runtime) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    ivan, maria = await runtime.billing.find_subscriber(IVAN), await runtime.billing.find_subscriber(MARIA)
    assert ivan is not None and maria is not None
    ivan_before, maria_before = await runtime.billing.balance(ivan.id), await runtime.billing.balance(maria.id)
    unknown = await bot.say("пополни номер +79161234567 на 100 рублей", now=t0)
    assert unknown.action == "top_up" and "не обслуживается в Tele2" in unknown.text
    link = await bot.say("8 999 000 00 02", now=t0)
    assert f"Оплатите 100\u00a0₽ для {MARIA}" in link.text
    token = re.search(r"/pay/([A-Za-z0-9_\-]+)", link.text)
    assert token
    result = await runtime.billing.complete_payment(token.group(1), t0)
    assert result.balance == maria_before + 10000 == await runtime.billing.balance(maria.id)
    assert await runtime.billing.balance(ivan.id) == ivan_before
    assert (await runtime.billing.complete_payment(token.group(1), t0)).repeated
    assert await runtime.billing.balance(maria.id) == maria_before + 10000
    too_small = await bot.say("пополни счёт на 5 рублей", now=t0)
    assert "от 10 до 15 000" in too_small.text


async def test_call_details_longer_than_six_months_are_refused(bot: ChatClient, runtime: Runtime) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    today = t0.astimezone(MOSCOW).date()
    start = (today - timedelta(days=250)).strftime("%d.%m.%Y")
    reply = await bot.say(f"пришли детализацию с {start} по {today:%d.%m.%Y}", now=t0)
    assert reply.action == "call_details" and "до 6 месяцев" in reply.text
    assert await runtime.email.outbox() == []


async def test_a_blocked_sim_is_never_charged(bot: ChatClient, runtime: Runtime) -> None:
    t0 = now_utc()
    await login(bot, "+79990000005", t0)  # Дмитрий: blocked three days ago
    sub = await runtime.billing.find_subscriber("+79990000005")
    assert sub is not None and sub.blocked
    before = await runtime.billing.ledger(sub.id)
    for request in ("купить пакет 50 смс", "подключи чёрный список", "сменить тариф на классический"):
        reply = await bot.say(request, now=t0)
        assert confirm_payload(reply) is None, "a blocked SIM is refused before any confirmation"
        assert "заблокирована" in reply.text, (request, reply.text)
    assert await runtime.billing.ledger(sub.id) == before
    promised = await bot.say("возьму обещанный платёж", now=t0)
    assert "SIM-карта заблокирована" in promised.text


async def test_cancel_at_the_login_step_and_at_a_slot(bot: ChatClient) -> None:
    t0 = now_utc()
    await bot.say("хочу сменить тариф", now=t0)
    cancelled = await bot.say("отмена", now=t0)
    assert cancelled.action == "change_tariff" and "Отменено" in cancelled.text
    await login(bot, IVAN, t0 + timedelta(minutes=2), first="хочу сменить тариф")
    assert "Отменено" in (await bot.press("act:cancel", now=t0 + timedelta(minutes=2))).text
    assert "нечего отменять" in (await bot.say("отмена", now=t0 + timedelta(minutes=2))).text


# -- regressions found by these tests -------------------------------------------------------------------


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = await open_fast_runtime(tmp_path / "e2e-inproc.db")
    try:
        yield rt
    finally:
        await rt.close()
        await dbaccess.release(tmp_path / "e2e-inproc.db")


async def test_tariff_named_with_a_plus_is_not_confused_with_the_cheaper_one(bot: ChatClient, runtime: Runtime) -> None:
    t0 = now_utc()
    await runtime.billing.add_subscriber("+79990000201", "Плюс Плюсов", 200000, "moy-tele2", t0,
                                         created_at=t0 - timedelta(days=400))
    await login(bot, "+79990000201", t0)
    confirm = await bot.say("хочу перейти на тариф мой онлайн+", now=t0)
    assert "Перейти на «Мой онлайн+»?" in confirm.text, confirm.text


async def test_latin_slot_answers_keep_the_conversation_in_russian(bot: ChatClient, runtime: Runtime) -> None:
    """An e-mail address or a tariff name in Latin letters is an answer, not a switch to English."""
    t0 = now_utc()
    await login(bot, IVAN, t0)
    await bot.say("пришли детализацию за этот месяц", now=t0)
    bad = await bot.say("ivan.petrov@mail", now=t0)
    assert "Не похоже на адрес e-mail" in bad.text, bad.text
    confirm = await bot.say("ivan.petrov@example.com", now=t0)
    assert "Отправить детализацию" in confirm.text, confirm.text
    await bot.say("отмена", now=t0)
    await runtime.billing.add_subscriber("+79990000202", "Латин Латинов", 100000, "moy-razgovor", t0,
                                         created_at=t0 - timedelta(days=400))
    other = ChatClient(runtime, "u2")
    await login(other, "+79990000202", t0, first="сменить тариф")
    confirm = await other.say("мой tele2", now=t0)
    assert "Перейти на «Мой Tele2»?" in confirm.text, confirm.text


@pytest.mark.parametrize("answer", ["да нет, не надо", "конечно нет", "хочу другой пакет", "ок, подумаю"],
                         ids=["da-net-ne-nado", "konechno-net", "hochu-drugoy-paket", "ok-podumayu"])
async def test_a_negative_answer_at_the_confirmation_does_not_charge(bot: ChatClient, runtime: Runtime,
                                                                     answer: str) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    sub = await runtime.billing.find_subscriber(IVAN)
    assert sub is not None
    before = await runtime.billing.ledger(sub.id)
    confirm = await bot.say("купить пакет 1 гб", now=t0)
    assert confirm_payload(confirm)
    reply = await bot.say(answer, now=t0)
    assert await runtime.billing.ledger(sub.id) == before, reply.text


async def test_a_new_request_right_after_an_action_starts_that_action(bot: ChatClient) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    await bot.say("купить пакет 50 смс", now=t0)
    assert "Пакет подключён" in (await bot.say("да", now=t0)).text
    reply = await bot.say("хочу обещанный платёж", now=t0 + timedelta(minutes=1))
    assert reply.action == "promised_payment", reply.text
    assert "уже сделано" not in reply.text


@pytest.mark.parametrize(("request_text", "action", "name"), [
    ("подключи антиаон", "connect_service", "АнтиАОН"),
    ("подключи родительский контроль", "connect_service", "Родительский контроль"),
    ("подключи баланс после звонка", "connect_service", "Баланс после звонка"),  # starts a promised payment
    ("отключи перенос остатков", "disconnect_service", "Перенос остатков"),  # shows the remaining package
], ids=["antiaon", "parental-control", "balance-sms", "rollover"])
async def test_a_catalogue_service_named_in_the_request(bot: ChatClient, request_text: str, action: str,
                                                       name: str) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    reply = await bot.say(request_text, now=t0)
    assert reply.action == action, (reply.action, reply.text)
    assert f"«{name}»" in reply.text


# -- concurrent delivery of one confirmation -----------------------------------------------------------


def press(user: str, payload: str, now: datetime, channel: str = "test") -> Incoming:
    return Incoming(channel=channel, user_id=user, chat_id=user, button=payload, now=now)


async def test_the_same_confirmation_delivered_concurrently_charges_once(bot: ChatClient, runtime: Runtime) -> None:
    t0 = now_utc()
    await login(bot, IVAN, t0)
    sub = await runtime.billing.find_subscriber(IVAN)
    assert sub is not None
    before = await runtime.billing.balance(sub.id)
    payload = confirm_payload(await bot.say("купить пакет 1 гб", now=t0))
    assert payload
    first, second = await asyncio.gather(runtime.core.handle(press("u1", payload, t0)),
                                         runtime.core.handle(press("u1", payload, t0)))
    texts = sorted([first.text, second.text])
    assert any("Пакет подключён" in t for t in texts) and any("уже сделано" in t for t in texts)
    op = payload.removeprefix("act:yes:")
    assert [r["amount"] for r in await runtime.billing.ledger(sub.id) if r["op_key"] == op] == [-15000]
    assert await runtime.billing.balance(sub.id) == before - 15000 == await runtime.billing.ledger_sum(sub.id)


async def test_two_runtimes_on_one_database_perform_a_confirmation_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    one = await open_fast_runtime(path)
    two = await open_fast_runtime(path)
    try:
        t0 = now_utc()
        bot = ChatClient(one, "u1")
        await login(bot, MARIA, t0)
        sub = await one.billing.find_subscriber(MARIA)
        assert sub is not None
        before = await one.billing.balance(sub.id)
        payload = confirm_payload(await bot.say("хочу обещанный платёж на 100 рублей", now=t0))
        assert payload, bot.last
        results = await asyncio.gather(one.core.handle(press("u1", payload, t0)), two.core.handle(press("u1", payload, t0)))
        assert sorted("зачислено" in r.text for r in results) == [False, True]
        op = payload.removeprefix("act:yes:")
        rows = [r["amount"] for r in await two.billing.ledger(sub.id) if r["op_key"] == op]
        assert sorted(rows) == [-1000, 10000]
        assert await two.billing.balance(sub.id) == before + 9000 == await one.billing.ledger_sum(sub.id)
        assert await one.db.fetchval("SELECT count(*) FROM promised_payments WHERE subscriber_id = ?", (sub.id,)) == 1
    finally:
        await one.close()
        await two.close()


def test_a_missing_database_is_created_with_the_demo_subscribers(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "fresh.db"
    assert not db.exists()
    shown = json.loads(cli(db, "billing", "show", "--phone", "8 999 000-00-06"))
    assert shown["name"] == "Елена Попова" and shown["tariff"]["id"] == "classic"
    assert db.exists() or load_config().storage.backend == "postgres"  # PostgreSQL: a schema, not a file

