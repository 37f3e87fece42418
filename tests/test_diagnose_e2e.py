"""Self-service diagnosis end to end: every cause in Russian and English through `supportbot chat
--jsonl`'s line handler (in this process, as in test_actions_e2e.py), situations set up with
`supportbot billing set` / `billing incident add`.

One database, one subscriber per scenario (400 days old, so a promised payment is possible), a
fixed clock on the 2nd of a month. Three chat runs, as in test_actions_e2e.py:

1. the problem before login (the bot says what it will check, asks for the number), the number;
2. the SMS code: the diagnosis runs at once; then the offered fix is pressed (a package, a
   service, a promised payment, a top-up, a subscription switched off);
3. the confirmation of the fix.

Then the accounts are read back: the fix changed them, nothing else did.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import chat_in_process
from test_actions_e2e import line, parallel

from backends.sandbox import SandboxBilling
from storage.diagnoses import DiagnosisStore
from storage.schema import migrate
from supportbot.config import load_config
from supportbot.runtime import open_database

# the module's tests share one world (a module fixture): kept on one test process, it is built once
pytestmark = pytest.mark.xdist_group("diagnose-world")

T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 09:30 Moscow, the 2nd of a month
NOON_NSK = "2026-03-02T16:00:00+07:00"  # an incident's expected end, 16:00 in Novosibirsk (12:00 Moscow)


@dataclass(frozen=True)
class Scenario:
    phone: str
    tariff: str
    lang: str
    text: str  # the problem, before login
    situation: tuple[str, ...]  # `billing set` arguments
    cause: str  # what the diagnosis must find
    fix: str | None = None  # the button pressed after the diagnosis


IVAN = "+79990000001"
SCENARIOS: dict[str, Scenario] = {
    # Russian
    "blk-ru": Scenario("+79990000201", "moy-online", "ru", "не работает интернет",
                       ("--blocked", "yes", "--gb", "0", "--balance", "-20"), "blocked"),
    "bal-ru": Scenario("+79990000202", "moy-razgovor", "ru", "не могу позвонить", ("--balance", "-50"), "balance",
                       "act:start:promised_payment:30000"),
    "gb-ru": Scenario("+79990000203", "moy-online", "ru", "нет интернета", ("--gb", "0", "--balance", "1000"),
                      "allowance", "act:start:buy_package:gb-3"),
    "slow-ru": Scenario("+79990000204", "moy-tele2", "ru", "интернет тормозит", ("--gb", "0", "--balance", "200"),
                        "allowance"),
    "svc-ru": Scenario("+79990000205", "moy-online", "ru", "пропал интернет на телефоне",
                       ("--service-off", "mobile-internet", "--gb", "12.5"), "service_off",
                       "act:start:connect_service:mobile-internet"),
    "sms-ru": Scenario("+79990000206", "moy-razgovor", "ru", "не отправляются смс", ("--sms", "0",), "allowance",
                       "act:start:buy_package:sms-50"),
    "smsvc-ru": Scenario("+79990000207", "moy-razgovor", "ru", "смс не уходят", ("--service-off", "sms-mms"),
                         "service_off", "act:start:connect_service:sms-mms"),
    "inc-ru": Scenario("+79990000208", "moy-razgovor", "ru", "нет связи", ("--region", "novosibirsk-oblast"),
                       "incident"),
    "other-ru": Scenario("+79990000209", "moy-online", "ru", "не работает мобильный интернет", ("--region", "moscow"),
                         "none"),
    "money-ru": Scenario(IVAN, "moy-online", "ru", "куда делись деньги", (), "charges", "act:start:disconnect_service:content-1"),
    "numblk-ru": Scenario("+79990000210", "moy-online", "ru", "мой номер заблокирован", ("--balance", "-100"),
                          "balance"),
    # English
    "blk-en": Scenario("+79990000221", "moy-online", "en", "my internet doesn't work",
                       ("--blocked", "yes", "--gb", "0"), "blocked"),
    "bal-en": Scenario("+79990000222", "classic", "en", "can't make calls", ("--balance", "1.50"), "balance",
                       "act:start:top_up:10000"),
    "gb-en": Scenario("+79990000223", "moy-razgovor", "en", "no mobile data", ("--gb", "0",), "allowance",
                      "act:start:buy_package:gb-3"),
    "svc-en": Scenario("+79990000224", "moy-tele2", "en", "mobile internet is not working",
                       ("--service-off", "mobile-internet"), "service_off", "act:start:connect_service:mobile-internet"),
    "min-en": Scenario("+79990000225", "moy-razgovor", "en", "i can't call anyone", ("--minutes", "0"), "allowance",
                       "act:start:buy_package:min-100"),
    "inc-en": Scenario("+79990000226", "moy-online", "en", "no mobile data", ("--region", "saint-petersburg"),
                       "incident"),
    "none-en": Scenario("+79990000227", "moy-online", "en", "my texts won't send", ("--region", "moscow"), "none"),
    "money-en": Scenario("+79990000228", "moy-tele2", "en", "where did my money go", ("--service-on", "voicemail"),
                         "charges", "act:start:disconnect_service:voicemail"),
    "numblk-en": Scenario("+79990000229", "moy-tele2", "en", "my sim is blocked", ("--blocked", "yes"), "blocked"),
}
# the known problems on the line: Novosibirsk calls (inc-ru), St Petersburg internet (inc-en);
# the Moscow subscriber of "other-ru" must not hear of either
INCIDENTS = [("--region", "novosibirsk-oblast", "--affects", "calls", "--until", NOON_NSK, "--note", "авария на базовой станции"),
             ("--region", "saint-petersburg", "--affects", "internet", "--until", "2026-03-02T18:30:00+03:00"),
             ("--region", "saint-petersburg", "--affects", "sms")]


@dataclass
class Account:
    balance: int
    remaining: dict[str, float]
    services: set[str]
    content: list[str]
    blocked: bool


@dataclass
class World:
    db: Path
    turns: dict[str, list[tuple[dict, dict]]] = field(default_factory=dict)
    before: dict[str, Account] = field(default_factory=dict)
    after: dict[str, Account] = field(default_factory=dict)
    diagnoses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    set_output: dict[str, dict] = field(default_factory=dict)

    def chat(self, lines: list[dict]) -> list[dict]:
        outputs = chat_in_process(lines, self.db)
        assert len(outputs) == len(lines)
        for sent, out in zip(lines, outputs, strict=True):
            assert "error" not in out, (sent, out)
            self.turns.setdefault(sent["user"], []).append((sent, out))
        return outputs

    def outputs(self, user: str) -> list[dict]:
        return [out for _, out in self.turns[user]]

    def diagnosis(self, user: str) -> dict:
        """The reply that carries the diagnosis: the one to the SMS code."""
        return self.outputs(user)[2]


async def prepare(db_path: Path) -> None:
    db = await open_database(load_config(), str(db_path))
    try:
        await migrate(db)
        billing = SandboxBilling(db)
        assert await billing.seed_demo(T0)
        for user, s in SCENARIOS.items():
            if s.phone != IVAN:
                await billing.add_subscriber(s.phone, user, 30000, s.tariff, T0, created_at=T0 - timedelta(days=400),
                                             region_id="moscow-oblast")
    finally:
        await db.close()


async def read_accounts(db_path: Path, now: datetime) -> tuple[dict[str, Account], dict[str, list[dict[str, Any]]]]:
    db = await open_database(load_config(), str(db_path))
    try:
        billing = SandboxBilling(db)
        accounts, diagnoses = {}, {}
        for user, s in SCENARIOS.items():
            sub = await billing.find_subscriber(s.phone)
            assert sub is not None
            account = await billing.account(sub.id, now)
            assert account.balance == await billing.ledger_sum(sub.id)
            r = account.remaining
            accounts[user] = Account(account.balance, {"gb": r.gb, "min": r.minutes, "sms": r.sms},
                                     {x.id for x in account.services},
                                     [c.name_ru for c in await billing.content_subscriptions(sub.id)], sub.blocked)
            rows = await db.fetchall("SELECT id FROM diagnoses WHERE subscriber_id = ? ORDER BY id", (sub.id,))
            store = DiagnosisStore(db)
            diagnoses[user] = [(await store.get(int(row["id"]))).to_json() for row in rows]  # type: ignore[union-attr]
        return accounts, diagnoses
    finally:
        await db.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    db = tmp_path_factory.mktemp("diag") / "diag.db"
    w = World(db)
    asyncio.run(prepare(db))
    t0 = T0.isoformat()
    # the situations, through the sandbox's own commands
    setups = [(user, ("billing", "set", "--phone", s.phone, *s.situation, "--now", t0))
              for user, s in SCENARIOS.items() if s.situation]
    for (user, _), out in zip(setups, parallel([args for _, args in setups], db), strict=True):
        w.set_output[user] = json.loads(out)
    ids = parallel([("billing", "incident", "add", *args, "--now", t0) for args in INCIDENTS], db)
    assert [int(i) for i in ids] and len(set(ids)) == len(INCIDENTS)
    p1, p2, p3, p4 = (T0 + timedelta(minutes=m) for m in (1, 2, 3, 5))
    w.before, _ = asyncio.run(read_accounts(db, p1))

    first: list[dict] = []
    for user, s in SCENARIOS.items():
        first += [line(user, s.text, now=p1) | {"lang": s.lang}, line(user, s.phone, now=p1)]
    w.chat(first)
    phones = sorted({s.phone for s in SCENARIOS.values()})
    listings = dict(zip(phones, parallel([("sms", "outbox", "--phone", p) for p in phones], db), strict=True))

    second: list[dict] = []
    for user, s in SCENARIOS.items():
        second.append(line(user, last_code(listings[s.phone]), now=p2))
        if s.fix:
            second.append(line(user, None, button=s.fix, now=p2))
    w.chat(second)

    third = []
    for user, s in SCENARIOS.items():
        if s.fix and not s.fix.startswith("act:start:top_up"):
            confirm = [b["payload"] for b in w.outputs(user)[-1]["buttons"] if b["payload"].startswith("act:yes:")]
            assert confirm, (user, w.outputs(user)[-1])
            third.append(line(user, None, button=confirm[0], now=p3))
    w.chat(third)
    w.after, w.diagnoses = asyncio.run(read_accounts(db, p4))
    return w


def last_code(outbox_listing: str) -> str:
    """The one-time code in the newest SMS of a `supportbot sms outbox` listing (Russian or English)."""
    codes = re.findall(r"(?<![\d-])(\d{6})(?!\d)", outbox_listing.strip().splitlines()[-1].split("  ", 1)[1])
    assert len(codes) == 1, outbox_listing
    return codes[0]


def buttons(reply: dict) -> list[str]:
    return [b["payload"] for b in reply["buttons"]]


# -- every scenario --------------------------------------------------------------------------------------


def test_before_login_the_bot_says_what_it_will_check_and_every_step_is_diagnose(world: World) -> None:
    for user, s in SCENARIOS.items():
        problem, number, code = world.outputs(user)[:3]
        assert (problem["action"], number["action"], code["action"]) == ("diagnose",) * 3, user
        assert problem["intent"].startswith("problem-"), (user, problem)
        if s.lang == "ru":
            assert "нужно войти" in problem["text"] and ("Проверю" in problem["text"] or "Покажу" in problem["text"])
            assert code["text"].startswith("Вы вошли.")
        else:
            assert "log in" in problem["text"] and ("I'll check" in problem["text"] or "I'll show" in problem["text"])
            assert code["text"].startswith("You are logged in.")
        for out in world.outputs(user):
            assert len(out["text"]) <= 1200, (user, len(out["text"]))


def test_each_diagnosis_is_stored_with_the_cause_found(world: World) -> None:
    for user, s in SCENARIOS.items():
        [diagnosis] = world.diagnoses[user]
        assert diagnosis["cause"] == s.cause, (user, diagnosis)
        assert diagnosis["handed_off"] == (s.cause == "none")


def test_billing_set_reports_the_situation_it_made(world: World) -> None:
    assert world.set_output["gb-ru"]["remaining"]["gb"] == 0 and world.set_output["gb-ru"]["balance"] == 1000
    assert world.set_output["svc-ru"]["remaining"]["gb"] == 12.5
    assert "mobile-internet" not in {x["id"] for x in world.set_output["svc-ru"]["services"]}
    assert world.set_output["min-en"]["remaining"]["minutes"] == 0
    assert world.set_output["min-en"]["remaining"]["sms"] == 50  # untouched
    assert world.set_output["blk-ru"]["blocked"] is True and world.set_output["blk-ru"]["balance"] == -20
    assert world.set_output["inc-ru"]["region"] == "novosibirsk-oblast"
    assert world.before["sms-ru"].remaining["sms"] == 0 and world.before["slow-ru"].remaining["gb"] == 0


# -- SIM blocked: how to unblock, never a package ---------------------------------------------------------


@pytest.mark.parametrize("user", ["blk-ru", "blk-en", "numblk-en"])
def test_blocked_sim_gets_unblocking_and_no_package(world: World, user: str) -> None:
    reply = world.diagnosis(user)
    text = reply["text"]
    assert "8 800 555-06-11" in text and "PUK" in text
    if SCENARIOS[user].lang == "ru":
        assert "SIM-карта заблокирована" in text and "«Безопасность и авторизация»" in text and "сервисном центре" in text
    else:
        assert "SIM is blocked" in text and "Security and authorization" in text and "service centre" in text
    assert not [p for p in buttons(reply) if "buy_package" in p or "connect_service" in p or "promised" in p]
    assert world.after[user] == world.before[user]


# -- money: top up or a promised payment ----------------------------------------------------------------


def test_negative_balance_offers_top_up_and_promised_payment_taken_in_one_tap(world: World) -> None:
    reply = world.diagnosis("bal-ru")
    assert "на счёте −50\u00a0₽" in reply["text"] and "ограничена до пополнения счёта" in reply["text"]
    assert "обещанный платёж" in reply["text"]
    titles = {b["payload"]: b["title"] for b in reply["buttons"]}
    assert titles["act:start:promised_payment:10000"] == "Обещанный 100\u00a0₽ (комиссия 10\u00a0₽, 3 дн.)"
    assert titles["act:start:promised_payment:30000"] == "Обещанный 300\u00a0₽ (комиссия 25\u00a0₽, 7 дн.)"
    assert titles["act:start:top_up:10000"] == "Пополнить на 100\u00a0₽"  # the debt and a little more, in hundreds
    confirm = world.outputs("bal-ru")[3]
    assert confirm["action"] == "promised_payment" and "300\u00a0₽" in confirm["text"]
    done = world.outputs("bal-ru")[4]
    assert done["action"] == "promised_payment" and "зачислено 300\u00a0₽" in done["text"]
    assert world.after["bal-ru"].balance == world.before["bal-ru"].balance + 30000 - 2500 == 22500


def test_balance_below_one_unit_on_pay_per_use_gets_a_top_up_link(world: World) -> None:
    reply = world.diagnosis("bal-en")
    assert "your balance is 1.50\u00a0₽" in reply["text"] and "1.95\u00a0₽" in reply["text"]
    assert "act:start:top_up:10000" in buttons(reply)
    link = world.outputs("bal-en")[3]
    assert link["action"] == "top_up" and re.search(r"/pay/[A-Za-z0-9_\-]+", link["text"]) and "100\u00a0₽" in link["text"]


def test_blocked_number_complaint_with_a_debt_is_about_the_money(world: World) -> None:
    text = world.diagnosis("numblk-ru")["text"]
    assert text.startswith("Вы вошли.\nПроверил: SIM-карта не заблокирована.")
    assert "на счёте −100\u00a0₽" in text


# -- allowance used up: the matching package, bought in one tap ----------------------------------------------


@pytest.mark.parametrize(("user", "kind", "package", "price", "size"), [
    ("gb-ru", "gb", "gb-3", 25000, 3), ("gb-en", "gb", "gb-3", 25000, 3), ("sms-ru", "sms", "sms-50", 5000, 50),
    ("min-en", "min", "min-100", 10000, 100)])
def test_used_up_allowance_buys_the_matching_package(world: World, user: str, kind: str, package: str, price: int,
                                                     size: int) -> None:
    reply = world.diagnosis(user)
    offered = [p for p in buttons(reply) if p.startswith("act:start:buy_package:")]
    assert offered and all(p.split(":")[-1].startswith(kind) for p in offered), offered
    assert f"act:start:buy_package:{package}" in offered
    confirm, done = world.outputs(user)[3:5]
    assert confirm["action"] == "buy_package" and any(b["payload"].startswith("act:yes:") for b in confirm["buttons"])
    assert done["action"] == "buy_package"
    before, after = world.before[user], world.after[user]
    assert after.balance == before.balance - price
    assert after.remaining[kind] == before.remaining[kind] + size
    others = {k for k in ("gb", "min", "sms") if k != kind}
    assert all(after.remaining[k] == before.remaining[k] for k in others)


def test_slow_internet_with_no_gigabytes_left_offers_gigabytes(world: World) -> None:
    reply = world.diagnosis("slow-ru")
    assert "гигабайты пакета на этот месяц закончились" in reply["text"]
    assert buttons(reply) == ["act:start:buy_package:gb-1"]  # 200 ₽ on the account: only the 150 ₽ package fits


# -- a service switched off: switched on in one tap -----------------------------------------------------------


@pytest.mark.parametrize(("user", "service", "said"), [
    ("svc-ru", "mobile-internet", "«Мобильный интернет»"), ("smsvc-ru", "sms-mms", "«SMS и MMS»"),
    ("svc-en", "mobile-internet", '"Mobile internet"')])
def test_switched_off_service_is_switched_on(world: World, user: str, service: str, said: str) -> None:
    reply = world.diagnosis(user)
    assert said in reply["text"]
    assert buttons(reply) == [f"act:start:connect_service:{service}"]
    assert world.outputs(user)[4]["action"] == "connect_service"
    assert service not in world.before[user].services and service in world.after[user].services
    assert world.after[user].balance == world.before[user].balance  # free


# -- a known problem on the line ----------------------------------------------------------------------------------


def test_incident_in_the_region_with_its_expected_end_in_local_time(world: World) -> None:
    text = world.diagnosis("inc-ru")["text"]
    assert "«Новосибирская область»" in text and "могут не проходить звонки" in text
    assert "авария на базовой станции" in text
    assert "02.03 16:00 по местному времени (МСК+4)" in text  # 12:00 Moscow
    assert world.diagnoses["inc-ru"][0]["checks"][-1]["check"] == "incident"


def test_incident_in_moscow_time_in_english(world: World) -> None:
    text = world.diagnosis("inc-en")["text"]
    assert "Saint Petersburg" in text and "mobile internet outages" in text and "02.03 18:30 Moscow time" in text
    assert not world.outputs("inc-en")[2]["handoff"]


# -- nothing found: the operator, with the checks ------------------------------------------------------------------


@pytest.mark.parametrize("user", ["other-ru", "none-en"])
def test_nothing_found_hands_off_with_the_checks_done(world: World, user: str) -> None:
    reply = world.diagnosis(user)
    assert reply["handoff"] is True and reply["action"] == "diagnose"
    text = reply["text"]
    if SCENARIOS[user].lang == "ru":
        assert "Передаю разговор оператору" in text and "SIM активна" in text and "аварий в регионе нет" in text
    else:
        assert "passing you to an operator" in text and "SIM active" in text and "no outages in your region" in text
    # an incident in another region (St Petersburg, Novosibirsk) is never reported to a Moscow subscriber
    assert "Петербург" not in text and "Petersburg" not in text and "Новосибирск" not in text
    [diagnosis] = world.diagnoses[user]
    assert [c["check"] for c in diagnosis["checks"]] == ["sim", "balance", "allowance", "service", "incident"]
    assert all(c["ok"] for c in diagnosis["checks"])


# -- where did my money go --------------------------------------------------------------------------------------


def test_money_shows_expenses_biggest_items_subscriptions_and_the_refund_route(world: World) -> None:
    reply = world.diagnosis("money-ru")
    text = reply["text"]
    assert "Расходы с 01.03.2026 по 02.03.2026" in text
    assert "- абонентская плата:" in text and "Больше всего ушло на: абонентская плата" in text
    assert "Подписки на контент: Гороскоп на каждый день — 30\u00a0₽" in text
    assert "Платные услуги: Замени гудок — 60\u00a0₽/мес" in text
    assert "сервисный центр" in text
    assert buttons(reply)[:2] == ["act:start:disconnect_service:content-1", "act:start:disconnect_service:ringback"]
    confirm, done = world.outputs("money-ru")[3:5]
    assert confirm["action"] == "disconnect_service" and "Гороскоп на каждый день" in confirm["text"]
    assert "Подписка «Гороскоп на каждый день» отключена" in done["text"]
    assert world.before["money-ru"].content == ["Гороскоп на каждый день"] and world.after["money-ru"].content == []
    assert world.after["money-ru"].balance == world.before["money-ru"].balance


def test_money_in_english_switches_off_a_paid_service(world: World) -> None:
    reply = world.diagnosis("money-en")
    assert "Expenses from 01.03.2026 to 02.03.2026" in reply["text"]
    assert 'Paid services: Voicemail — 45\u00a0₽/mo' in reply["text"] or "Paid services: Voicemail" in reply["text"]
    assert "act:start:disconnect_service:voicemail" in buttons(reply)
    assert "voicemail" in world.before["money-en"].services and "voicemail" not in world.after["money-en"].services


# -- fixes are counted; nothing else changed ---------------------------------------------------------------------


def test_fixes_taken_are_counted_on_their_diagnosis(world: World) -> None:
    for user, s in SCENARIOS.items():
        fixed = world.diagnoses[user][0]["fixed_by"]
        confirmed = s.fix is not None and not s.fix.startswith("act:start:top_up")
        assert fixed == (s.fix.split(":")[2] if confirmed and s.fix else None), (user, fixed)


def test_diagnosing_changes_nothing_by_itself(world: World) -> None:
    for user, s in SCENARIOS.items():
        if s.fix is None or s.fix.startswith("act:start:top_up"):
            assert world.after[user] == world.before[user], user
