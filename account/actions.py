"""The account actions, one class each (names as in the contract).

Each action says what it still needs (`next`: ask a slot, confirm, or done), how to read an
answer (`parse`), what to prefill from the first message ("подключи 5 гб" → kind and size),
and what to do once confirmed (`execute`, with the operation key).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from backends.billing import SERVICE_GROUPS, Autopay, BillingError, Service
from intents.entities import Period, find_bare_money, find_money, find_period, find_phones, find_sizes
from intents.normalize import fold
from intents.ports import Step, Turn
from intents.replies import Attachment, Button, Reply
from kernel.clock import MOSCOW
from kernel.phones import normalize_phone

from .choices import Option, find_named, pick
from .format import amount, day, money

if TYPE_CHECKING:
    from .flows import AccountActions, Ask, Confirm, Ctx, Done

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,24}")
KIND_WORDS = {
    "gb": ("гб", "гиг", "интернет", "инет", "трафик", "gb", "gig", "data", "internet", "мб", "mb"),
    "min": ("мин", "звон", "minute", "min", "call"),
    "sms": ("смс", "sms", "сообщ", "text", "message", "эсэмэс"),
}


def _flows() -> Any:
    from . import flows

    return flows


def today(ctx: Ctx) -> date:
    return ctx.now.astimezone(MOSCOW).date()


class Action:
    name = ""
    needs_login = True
    changes_account = False  # refused at once for a blocked SIM

    async def prefill(self, ctx: Ctx) -> None:
        return None

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        raise NotImplementedError

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        option = pick(text, options, ctx.turn.matcher.normalizer)
        return option.value if option else None

    async def chosen(self, ctx: Ctx, slot: str, value: str) -> Any:
        return value

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        raise NotImplementedError

    async def button(self, engine: AccountActions, turn: Turn, payload: str) -> Step | None:
        return None

    def intro(self, ctx: Ctx) -> str | None:
        """What the action will do, said before asking an unauthenticated user to log in."""
        return None

    async def performed(self, ctx: Ctx, action: str) -> None:
        """Told after any action's operation was confirmed and done in this conversation."""
        return None


def started_with(ctx: Ctx, action: str) -> str | None:
    """The argument of the button that started the action ("act:start:buy_package:gb-5" → "gb-5")."""
    prefix = f"act:start:{action}:"
    payload = ctx.turn.msg.button or ""
    return payload[len(prefix):] if payload.startswith(prefix) and len(payload) > len(prefix) else None


def cap(text: str) -> str:
    """A button title starts with a capital letter."""
    return text[:1].upper() + text[1:]


def text_of(ctx: Ctx) -> str:
    return ctx.turn.msg.text or ""


# -- reading ------------------------------------------------------------------------------------


class Balance(Action):
    name = "balance"

    async def next(self, ctx: Ctx) -> Done:
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        lines = [ctx.say("balance_is", balance=ctx.money(account.balance))]
        if account.promised:
            lines.append(ctx.say("balance_promised", amount=ctx.money(account.promised.amount),
                                 due=day(account.promised.due_at)))
        if account.subscriber.blocked:
            lines.append(ctx.say("sim_is_blocked"))
        buttons = [Button(cap(ctx.say("action_top_up")), "act:start:top_up"),
                   Button(cap(ctx.say("action_promised_payment")), "act:start:promised_payment"),
                   Button(cap(ctx.say("action_expenses")), "act:start:expenses")]
        return _flows().Done([Reply("\n".join(lines), buttons)])


class Remaining(Action):
    name = "remaining"

    async def next(self, ctx: Ctx) -> Done:
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        r = account.remaining
        text = ctx.say("remaining_is", tariff=account.tariff.name(ctx.lang),
                       minutes=amount(r.minutes, "min", ctx.lang), minutes_total=amount(r.minutes_total, "min", ctx.lang),
                       sms=amount(r.sms, "sms", ctx.lang), sms_total=amount(r.sms_total, "sms", ctx.lang),
                       gb=amount(r.gb, "gb", ctx.lang), gb_total=amount(r.gb_total, "gb", ctx.lang))
        return _flows().Done([Reply(text, [Button(cap(ctx.say("action_buy_package")), "act:start:buy_package")])])


class TariffInfo(Action):
    name = "tariff"

    async def next(self, ctx: Ctx) -> Done:
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        t = account.tariff
        text = ctx.say("tariff_is", tariff=t.name(ctx.lang), fee=ctx.money(t.monthly_fee),
                       minutes=amount(t.minutes, "min", ctx.lang), sms=amount(t.sms, "sms", ctx.lang),
                       gb=amount(t.gb, "gb", ctx.lang))
        description = t.description_en if ctx.lang == "en" else t.description_ru
        if description:
            text += "\n" + description
        return _flows().Done([Reply(text, [Button(cap(ctx.say("action_change_tariff")), "act:start:change_tariff"),
                                           Button(cap(ctx.say("action_remaining")), "act:start:remaining")])])


class Expenses(Action):
    name = "expenses"

    async def prefill(self, ctx: Ctx) -> None:
        period = find_period(text_of(ctx), today(ctx))
        if period:
            ctx.slots["period"] = [period.start.isoformat(), period.end.isoformat()]

    async def next(self, ctx: Ctx) -> Done:
        if "period" in ctx.slots:
            start, end = (date.fromisoformat(d) for d in ctx.slots["period"])
        else:
            end = today(ctx)
            start = end.replace(day=1)
        e = await ctx.billing.expenses(ctx.subscriber_id, start, end)
        lines = [ctx.say("expenses_head", start=day(start), end=day(end))]
        for category, spent in e.by_category.items():
            if spent:
                lines.append(f"- {ctx.say('category_' + category)}: {ctx.money(spent)}")
        if not e.total:
            lines.append(ctx.say("expenses_none"))
        lines.append(ctx.say("expenses_total", total=ctx.money(e.total), top_ups=ctx.money(e.top_ups)))
        return _flows().Done([Reply("\n".join(lines), [Button(cap(ctx.say("action_call_details")), "act:start:call_details")])])


def _services_text(ctx: Ctx, services: tuple[Service, ...] | list[Service]) -> str:
    paid = [s for s in services if s.monthly_fee]
    free = [s for s in services if not s.monthly_fee]
    lines = []
    if paid:
        lines.append(ctx.say("services_paid"))
        lines += [f"- {s.name(ctx.lang)} — {ctx.money(s.monthly_fee)}{ctx.say('per_month')}" for s in paid]
    if free:
        lines.append(ctx.say("services_free"))
        lines += [f"- {s.name(ctx.lang)}" for s in free]
    return "\n".join(lines) if lines else ctx.say("services_none")


class Services(Action):
    name = "services"

    async def next(self, ctx: Ctx) -> Done:
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        text = ctx.say("services_head") + "\n" + _services_text(ctx, account.services)
        buttons = [Button(ctx.say("services_all_button"), "act:svc:groups"),
                   Button(cap(ctx.say("action_connect_service")), "act:start:connect_service"),
                   Button(cap(ctx.say("action_disconnect_service")), "act:start:disconnect_service")]
        return _flows().Done([Reply(text, buttons)])

    async def button(self, engine: AccountActions, turn: Turn, payload: str) -> Step | None:
        if payload == "act:svc:groups":
            buttons = [Button(turn.say(f"group_{g}"), f"act:svc:group:{g}") for g in SERVICE_GROUPS]
            return Step([Reply(turn.say("services_groups"), buttons)], action="services", outcome="action")
        if payload.startswith("act:svc:group:"):
            group = payload.rsplit(":", 1)[1]
            if group not in SERVICE_GROUPS:
                return None
            catalogue = [s for s in await engine.billing.services() if s.group == group]
            connected: set[str] = set()
            if turn.conv.subscriber_id is not None:
                account = await engine.billing.account(turn.conv.subscriber_id, turn.now)
                connected = {s.id for s in account.services}
            lines = [turn.say("services_group_head", group=turn.say(f"group_{group}"))]
            buttons = []
            for s in catalogue:
                fee = money(s.monthly_fee, turn.lang) + turn.say("per_month") if s.monthly_fee else turn.say("free_word")
                mark = " ✓" if s.id in connected else ""
                lines.append(f"- {s.name(turn.lang)} — {fee}{mark}")
                if s.id not in connected and len(buttons) < 6:
                    buttons.append(Button(turn.say("connect_named", name=s.name(turn.lang)),
                                          f"act:start:connect_service:{s.id}"))
            return Step([Reply("\n".join(lines), buttons)], action="services", outcome="action")
        return None


# -- changing --------------------------------------------------------------------------------------


class ChangeTariff(Action):
    changes_account = True
    name = "change_tariff"

    async def _options(self, ctx: Ctx) -> list[Option]:
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        return [Option(t.id, f"{t.name(ctx.lang)} — {ctx.money(t.monthly_fee)}{ctx.say('per_month')}",
                       [t.name_ru, t.name_en, *_plus_names(t.name_ru), *_plus_names(t.name_en)])
                for t in await ctx.billing.tariffs() if t.id != account.tariff.id]

    async def prefill(self, ctx: Ctx) -> None:
        ctx.flow["named"] = text_of(ctx)

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        options = await self._options(ctx)
        named = ctx.flow.pop("named", "")
        if "tariff" not in ctx.slots and named:
            option = find_named(named, options, ctx.turn.matcher.normalizer)
            if option:
                ctx.slots["tariff"] = option.value
        if "tariff" not in ctx.slots:
            account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
            return flows.Ask("tariff", ctx.say("tariff_choose", current=account.tariff.name(ctx.lang)), options)
        tariffs = {t.id: t for t in await ctx.billing.tariffs()}
        new = tariffs[ctx.slots["tariff"]]
        balance = await ctx.billing.balance(ctx.subscriber_id)
        if balance < new.monthly_fee:
            return flows.Done([Reply(ctx.say("refused_insufficient_funds", need=ctx.money(new.monthly_fee),
                                             balance=ctx.money(balance)), _money_buttons(ctx))])
        return flows.Confirm(ctx.say("tariff_confirm", tariff=new.name(ctx.lang), fee=ctx.money(new.monthly_fee),
                                     minutes=amount(new.minutes, "min", ctx.lang), sms=amount(new.sms, "sms", ctx.lang),
                                     gb=amount(new.gb, "gb", ctx.lang), after=ctx.money(balance - new.monthly_fee)))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        result = await ctx.billing.change_tariff(ctx.subscriber_id, ctx.slots["tariff"], op, ctx.now)
        tariff = next(t for t in await ctx.billing.tariffs() if t.id == ctx.slots["tariff"])
        return [await ctx.engine.result_reply(ctx, result, "tariff_done", tariff=tariff.name(ctx.lang))]


class PromisedPayment(Action):
    changes_account = True
    name = "promised_payment"

    async def prefill(self, ctx: Ctx) -> None:
        chosen = started_with(ctx, self.name)
        if chosen and chosen.isdigit():
            ctx.flow["wanted"] = int(chosen)
            return
        sums = find_money(text_of(ctx))
        if sums:
            ctx.flow["wanted"] = sums[0]

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        offer = await ctx.billing.promised_offer(ctx.subscriber_id, ctx.now)
        if not offer.eligible:
            account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
            details = {"balance": ctx.money(account.balance)}
            if account.promised:
                details.update(amount=ctx.money(account.promised.amount), due=day(account.promised.due_at))
            return flows.Done([Reply(ctx.say(f"promised_not_{offer.reason}", **details), _money_buttons(ctx, promised=False))])
        options = [Option(str(o.amount), ctx.say("promised_option", amount=ctx.money(o.amount), fee=ctx.money(o.fee),
                                                  days=o.days), amount=o.amount) for o in offer.options]
        wanted = ctx.flow.pop("wanted", None)
        if "amount" not in ctx.slots and wanted is not None:
            if any(o.amount == wanted for o in offer.options):
                ctx.slots["amount"] = str(wanted)
        if "amount" not in ctx.slots:
            return flows.Ask("amount", ctx.say("promised_choose"), options)
        chosen = next(o for o in offer.options if str(o.amount) == ctx.slots["amount"])
        balance = await ctx.billing.balance(ctx.subscriber_id)
        due = day(ctx.now + timedelta(days=chosen.days))
        return flows.Confirm(ctx.say("promised_confirm", amount=ctx.money(chosen.amount), fee=ctx.money(chosen.fee),
                                     days=chosen.days, due=due, after=ctx.money(balance + chosen.amount - chosen.fee)))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        result = await ctx.billing.take_promised(ctx.subscriber_id, int(ctx.slots["amount"]), op, ctx.now)
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        due = day(account.promised.due_at) if account.promised else "—"
        return [await ctx.engine.result_reply(ctx, result, "promised_done", amount=ctx.money(int(ctx.slots["amount"])),
                                              due=due)]


class BuyPackage(Action):
    changes_account = True
    name = "buy_package"

    async def prefill(self, ctx: Ctx) -> None:
        chosen = started_with(ctx, self.name)
        offer = next((p for p in await ctx.billing.packages() if p.id == chosen), None) if chosen else None
        if offer is not None:  # a package offered on a button (a diagnosis): straight to the confirmation
            ctx.slots["kind"] = offer.kind
            ctx.slots["package"] = offer.id
            return
        text = text_of(ctx)
        sizes = find_sizes(text)
        if sizes:
            ctx.slots["kind"] = sizes[0].kind
            ctx.flow["wanted"] = [sizes[0].kind, sizes[0].amount]
        else:
            kind = _kind_of(text)
            if kind:
                ctx.slots["kind"] = kind

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot == "kind":
            option = pick(text, options, ctx.turn.matcher.normalizer)
            if option:
                return option.value
            sizes = find_sizes(text)
            if sizes:
                ctx.flow["wanted"] = [sizes[0].kind, sizes[0].amount]
                return sizes[0].kind
            return _kind_of(text)
        return await super().parse(ctx, slot, text, options)

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        if "kind" not in ctx.slots:
            kinds = [Option(k, ctx.say(f"package_kind_{k}"), list(KIND_WORDS[k])) for k in ("gb", "min", "sms")]
            return flows.Ask("kind", ctx.say("package_choose_kind"), kinds)
        offers = [p for p in await ctx.billing.packages() if p.kind == ctx.slots["kind"]]
        options = [Option(p.id, f"{amount(p.amount, p.kind, ctx.lang)} — {ctx.money(p.price)}",
                          [amount(p.amount, p.kind, "ru"), amount(p.amount, p.kind, "en")], size=(p.kind, p.amount))
                   for p in offers]
        wanted = ctx.flow.pop("wanted", None)
        if "package" not in ctx.slots and wanted:
            match = next((p for p in offers if p.kind == wanted[0] and abs(p.amount - wanted[1]) < 1e-6), None)
            if match:
                ctx.slots["package"] = match.id
            else:
                return flows.Ask("package", ctx.say("package_no_such_size", size=amount(wanted[1], wanted[0], ctx.lang)),
                                 options)
        if "package" not in ctx.slots:
            return flows.Ask("package", ctx.say("package_choose"), options)
        package = next(p for p in offers if p.id == ctx.slots["package"])
        balance = await ctx.billing.balance(ctx.subscriber_id)
        if balance < package.price:
            return flows.Done([Reply(ctx.say("refused_insufficient_funds", need=ctx.money(package.price),
                                             balance=ctx.money(balance)), _money_buttons(ctx))])
        return flows.Confirm(ctx.say("package_confirm", size=amount(package.amount, package.kind, ctx.lang),
                                     price=ctx.money(package.price), after=ctx.money(balance - package.price)))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        result = await ctx.billing.buy_package(ctx.subscriber_id, ctx.slots["package"], op, ctx.now)
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        kind = ctx.slots["kind"]
        left = {"gb": account.remaining.gb, "min": account.remaining.minutes, "sms": account.remaining.sms}[kind]
        return [await ctx.engine.result_reply(ctx, result, "package_done", left=amount(left, kind, ctx.lang))]


def _plus_names(name: str) -> list[str]:
    """"Мой онлайн+" is also said "мой онлайн плюс" / "my online plus"."""
    if name.endswith("+"):
        base = name[:-1].strip()
        return [f"{base} плюс", f"{base} plus"]
    return []


def _kind_of(text: str) -> str | None:
    low = fold(text)
    for kind, words in KIND_WORDS.items():
        if any(w in low for w in words):
            return kind
    return None


def _service_options(ctx: Ctx, services: list[Service]) -> list[Option]:
    return [Option(s.id, s.name(ctx.lang), [s.name_ru, s.name_en, *s.aliases]) for s in services]


class ConnectService(Action):
    changes_account = True
    name = "connect_service"

    async def prefill(self, ctx: Ctx) -> None:
        ctx.flow["named"] = text_of(ctx)
        payload = ctx.turn.msg.button or ""
        if payload.startswith("act:start:connect_service:"):
            ctx.slots["service"] = payload.rsplit(":", 1)[1]

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot == "group":
            option = pick(text, options, ctx.turn.matcher.normalizer)
            if option:
                return option.value
            # a service named directly instead of a group
            catalogue = await ctx.billing.services()
            named = find_named(text, _service_options(ctx, catalogue), ctx.turn.matcher.normalizer) or pick(
                text, _service_options(ctx, catalogue))
            if named:
                ctx.slots["service"] = named.value
                return "*"
            return None
        return await super().parse(ctx, slot, text, options)

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        catalogue = await ctx.billing.services()
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        connected = {s.id for s in account.services}
        named = ctx.flow.pop("named", "")
        if "service" not in ctx.slots and named:
            option = find_named(named, _service_options(ctx, catalogue), ctx.turn.matcher.normalizer)
            if option:
                ctx.slots["service"] = option.value
        if "service" not in ctx.slots:
            if "group" not in ctx.slots:
                groups = [Option(g, ctx.say(f"group_{g}")) for g in SERVICE_GROUPS]
                return flows.Ask("group", ctx.say("service_choose_group"), groups)
            available = [s for s in catalogue if s.group == ctx.slots["group"] and s.id not in connected]
            if not available:
                ctx.slots.pop("group")
                groups = [Option(g, ctx.say(f"group_{g}")) for g in SERVICE_GROUPS]
                return flows.Ask("group", ctx.say("service_group_all_connected"), groups)
            return flows.Ask("service", ctx.say("service_choose"), _service_options(ctx, available))
        service = next((s for s in catalogue if s.id == ctx.slots["service"]), None)
        if service is None:
            return flows.Done([Reply(ctx.say("refused_unknown_service"))])
        if service.id in connected:
            return flows.Done([Reply(ctx.say("refused_already_connected", name=service.name(ctx.lang)))])
        cost = service.connect_fee + service.monthly_fee
        balance = account.balance
        if balance < cost:
            return flows.Done([Reply(ctx.say("refused_insufficient_funds", need=ctx.money(cost), balance=ctx.money(balance)),
                                     _money_buttons(ctx))])
        description = service.description_en if ctx.lang == "en" else service.description_ru
        return flows.Confirm(ctx.say("service_confirm", name=service.name(ctx.lang), description=description,
                                     connect_fee=ctx.money(service.connect_fee), monthly=ctx.money(service.monthly_fee),
                                     after=ctx.money(balance - cost)))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        result = await ctx.billing.connect_service(ctx.subscriber_id, ctx.slots["service"], op, ctx.now)
        name = next(s.name(ctx.lang) for s in await ctx.billing.services() if s.id == ctx.slots["service"])
        return [await ctx.engine.result_reply(ctx, result, "service_connected", name=name)]


class DisconnectService(Action):
    changes_account = True
    name = "disconnect_service"

    async def prefill(self, ctx: Ctx) -> None:
        chosen = started_with(ctx, self.name)
        if chosen and chosen.startswith("content-") and chosen[8:].isdigit():
            ctx.slots["content"] = int(chosen[8:])  # a paid content subscription (shown by a diagnosis)
        elif chosen:
            ctx.slots["service"] = chosen
        ctx.flow["named"] = text_of(ctx)

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        if "content" in ctx.slots:
            content = next((c for c in await ctx.billing.content_subscriptions(ctx.subscriber_id)
                            if c.id == ctx.slots["content"]), None)
            if content is None:
                return flows.Done([Reply(ctx.say("refused_not_subscribed"))])
            return flows.Confirm(ctx.say("content_disconnect_confirm", name=content.name(ctx.lang),
                                         price=ctx.money(content.price), days=content.period_days))
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        connected = list(account.services)
        if "service" in ctx.slots and ctx.slots["service"] not in {s.id for s in connected}:
            catalogue = {s.id: s for s in await ctx.billing.services()}
            known = catalogue.get(ctx.slots["service"])
            if known is None:
                return flows.Done([Reply(ctx.say("refused_unknown_service"))])
            return flows.Done([Reply(ctx.say("refused_not_connected", name=known.name(ctx.lang)))])
        named = ctx.flow.pop("named", "")
        if "service" not in ctx.slots and named:
            catalogue = await ctx.billing.services()
            option = find_named(named, _service_options(ctx, catalogue), ctx.turn.matcher.normalizer)
            if option:
                if option.value not in {s.id for s in connected}:
                    return flows.Done([Reply(ctx.say("refused_not_connected", name=option.title))])
                ctx.slots["service"] = option.value
        if not connected:
            return flows.Done([Reply(ctx.say("services_none"))])
        if "service" not in ctx.slots:
            return flows.Ask("service", ctx.say("service_choose_disconnect") + "\n" + _services_text(ctx, connected),
                             _service_options(ctx, connected))
        service = next(s for s in connected if s.id == ctx.slots["service"])
        return flows.Confirm(ctx.say("service_disconnect_confirm", name=service.name(ctx.lang)))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        if "content" in ctx.slots:
            names = {c.id: c.name(ctx.lang) for c in await ctx.billing.content_subscriptions(ctx.subscriber_id)}
            result = await ctx.billing.cancel_content(ctx.subscriber_id, int(ctx.slots["content"]), op, ctx.now)
            name = names.get(int(ctx.slots["content"]), "")
            return [await ctx.engine.result_reply(ctx, result, "content_disconnected", name=name)]
        result = await ctx.billing.disconnect_service(ctx.subscriber_id, ctx.slots["service"], op, ctx.now)
        name = next(s.name(ctx.lang) for s in await ctx.billing.services() if s.id == ctx.slots["service"])
        return [await ctx.engine.result_reply(ctx, result, "service_disconnected", name=name)]


class CallDetails(Action):
    name = "call_details"

    async def prefill(self, ctx: Ctx) -> None:
        text = text_of(ctx)
        period = find_period(text, today(ctx))
        if period:
            ctx.slots["period"] = [period.start.isoformat(), period.end.isoformat()]
        email = EMAIL_RE.search(text)
        if email:
            ctx.slots["email"] = email.group(0)

    def _periods(self, ctx: Ctx) -> list[Option]:
        end = today(ctx)
        this_month = Period(end.replace(day=1), end)
        last_end = this_month.start - timedelta(days=1)
        last_month = Period(last_end.replace(day=1), last_end)
        week = Period(end - timedelta(days=6), end)
        return [Option(f"{p.start.isoformat()}/{p.end.isoformat()}", ctx.say(key))
                for key, p in (("period_this_month", this_month), ("period_last_month", last_month),
                               ("period_week", week))]

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot == "email":
            match = EMAIL_RE.fullmatch(text.strip())
            return match.group(0) if match else None
        if slot == "period":
            option = pick(text, options, ctx.turn.matcher.normalizer)
            if option:
                return option.value.split("/")
            period = find_period(text, today(ctx))
            return [period.start.isoformat(), period.end.isoformat()] if period else None
        return None

    async def chosen(self, ctx: Ctx, slot: str, value: str) -> Any:
        return value.split("/") if slot == "period" else value

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        if "period" not in ctx.slots:
            return flows.Ask("period", ctx.say("details_choose_period"), self._periods(ctx))
        start, end = (date.fromisoformat(d) for d in ctx.slots["period"])
        if end < start or (end - start).days > 186:
            ctx.slots.pop("period")
            return flows.Ask("period", ctx.say("details_bad_period"), self._periods(ctx))
        if "email" not in ctx.slots:
            prompt = ctx.say("details_ask_email")
            if ctx.flow.get("await") == "email":
                prompt = ctx.say("details_bad_email")
            return flows.Ask("email", prompt)
        return flows.Confirm(ctx.say("details_confirm", start=day(start), end=day(end), email=ctx.slots["email"]))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        start, end = (date.fromisoformat(d) for d in ctx.slots["period"])
        records = await ctx.billing.usage(ctx.subscriber_id, start, end)
        sub = await ctx.billing.subscriber(ctx.subscriber_id)
        assert sub is not None
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["date_time_msk", "type", "direction", "number", "quantity", "unit", "cost_rub"])
        for r in records:
            unit = {"call": "sec", "sms": "sms", "data": "MB"}[r.kind]
            writer.writerow([r.started_at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S"), r.kind, r.direction,
                             r.other_party, f"{r.quantity:g}", unit, f"{r.cost / 100:.2f}"])
        name = f"details_{sub.phone.lstrip('+')}_{start.isoformat()}_{end.isoformat()}.csv"
        subject = ctx.say("details_email_subject", phone=sub.phone, start=day(start), end=day(end))
        body = ctx.say("details_email_body", start=day(start), end=day(end), count=len(records))
        if ctx.turn.conv.state.get("last_details_op") != op:
            await ctx.engine.email.send(ctx.slots["email"], subject, body, ctx.now,
                                        [Attachment(name, "text/csv", out.getvalue().encode("utf-8-sig"))])
            ctx.turn.conv.state["last_details_op"] = op
        return [Reply(ctx.say("details_sent", email=ctx.slots["email"], count=len(records), start=day(start), end=day(end)))]


class Autopayment(Action):
    changes_account = True
    name = "autopay"

    async def prefill(self, ctx: Ctx) -> None:
        low = fold(text_of(ctx))
        if re.search(r"отключ|выключ|убери|останов|disable|turn off|switch off|stop|cancel", low):
            ctx.slots["mode"] = "off"
        elif re.search(r"порог|ниже|меньше|опуст|below|less than|under|threshold|drops", low):
            ctx.slots["mode"] = "threshold"
        elif re.search(r"числ|дат|ежемесяч|каждый месяц|по расписанию|schedule|monthly|every month|on the \d", low):
            ctx.slots["mode"] = "schedule"

    def _modes(self, ctx: Ctx) -> list[Option]:
        return [Option("threshold", ctx.say("autopay_mode_threshold"), ["порог", "баланс ниже", "threshold", "below"]),
                Option("schedule", ctx.say("autopay_mode_schedule"), ["дата", "число", "ежемесячно", "schedule", "monthly"]),
                Option("off", ctx.say("autopay_mode_off"), ["отключить", "выключить", "off", "disable"])]

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot in ("threshold", "amount"):
            sums = find_money(text) or find_bare_money(text, 1)
            return sums[0] if sums else None
        if slot == "day":
            numbers = [int(n) for n in re.findall(r"\d{1,2}", text)]
            return numbers[0] if numbers and 1 <= numbers[0] <= 28 else None
        return await super().parse(ctx, slot, text, options)

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        account = await ctx.billing.account(ctx.subscriber_id, ctx.now)
        current = account.autopay
        if "mode" not in ctx.slots:
            return flows.Ask("mode", _autopay_state(ctx, current) + "\n" + ctx.say("autopay_choose_mode"), self._modes(ctx))
        mode = ctx.slots["mode"]
        if mode == "off":
            if not current.enabled:
                return flows.Done([Reply(ctx.say("autopay_already_off"))])
            return flows.Confirm(ctx.say("autopay_confirm_off"))
        if mode == "threshold" and "threshold" not in ctx.slots:
            return flows.Ask("threshold", ctx.say("autopay_ask_threshold"),
                             [Option(str(v), ctx.money(v), amount=v) for v in (5000, 10000, 20000)])
        if mode == "threshold" and not 0 <= ctx.slots["threshold"] <= 500000:
            ctx.slots.pop("threshold")
            return flows.Ask("threshold", ctx.say("autopay_bad_threshold"),
                             [Option(str(v), ctx.money(v), amount=v) for v in (5000, 10000, 20000)])
        if mode == "schedule" and "day" not in ctx.slots:
            return flows.Ask("day", ctx.say("autopay_ask_day"), [Option(str(d), str(d)) for d in (1, 10, 15, 25)])
        if "amount" not in ctx.slots:
            return flows.Ask("amount", ctx.say("autopay_ask_amount"),
                             [Option(str(v), ctx.money(v), amount=v) for v in (20000, 30000, 50000)])
        if not 10000 <= ctx.slots["amount"] <= 1500000:
            ctx.slots.pop("amount")
            return flows.Ask("amount", ctx.say("autopay_bad_amount"),
                             [Option(str(v), ctx.money(v), amount=v) for v in (20000, 30000, 50000)])
        if mode == "threshold":
            text = ctx.say("autopay_confirm_threshold", threshold=ctx.money(ctx.slots["threshold"]),
                           amount=ctx.money(ctx.slots["amount"]))
        else:
            text = ctx.say("autopay_confirm_schedule", day=ctx.slots["day"], amount=ctx.money(ctx.slots["amount"]))
        return flows.Confirm(text)

    async def chosen(self, ctx: Ctx, slot: str, value: str) -> Any:
        return int(value) if slot in ("threshold", "amount", "day") else value

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        mode = ctx.slots["mode"]
        if mode == "off":
            setting = Autopay(enabled=False)
        elif mode == "threshold":
            setting = Autopay(True, "threshold", threshold=ctx.slots["threshold"], amount=ctx.slots["amount"])
        else:
            setting = Autopay(True, "schedule", day=int(ctx.slots["day"]), amount=ctx.slots["amount"])
        result = await ctx.billing.set_autopay(ctx.subscriber_id, setting, op, ctx.now)
        return [await ctx.engine.result_reply(ctx, result, "autopay_done", state=_autopay_state(ctx, setting))]


def _autopay_state(ctx: Ctx, autopay: Autopay) -> str:
    if not autopay.enabled:
        return ctx.say("autopay_state_off")
    if autopay.mode == "threshold":
        return ctx.say("autopay_state_threshold", threshold=ctx.money(autopay.threshold or 0), amount=ctx.money(autopay.amount))
    return ctx.say("autopay_state_schedule", day=autopay.day, amount=ctx.money(autopay.amount))


class TopUp(Action):
    name = "top_up"

    async def prefill(self, ctx: Ctx) -> None:
        chosen = started_with(ctx, self.name)
        if chosen and chosen.isdigit():  # an amount offered on a button (a diagnosis): straight to the link
            ctx.slots["amount"] = int(chosen)
            return
        text = text_of(ctx)
        phones = find_phones(text)
        if phones:
            ctx.slots["phone"] = phones[0]
        stripped = text
        for match in re.finditer(r"(?:\+7|8)?[\s(-]*9\d{2}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}", text):
            stripped = stripped.replace(match.group(0), " ")
        sums = find_money(stripped) or find_bare_money(stripped)
        if sums:
            ctx.slots["amount"] = sums[0]
        if not phones and re.search(r"друг|другому|другой номер|родител|мам|пап|сын|доч|жен|муж|friend|another|someone|"
                                    r"other number|mom|mum|dad|son|daughter|wife|husband", fold(text)):
            ctx.slots["other"] = True

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot == "amount":
            sums = find_money(text) or find_bare_money(text)
            return sums[0] if sums else None
        if slot == "phone":
            option = pick(text, options, ctx.turn.matcher.normalizer)
            if option:
                return option.value
            return normalize_phone(text) or next(iter(find_phones(text)), None)
        return None

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        sub = await ctx.billing.subscriber(ctx.subscriber_id)
        assert sub is not None
        if "phone" not in ctx.slots and ctx.slots.get("other"):
            return flows.Ask("phone", ctx.say("topup_ask_phone"), [Option(sub.phone, ctx.say("topup_own_number"))])
        phone = ctx.slots.get("phone") or sub.phone
        options = [Option(str(v), ctx.money(v), amount=v) for v in (10000, 30000, 50000, 100000)]
        if "amount" not in ctx.slots:
            return flows.Ask("amount", ctx.say("topup_ask_amount", phone=phone), options)
        if not 1000 <= ctx.slots["amount"] <= 1500000:
            ctx.slots.pop("amount")
            return flows.Ask("amount", ctx.say("topup_bad_amount"), options)
        op = ctx.flow.setdefault("op", uuid.uuid4().hex)
        try:
            payment = await ctx.billing.create_payment(ctx.subscriber_id, phone, int(ctx.slots["amount"]), op, ctx.now)
        except BillingError as exc:
            if exc.code == "unknown_phone":
                ctx.slots.pop("phone", None)
                ctx.slots["other"] = True
                return flows.Ask("phone", ctx.say("topup_unknown_phone"), [Option(sub.phone, ctx.say("topup_own_number"))])
            raise
        url = ctx.engine.policy.payment_url.format(token=payment.token)
        text = ctx.say("topup_link", amount=ctx.money(payment.amount), phone=payment.phone, url=url)
        return flows.Done([Reply(text, [Button(ctx.say("topup_pay_button"), f"url:{url}")], url=url)])

    async def chosen(self, ctx: Ctx, slot: str, value: str) -> Any:
        return int(value) if slot == "amount" else value


class BlockSim(Action):
    name = "block_sim"

    async def next(self, ctx: Ctx) -> Confirm | Done:
        flows = _flows()
        sub = await ctx.billing.subscriber(ctx.subscriber_id)
        assert sub is not None
        if sub.blocked:
            return flows.Done([Reply(ctx.say("refused_already_blocked"))])
        return flows.Confirm(ctx.say("block_confirm", phone=sub.phone), recheck=True)

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        result = await ctx.billing.block_sim(ctx.subscriber_id, op, ctx.now)
        sub = await ctx.billing.subscriber(ctx.subscriber_id)
        return [await ctx.engine.result_reply(ctx, result, "block_done", phone=sub.phone if sub else "")]


def _money_buttons(ctx: Ctx, promised: bool = True) -> list[Button]:
    buttons = [Button(cap(ctx.say("action_top_up")), "act:start:top_up")]
    if promised:
        buttons.append(Button(cap(ctx.say("action_promised_payment")), "act:start:promised_payment"))
    return buttons


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Balance(), Remaining(), TariffInfo(), ChangeTariff(), PromisedPayment(), BuyPackage(), Services(),
    ConnectService(), DisconnectService(), Expenses(), CallDetails(), Autopayment(), TopUp(), BlockSim(),
)}
