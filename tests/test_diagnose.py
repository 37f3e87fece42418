"""The diagnosis's check order (`account.diagnose.find_cause`), on accounts built in memory, and the
diagnoses' storage and statistics on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from account.diagnose import Facts, find_cause
from backends.billing import Account, Autopay, Incident, Remaining, Service, Subscriber, Tariff
from backends.sandbox import SERVICES, TARIFFS
from kernel.clock import stamp
from knowledge.model import PROBLEMS, Entry
from storage.diagnoses import DiagnosisStore
from supportbot.runtime import Runtime

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
CATALOGUE = frozenset(s.id for s in SERVICES)
SERVICE = {s.id: s for s in SERVICES}
TARIFF = {t.id: t for t in TARIFFS}


def account(*, tariff: str = "moy-online", balance: int = 50000, blocked: bool = False, region: str | None = "moscow",
            minutes: int | None = None, sms: int | None = None, gb: float | None = None,
            services: tuple[str, ...] = ("mobile-internet", "sms-mms")) -> Account:
    t: Tariff = TARIFF[tariff]
    remaining = Remaining(minutes=t.minutes if minutes is None else minutes, sms=t.sms if sms is None else sms,
                          gb=t.gb if gb is None else gb, minutes_total=t.minutes, sms_total=t.sms, gb_total=t.gb)
    sub = Subscriber(1, "+79990000001", "Test", tariff, NOW - timedelta(days=400), blocked, region)
    chosen: tuple[Service, ...] = tuple(SERVICE[s] for s in services)
    return Account(sub, balance, t, remaining, chosen, None, Autopay(False))


def incident(region: str = "moscow", affects: str = "internet") -> Incident:
    return Incident(1, region, affects, NOW - timedelta(hours=1), NOW + timedelta(hours=3), "")


def cause(problem: str, acc: Account, incidents: tuple[Incident, ...] = ()) -> tuple[str, list[str]]:
    finding = find_cause(Facts(problem, acc, CATALOGUE, incidents))
    return finding.cause, [f"{c.name}:{'ok' if c.ok else 'fail'}" for c in finding.checks]


# -- the order ----------------------------------------------------------------------------------------


@pytest.mark.storage_free
def test_everything_wrong_at_once_finds_the_block_first() -> None:
    everything = account(blocked=True, balance=-5000, gb=0, services=(), region="moscow")
    assert cause("internet", everything, (incident(),)) == ("blocked", ["sim:fail"])


@pytest.mark.storage_free
def test_then_the_money() -> None:
    broke = account(balance=-5000, gb=0, services=())
    assert cause("internet", broke, (incident(),)) == ("balance", ["sim:ok", "balance:fail"])
    assert cause("calls", account(balance=0), ()) == ("balance", ["sim:ok", "balance:fail"])


@pytest.mark.storage_free
def test_then_the_allowance_then_the_service_then_the_line() -> None:
    out_of_gb = account(gb=0, services=())
    assert cause("internet", out_of_gb, (incident(),)) == ("allowance", ["sim:ok", "balance:ok", "allowance:fail"])
    service_off = account(services=("sms-mms",))
    assert cause("internet", service_off, (incident(),)) == (
        "service_off", ["sim:ok", "balance:ok", "allowance:ok", "service:fail"])
    assert cause("internet", account(), (incident(),)) == (
        "incident", ["sim:ok", "balance:ok", "allowance:ok", "service:ok", "incident:fail"])
    assert cause("internet", account(), ()) == (
        "none", ["sim:ok", "balance:ok", "allowance:ok", "service:ok", "incident:ok"])


@pytest.mark.storage_free
@pytest.mark.parametrize(("problem", "field", "service"), [
    ("internet", "gb", "mobile-internet"), ("slow_internet", "gb", "mobile-internet"), ("calls", "minutes", None),
    ("sms", "sms", "sms-mms")])
def test_each_problem_checks_its_own_allowance_and_service(problem: str, field: str, service: str | None) -> None:
    used_up = account(**{field: 0})  # type: ignore[arg-type]
    assert cause(problem, used_up)[0] == "allowance"
    others = {"gb": 0, "minutes": 0, "sms": 0}
    others.pop(field)
    assert cause(problem, account(**others))[0] == "none"  # type: ignore[arg-type]
    if service is not None:
        assert cause(problem, account(services=tuple(s for s in ("mobile-internet", "sms-mms") if s != service)))[0] \
            == "service_off"


@pytest.mark.storage_free
def test_a_balance_below_one_unit_where_the_allowance_is_out() -> None:
    # pay per use (Classic has no minutes): 1.50 ₽ on the account, a minute costs 1.95 ₽
    assert cause("calls", account(tariff="classic", balance=150)) == ("balance", ["sim:ok", "balance:fail"])
    assert cause("calls", account(tariff="classic", balance=195))[0] == "none"
    # with minutes left, a small positive balance is no problem for calls
    assert cause("calls", account(balance=100))[0] == "none"
    finding = find_cause(Facts("calls", account(tariff="classic", balance=150), CATALOGUE))
    assert (finding.kind, finding.unit_price) == ("min", 195)


@pytest.mark.storage_free
def test_an_incident_elsewhere_or_on_something_else_is_not_the_cause() -> None:
    assert cause("internet", account(region="moscow"), (incident("saint-petersburg"),))[0] == "none"
    assert cause("internet", account(region="moscow"), (incident("moscow", "calls"),))[0] == "none"
    assert cause("calls", account(region="moscow"), (incident("moscow", "calls"),))[0] == "incident"
    assert cause("blocked", account(region="moscow"), (incident("moscow", "sms"),))[0] == "incident"
    assert cause("internet", account(region=None), (incident("moscow"),)) == (
        "none", ["sim:ok", "balance:ok", "allowance:ok", "service:ok", "incident:ok"])


@pytest.mark.storage_free
def test_a_service_the_operator_does_not_have_is_not_checked() -> None:
    without_sms_service = CATALOGUE - {"sms-mms"}
    finding = find_cause(Facts("sms", account(services=("mobile-internet",)), without_sms_service))
    assert finding.cause == "none" and "service" not in [c.name for c in finding.checks]


@pytest.mark.storage_free
def test_money_shows_the_expenses_whatever_the_account() -> None:
    assert cause("money", account(blocked=True, balance=-100))[0] == "charges"
    assert cause("money", account())[0] == "charges"


@pytest.mark.storage_free
def test_a_blocked_number_complaint_checks_the_block_then_the_money() -> None:
    assert cause("blocked", account(blocked=True)) == ("blocked", ["sim:fail"])
    assert cause("blocked", account(balance=-1)) == ("balance", ["sim:ok", "balance:fail"])
    assert cause("blocked", account()) == ("none", ["sim:ok", "balance:ok", "incident:ok"])


@pytest.mark.storage_free
def test_no_package_is_ever_the_answer_for_a_blocked_sim() -> None:
    for problem in PROBLEMS:
        if problem == "money":
            continue
        finding = find_cause(Facts(problem, account(blocked=True, gb=0, minutes=0, sms=0), CATALOGUE))
        assert finding.cause == "blocked" and finding.kind is None


# -- entries carry the problem -----------------------------------------------------------------------


@pytest.mark.storage_free
def test_problem_entries_preset_a_known_problem(kb: object) -> None:
    entries = [e for e in kb.entries if e.action == "diagnose"]  # type: ignore[attr-defined]
    assert sorted(e.slots["problem"] for e in entries) == sorted(PROBLEMS)


@pytest.mark.storage_free
@pytest.mark.parametrize(("action", "slots", "message"), [
    ("balance", {"problem": "internet"}, "slots are only for"),
    ("diagnose", {"kind": "internet"}, "has no slot"),
    ("diagnose", {"problem": "wifi"}, "is one of"),
])
def test_bad_slots_are_refused(action: str, slots: dict[str, str], message: str) -> None:
    data = {"id": "t", "group": "g", "title": {"ru": "т", "en": "t"}, "examples": {"ru": ["а"], "en": ["a"]},
            "answer": {"ru": "о", "en": "a"}, "action": action, "slots": slots}
    with pytest.raises(ValueError, match=message):
        Entry.model_validate(data)


# -- storage and statistics -------------------------------------------------------------------------


async def test_stats_count_causes_and_what_needed_no_operator(runtime: Runtime) -> None:
    db = runtime.db
    store = DiagnosisStore(db)
    checks = [{"check": "sim", "ok": True, "detail": "active"}]
    a = await store.add(1, 7, "internet", "allowance", checks, "ru", False, NOW)
    await store.add(2, 8, "calls", "none", checks, "en", True, NOW + timedelta(minutes=1))
    await store.add(3, 9, "internet", "allowance", checks, "ru", False, NOW + timedelta(minutes=2))
    await store.add(4, 10, "money", "charges", checks, "ru", False, NOW + timedelta(minutes=3))
    # conversation 3 asked for an operator an hour after its diagnosis; conversation 4 two days later
    await db.execute("INSERT INTO conversations (id, channel, user_key, created_at, updated_at) VALUES "
                     "(3, 't', 'c3', ?, ?), (4, 't', 'c4', ?, ?)", (stamp(NOW),) * 4)
    await db.execute("INSERT INTO handoffs (conversation_id, status, reason, enqueued_at) VALUES "
                     "(3, 'waiting', 'asked', ?), (4, 'waiting', 'asked', ?)",
                     (stamp(NOW + timedelta(hours=1)), stamp(NOW + timedelta(days=2))))
    assert await store.mark_fixed(a, "buy_package", NOW)
    assert not await store.mark_fixed(a, "buy_package", NOW)  # once
    stats = await store.stats(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert stats.total == 4
    assert stats.by_cause == {"allowance": 2, "charges": 1, "none": 1}
    assert list(stats.by_cause) == ["allowance", "charges", "none"]
    assert stats.by_problem == {"internet": 2, "calls": 1, "money": 1}
    assert (stats.solved_without_operator, stats.handed_off, stats.fixed_in_one_tap) == (2, 2, 1)
    latest = await store.latest(1)
    assert latest is not None and latest.fixed_by == "buy_package" and latest.checks == checks
    assert (await store.stats(NOW + timedelta(days=1), NOW + timedelta(days=2))).total == 0



async def test_analytics_report_diagnoses_by_cause(runtime: Runtime) -> None:
    from intents.clock import MOSCOW, utcnow
    from web.analytics import compute

    store = DiagnosisStore(runtime.db)
    now = utcnow()
    for conversation, cause, handed_off in ((1, "allowance", False), (2, "allowance", False), (3, "none", True)):
        await store.add(conversation, None, "internet", cause, [], "ru", handed_off, now)
    await store.add(4, None, "calls", "balance", [], "en", False, now - timedelta(days=40))  # outside the range
    today = now.astimezone(MOSCOW).date()
    data = await compute(runtime, today - timedelta(days=6), today)
    assert data["diagnoses"] == {"total": 3, "by_cause": {"allowance": 2, "none": 1}, "by_problem": {"internet": 3},
                                 "solved_without_operator": 2, "fixed_in_one_tap": 0, "handed_off": 1,
                                 "solved_share": 0.667}


# -- the sandbox commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["billing", "set", "--phone", "+79990000001", "--gb", "lots"], "--gb must be a number"),
    (["billing", "set", "--phone", "+79990000001", "--gb", "1.234"], "at most two decimals"),
    (["billing", "set", "--phone", "+79990000001", "--minutes", "-5"], "--minutes must be a whole number"),
    (["billing", "set", "--phone", "+79990000001", "--sms", "2.5"], "--sms must be a whole number"),
    (["billing", "set", "--phone", "+79990000001", "--balance", "1,234"], "not a sum"),
    (["billing", "set", "--phone", "+79990000001", "--region", "atlantis"], "no such region"),
    (["billing", "set", "--phone", "+79990000001", "--service-on", "teleport"], "no such service"),
    (["billing", "set", "--phone", "+79990000001", "--service-on", "voicemail", "--service-off", "voicemail"],
     "both switched on and off"),
    (["billing", "set", "--phone", "+79990000001"], "nothing to set"),
    (["billing", "set", "--phone", "+79000000099", "--gb", "1"], "no subscriber"),
    (["billing", "incident", "add", "--region", "atlantis", "--affects", "sms"], "no such region"),
    (["billing", "incident", "add", "--region", "moscow", "--affects", "sms", "--until", "yesterday"],
     "--until must be"),
    (["billing", "incident", "add", "--region", "moscow", "--affects", "sms", "--until", "2001-01-01T00:00"],
     "--until must be"),
    (["billing", "incident", "clear", "--id", "99"], "no incident with id 99"),
])
def test_sandbox_commands_refuse_bad_values_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         args: list[str], message: str) -> None:
    from supportbot.cli import main

    assert main([*args, "--db", str(tmp_path / "cli.db")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_incident_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from supportbot.cli import main

    db = ["--db", str(tmp_path / "cli.db"), "--now", "2026-03-02T09:30:00+03:00"]
    assert main(["billing", "incident", "add", "--region", "moscow", "--affects", "internet", "--until",
                 "2026-03-02T15:00", "--note", "работы", *db]) == 0
    assert main(["billing", "incident", "add", "--region", "tatarstan", "--affects", "calls", *db]) == 0
    first, second = (int(x) for x in capsys.readouterr().out.split())
    assert main(["billing", "incident", "list", *db]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert listed == [
        {"id": first, "region": "moscow", "affects": "internet", "since": "2026-03-02T06:30:00Z",
         "until": "2026-03-02T12:00:00Z", "note": "работы", "active": True},
        {"id": second, "region": "tatarstan", "affects": "calls", "since": "2026-03-02T06:30:00Z", "until": None,
         "note": "", "active": True}]
    assert main(["billing", "incident", "clear", "--id", str(first), *db]) == 0
    assert capsys.readouterr().out.strip() == "1"
    assert main(["billing", "incident", "clear", *db]) == 0
    assert capsys.readouterr().out.strip() == "1"
    assert main(["billing", "incident", "list", *db]) == 0
    assert capsys.readouterr().out == ""
