"""Self-service diagnosis: why the internet, calls or texts don't work, or where the money went.

The problem comes as the action's `problem` slot, preset by the knowledge entry that was
understood (`knowledge/entries/problems.yaml`: `slots: {problem: internet}`), by a button
(`act:start:diagnose:calls`), or asked for. After login the checks run at once, each from the
billing back end, in an order that finds the real cause first (`find_cause`):

1. the SIM is blocked → how to unblock it (never a package: nothing works on a blocked SIM);
2. the balance is zero or below, or below what the tariff needs for one more unit when the
   allowance is out → top up (a payment link) or a promised payment, with eligibility and fee;
3. the allowance for this problem (GB, minutes, SMS) is used up → the matching package, one tap
   and a confirmation (the `buy_package` action);
4. the service it needs is off (mobile internet, SMS) → switch it on (`connect_service`);
5. a known problem on the line in the subscriber's region → its expected end;
6. nothing found → the operator, with the checks done (stored for the console).

"Where did my money go" shows this month's expenses by category, the biggest named, the paid
services and content subscriptions with "switch off" buttons, and the refund route.

Each diagnosis is stored with its conversation (`storage/diagnoses.py`): the console shows it to
the agent, analytics counts causes and what was solved without an operator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from backends.billing import Account, Incident, PackageOffer
from intents.ports import HandoffPort
from intents.replies import Button, Reply
from kernel.clock import MOSCOW
from knowledge.model import PROBLEMS
from storage.diagnoses import DiagnosisStore

from .actions import Action, cap, today
from .choices import Option
from .format import amount, day

if TYPE_CHECKING:
    from .flows import Ask, Confirm, Ctx, Done

KIND = {"internet": "gb", "slow_internet": "gb", "calls": "min", "sms": "sms"}  # the allowance a problem needs
SERVICE = {"internet": "mobile-internet", "slow_internet": "mobile-internet", "sms": "sms-mms"}  # the service it needs
AFFECTS = {"internet": ("internet",), "slow_internet": ("internet",), "calls": ("calls",), "sms": ("sms",),
           "blocked": ("internet", "calls", "sms")}
FIXES = {"balance": ("promised_payment", "top_up"), "allowance": ("buy_package",), "service_off": ("connect_service",),
         "charges": ("disconnect_service",)}
UNITS = {"gb": "GB", "min": "min", "sms": "SMS"}
FIX_WINDOW = timedelta(days=1)  # a fix taken within a day of the diagnosis counts as its fix
TOP_UP_STEP = 10000  # suggested top-ups are whole hundreds of roubles
MAX_PACKAGES = 3


@dataclass(frozen=True)
class Check:
    """One check as it ran: its name, whether it passed, and what was seen (for the agent)."""

    name: str  # sim | balance | allowance | service | incident | expenses
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Facts:
    """What the checks read from the billing back end."""

    problem: str
    account: Account
    catalogue: frozenset[str]  # service ids the operator has
    incidents: tuple[Incident, ...] = ()  # known problems in the subscriber's region now


@dataclass
class Finding:
    cause: str  # blocked | balance | allowance | service_off | incident | charges | none
    checks: list[Check] = field(default_factory=list)
    kind: str | None = None  # gb | min | sms, for "allowance" and the unit price of "balance"
    service: str | None = None  # for "service_off"
    incident: Incident | None = None
    unit_price: int = 0  # kopecks: what one more unit costs when the allowance is out


def _left(account: Account, kind: str) -> tuple[float, float]:
    r = account.remaining
    return {"gb": (r.gb, r.gb_total), "min": (float(r.minutes), float(r.minutes_total)),
            "sms": (float(r.sms), float(r.sms_total))}[kind]


def _unit_price(account: Account, kind: str) -> int:
    t = account.tariff
    return {"gb": t.mb_price, "min": t.minute_price, "sms": t.sms_price}[kind]


def _rub(kopecks: int) -> str:
    return f"{kopecks / 100:.2f} ₽"


def find_cause(facts: Facts) -> Finding:
    """The checks in order; the first that fails is the cause. Pure: unit-tested on its own."""
    account, problem = facts.account, facts.problem
    finding = Finding("none")
    checks = finding.checks
    sub = account.subscriber
    if problem == "money":
        checks.append(Check("sim", not sub.blocked, "blocked" if sub.blocked else "active"))
        checks.append(Check("expenses", True, f"balance {_rub(account.balance)}"))
        finding.cause = "charges"
        return finding
    # 1. the SIM
    if sub.blocked:
        checks.append(Check("sim", False, "blocked"))
        finding.cause = "blocked"
        return finding
    checks.append(Check("sim", True, "active"))
    # 2. money: zero or below, or less than one more unit where the allowance is out (or there is none)
    kind = KIND.get(problem)
    need = 0
    if kind is not None:
        left, _ = _left(account, kind)
        if left <= 0:
            need = _unit_price(account, kind)
    if account.balance <= 0 or account.balance < need:
        checks.append(Check("balance", False, f"{_rub(account.balance)}, needs {_rub(max(need, 1))}"))
        finding.cause, finding.kind, finding.unit_price = "balance", kind, need
        return finding
    checks.append(Check("balance", True, _rub(account.balance)))
    # 3. the allowance this problem uses (a tariff without one pays per use: nothing to run out)
    if kind is not None:
        left, total = _left(account, kind)
        if total > 0 and left <= 0:
            checks.append(Check("allowance", False, f"0 of {total:g} {UNITS[kind]} left"))
            finding.cause, finding.kind = "allowance", kind
            return finding
        checks.append(Check("allowance", True, f"{left:g} of {total:g} {UNITS[kind]} left" if total else "pay per use"))
    # 4. the service it needs (only where the operator has one)
    service = SERVICE.get(problem)
    if service is not None and service in facts.catalogue:
        if service not in {s.id for s in account.services}:
            checks.append(Check("service", False, f"{service} off"))
            finding.cause, finding.service = "service_off", service
            return finding
        checks.append(Check("service", True, f"{service} on"))
    # 5. a known problem on the line in the subscriber's region
    region = sub.region_id
    if region is None:
        checks.append(Check("incident", True, "region unknown"))
    else:
        found = next((i for i in facts.incidents if i.region_id == region and i.affects in AFFECTS.get(problem, ())),
                     None)
        if found is not None:
            until = found.until.isoformat() if found.until else "open"
            checks.append(Check("incident", False, f"{region}: {found.affects} until {until}"))
            finding.cause, finding.incident = "incident", found
            return finding
        checks.append(Check("incident", True, f"none in {region}"))
    return finding


class Diagnose(Action):
    name = "diagnose"

    def __init__(self, store: DiagnosisStore, handoff: HandoffPort) -> None:
        self.store = store
        self.handoff = handoff

    # -- the dialogue ------------------------------------------------------------------------------

    async def prefill(self, ctx: Ctx) -> None:
        payload = ctx.turn.msg.button or ""
        if payload.startswith("act:start:diagnose:") and payload.rsplit(":", 1)[1] in PROBLEMS:
            ctx.slots["problem"] = payload.rsplit(":", 1)[1]

    def intro(self, ctx: Ctx) -> str | None:
        problem = ctx.slots.get("problem")
        return ctx.say(f"diag_intro_{problem}") if problem in PROBLEMS else None

    def _problems(self, ctx: Ctx) -> list[Option]:
        return [Option(p, ctx.say(f"problem_{p}"), [ctx.turn.kb.message(f"problem_{p}", lang) for lang in ("ru", "en")])
                for p in PROBLEMS]

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        from . import flows

        if ctx.slots.get("problem") not in PROBLEMS:
            ctx.slots.pop("problem", None)
            return flows.Ask("problem", ctx.say("diag_ask_problem"), self._problems(ctx))
        problem = ctx.slots["problem"]
        billing = ctx.billing
        account = await billing.account(ctx.subscriber_id, ctx.now)
        catalogue = frozenset(s.id for s in await billing.services())
        region = account.subscriber.region_id
        incidents = tuple(await billing.incidents(region, ctx.now)) if region and problem != "money" else ()
        finding = find_cause(Facts(problem, account, catalogue, incidents))
        replies = await self._explain(ctx, finding, account)
        handed_off = finding.cause == "none"
        # stored before the handoff: an agent who opens the queued conversation at once sees the checks
        diagnosis_id = await self.store.add(ctx.turn.conv.id, ctx.subscriber_id, problem, finding.cause,
                                            [c.to_json() for c in finding.checks], ctx.lang, handed_off, ctx.now)
        if handed_off:
            step = await self.handoff.request(ctx.turn, "diagnose")
            replies += step.replies
        if finding.cause in FIXES:
            ctx.turn.conv.state["diagnosis"] = {"id": diagnosis_id, "fixes": list(FIXES[finding.cause]),
                                                "at": ctx.now.isoformat()}
        return flows.Done(replies)

    async def performed(self, ctx: Ctx, action: str) -> None:
        """An operation was confirmed: if it is the fix this conversation's diagnosis offered, count it."""
        pending = ctx.turn.conv.state.get("diagnosis")
        if not pending or action not in pending.get("fixes", ()):
            return
        ctx.turn.conv.state.pop("diagnosis", None)
        if ctx.now - datetime.fromisoformat(pending["at"]) <= FIX_WINDOW:
            await self.store.mark_fixed(int(pending["id"]), action, ctx.now)

    # -- the answers -------------------------------------------------------------------------------

    async def _explain(self, ctx: Ctx, finding: Finding, account: Account) -> list[Reply]:
        problem = ctx.slots["problem"]
        cause = finding.cause
        if cause == "charges":
            return [await self._money(ctx, account)]
        if cause == "blocked":
            return [Reply(ctx.say("diag_blocked"), [Button(ctx.say("operator_button"), "operator")])]
        prefix = ctx.say("diag_not_blocked") + "\n" if problem == "blocked" else ""
        if cause == "balance":
            return [await self._balance(ctx, finding, account, prefix)]
        if cause == "allowance":
            return [await self._allowance(ctx, finding, account)]
        if cause == "service_off":
            service = next(s for s in await ctx.billing.services() if s.id == finding.service)
            return [Reply(ctx.say("diag_service_off", name=service.name(ctx.lang)),
                          [Button(ctx.say("diag_service_on_button", name=service.name(ctx.lang)),
                                  f"act:start:connect_service:{service.id}")])]
        checks = await self._checks_text(ctx, finding, account)
        if cause == "incident":
            assert finding.incident is not None
            return [Reply(prefix + self._incident(ctx, finding.incident, account, checks))]
        return [Reply(prefix + ctx.say("diag_nothing", checks=checks))]

    async def _balance(self, ctx: Ctx, finding: Finding, account: Account, prefix: str) -> Reply:
        if account.balance <= 0:
            lines = [ctx.say("diag_balance_negative", balance=ctx.money(account.balance))]
        else:
            assert finding.kind is not None
            lines = [ctx.say("diag_balance_low", balance=ctx.money(account.balance),
                             unit=ctx.say(f"diag_unit_{finding.kind}"), price=ctx.money(finding.unit_price))]
        debt = max(0, -account.balance)
        # enough for the debt and one more unit, in whole hundreds of roubles
        suggested = max(TOP_UP_STEP, math.ceil((debt + finding.unit_price + 1) / TOP_UP_STEP) * TOP_UP_STEP)
        buttons = [Button(ctx.say("diag_topup_button", amount=ctx.money(suggested)), f"act:start:top_up:{suggested}")]
        offer = await ctx.billing.promised_offer(ctx.subscriber_id, ctx.now)
        if offer.eligible:
            useful = [o for o in offer.options if account.balance + o.amount - o.fee > finding.unit_price]
            if useful:
                lines.append(ctx.say("diag_promised_offer"))
                buttons += [Button(ctx.say("diag_promised_button", amount=ctx.money(o.amount), fee=ctx.money(o.fee),
                                           days=o.days), f"act:start:promised_payment:{o.amount}") for o in useful]
            else:
                biggest = max(offer.options, key=lambda o: o.amount)
                lines.append(ctx.say("diag_promised_not_enough", amount=ctx.money(biggest.amount)))
        else:
            lines.append(ctx.say(f"diag_promised_not_{offer.reason or 'blocked'}"))
        return Reply(prefix + "\n".join(lines), buttons)

    async def _allowance(self, ctx: Ctx, finding: Finding, account: Account) -> Reply:
        kind = finding.kind
        assert kind is not None
        _, total = _left(account, kind)
        text = ctx.say(f"diag_allowance_{kind}", total=amount(total, kind, ctx.lang),
                       price=ctx.money(_unit_price(account, kind)))
        offers: list[PackageOffer] = sorted((p for p in await ctx.billing.packages() if p.kind == kind),
                                            key=lambda p: p.price)
        affordable = [p for p in offers if p.price <= account.balance][:MAX_PACKAGES]
        buttons = [Button(ctx.say("diag_package_button", size=amount(p.amount, p.kind, ctx.lang), price=ctx.money(p.price)),
                          f"act:start:buy_package:{p.id}") for p in affordable]
        if not affordable:
            text += "\n" + ctx.say("diag_package_unaffordable", balance=ctx.money(account.balance))
            buttons = [Button(cap(ctx.say("action_top_up")), "act:start:top_up")]
        return Reply(text, buttons)

    async def _checks_text(self, ctx: Ctx, finding: Finding, account: Account) -> str:
        parts = []
        for check in finding.checks:
            if check.name == "sim":
                parts.append(ctx.say("diag_ok_sim"))
            elif check.name == "balance":
                parts.append(ctx.say("diag_ok_balance", balance=ctx.money(account.balance)))
            elif check.name == "allowance":
                kind = KIND[ctx.slots["problem"]]
                left, total = _left(account, kind)
                parts.append(ctx.say("diag_ok_allowance", left=amount(left, kind, ctx.lang)) if total
                             else ctx.say("diag_ok_pay_per_use"))
            elif check.name == "service":
                service = next(s for s in account.services if s.id == SERVICE[ctx.slots["problem"]])
                parts.append(ctx.say("diag_ok_service", name=service.name(ctx.lang)))
            elif check.name == "incident" and check.ok:
                region = account.subscriber.region_id
                parts.append(ctx.say("diag_ok_incident") if region else ctx.say("diag_no_region"))
        return ", ".join(parts)

    def _incident(self, ctx: Ctx, incident: Incident, account: Account, checks: str) -> str:
        kb = ctx.turn.kb
        region = kb.regions_by_id.get(incident.region_id)
        zone = MOSCOW
        if region is not None:
            try:
                zone = ZoneInfo(region.tz)
            except (KeyError, ValueError):
                zone = MOSCOW
        reference = ctx.now
        offset = round(((reference.astimezone(zone).utcoffset() or timedelta())
                        - (reference.astimezone(MOSCOW).utcoffset() or timedelta())).total_seconds() / 3600)
        tz = ctx.say("diag_tz_moscow") if offset == 0 else ctx.say("diag_tz_local", offset=f"{offset:+d}")

        def local(moment: datetime) -> str:
            return moment.astimezone(zone).strftime("%d.%m %H:%M")

        until = f"{local(incident.until)} {tz}" if incident.until else ctx.say("diag_incident_open_end")
        note = f" ({incident.note})" if incident.note else ""
        checks_part = checks.replace(", " + ctx.say("diag_ok_incident"), "")
        return ctx.say("diag_incident", checks=checks_part,
                       region=region.name.get(ctx.lang) if region else incident.region_id,
                       affects=ctx.say(f"diag_affects_{incident.affects}"), note=note, since=local(incident.since),
                       until=until)

    async def _money(self, ctx: Ctx, account: Account) -> Reply:
        end = today(ctx)
        start = end.replace(day=1)
        spent = await ctx.billing.expenses(ctx.subscriber_id, start, end)
        lines = [ctx.say("diag_money_head", start=day(start), end=day(end), total=ctx.money(spent.total))]
        items = sorted(((c, v) for c, v in spent.by_category.items() if v), key=lambda cv: -cv[1])
        lines += [f"- {ctx.say('category_' + c)}: {ctx.money(v)}" for c, v in items]
        if items:
            lines.append(ctx.say("diag_money_biggest", items=", ".join(
                f"{ctx.say('category_' + c)} ({ctx.money(v)})" for c, v in items[:2])))
        else:
            lines.append(ctx.say("diag_money_nothing"))
        paid = [s for s in account.services if s.monthly_fee]
        content = await ctx.billing.content_subscriptions(ctx.subscriber_id)
        if paid:
            lines.append(ctx.say("diag_money_services", items=", ".join(
                f"{s.name(ctx.lang)} — {ctx.money(s.monthly_fee)}{ctx.say('per_month')}" for s in paid)))
        if content:
            lines.append(ctx.say("diag_money_subscriptions", items=", ".join(
                f"{c.name(ctx.lang)} — {ctx.money(c.price)}" for c in content)))
        if not paid and not content:
            lines.append(ctx.say("diag_money_no_paid"))
        if account.promised:
            lines.append(ctx.say("diag_money_promised", amount=ctx.money(account.promised.amount),
                                 due=day(account.promised.due_at)))
        buttons: list[Button] = []
        if account.subscriber.blocked:
            lines.append(ctx.say("diag_money_blocked"))
        else:
            buttons += [Button(ctx.say("diag_disconnect_button", name=c.name(ctx.lang)),
                               f"act:start:disconnect_service:content-{c.id}") for c in content]
            buttons += [Button(ctx.say("diag_disconnect_button", name=s.name(ctx.lang)),
                               f"act:start:disconnect_service:{s.id}") for s in paid]
            buttons = buttons[:5]
            if buttons:
                lines.append(ctx.say("diag_money_switch_off"))
        lines.append(ctx.say("diag_money_refund"))
        buttons.append(Button(ctx.say("diag_details_button"), "act:start:call_details"))
        return Reply("\n".join(lines), buttons)
