"""The feedback form as a dialogue, offered in every channel when no operator can take the
conversation: region, topic, phone, name, description, optional e-mail → a ticket number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from handoff.tickets import EMAIL_RE, TOPICS, TicketDraft, TicketStore, validate
from intents.entities import find_phones
from intents.normalize import fold
from intents.replies import Reply
from kernel.phones import normalize_phone

from .actions import Action
from .choices import Option, pick

if TYPE_CHECKING:
    from .flows import Ask, Confirm, Ctx, Done


def _flows() -> Any:
    from . import flows

    return flows


class Feedback(Action):
    name = "feedback"
    needs_login = False

    def __init__(self, tickets: TicketStore) -> None:
        self.tickets = tickets

    async def prefill(self, ctx: Ctx) -> None:
        region = ctx.turn.conv.state.get("region")
        if region:
            ctx.slots["region"] = region
        if ctx.turn.conv.subscriber_id is not None:
            sub = await ctx.billing.subscriber(ctx.turn.conv.subscriber_id)
            if sub is not None:
                ctx.slots["phone"] = sub.phone
                ctx.slots["name"] = sub.name.split()[0]
        if ctx.slots.get("topic") == "complaint":  # "оператор мне нахамила": the complaint is the description
            text = ctx.turn.text.strip()
            analysis = ctx.turn.analysis
            if len(text) >= 20 and (analysis is None or analysis.mode != "howto") and not text.endswith("?"):
                ctx.slots.setdefault("description", text[:3000])
        ctx.flow["intro"] = True

    def _region_of(self, ctx: Ctx, text: str) -> str | None:
        analysis = ctx.turn.matcher.analyse(text, ctx.lang)
        if analysis.entities.region:
            return analysis.entities.region
        names = {r.id: r.name.get(ctx.lang) for r in ctx.turn.kb.regions}
        found = process.extractOne(fold(text), {k: fold(v) for k, v in names.items()}, scorer=fuzz.WRatio,
                                   score_cutoff=88)
        return found[2] if found else None

    async def parse(self, ctx: Ctx, slot: str, text: str, options: list[Option]) -> Any:
        if slot == "region":
            option = pick(text, options)
            return option.value if option else self._region_of(ctx, text)
        if slot == "topic":
            option = pick(text, options, ctx.turn.matcher.normalizer)
            return option.value if option else None
        if slot == "phone":
            return normalize_phone(text) or next(iter(find_phones(text)), None)
        if slot == "name":
            name = text.strip()
            return name if 0 < len(name) <= 100 else None
        if slot == "description":
            description = text.strip()
            return description if 10 <= len(description) <= 3000 else None
        if slot == "email":
            option = pick(text, options)
            if option:
                return option.value
            return text.strip() if EMAIL_RE.match(text.strip()) else None
        return None

    async def next(self, ctx: Ctx) -> Ask | Confirm | Done:
        flows = _flows()
        kb, lang = ctx.turn.kb, ctx.lang
        intro = ""
        if ctx.flow.pop("intro", False):
            intro = ctx.say("feedback_intro", not_handled=ctx.say("form_not_handled")) + "\n\n"
        if "region" not in ctx.slots:
            options = []
            if "moscow" in kb.regions_by_id:
                options.append(Option("moscow", kb.regions_by_id["moscow"].name.get(lang)))
            return flows.Ask("region", intro + ctx.say("feedback_ask_region"), options)
        if "topic" not in ctx.slots:
            return flows.Ask("topic", intro + ctx.say("feedback_ask_topic"),
                             [Option(t, ctx.say(f"topic_{t}")) for t in TOPICS])
        if "phone" not in ctx.slots:
            return flows.Ask("phone", intro + ctx.say("feedback_ask_phone"))
        if "name" not in ctx.slots:
            return flows.Ask("name", intro + ctx.say("feedback_ask_name"))
        if "description" not in ctx.slots:
            return flows.Ask("description", intro + ctx.say("feedback_ask_description"))
        if "email" not in ctx.slots:
            return flows.Ask("email", ctx.say("feedback_ask_email"), [Option("-", ctx.say("feedback_skip_button"))])
        region = kb.regions_by_id.get(ctx.slots["region"])
        return flows.Confirm(ctx.say(
            "feedback_confirm", region=region.name.get(lang) if region else ctx.slots["region"],
            topic=ctx.say(f"topic_{ctx.slots['topic']}"), phone=ctx.slots["phone"], name=ctx.slots["name"],
            description=ctx.slots["description"][:300]))

    async def execute(self, ctx: Ctx, op: str) -> list[Reply]:
        kb = ctx.turn.kb
        existing = ctx.turn.conv.state.get("feedback_tickets", {})
        if op in existing:  # the same confirmation again: the same ticket, no duplicate
            ticket = await self.tickets.get(existing[op])
            assert ticket is not None
            return [Reply(ctx.say("form_done", number=ticket.number, phone=ticket.phone))]
        email = "" if ctx.slots.get("email") == "-" else ctx.slots.get("email", "")
        draft = TicketDraft(phone=ctx.slots["phone"], name=ctx.slots["name"], region=ctx.slots["region"],
                            topic=ctx.slots["topic"], description=ctx.slots["description"], email=email, lang=ctx.lang,
                            channel=ctx.turn.conv.channel, conversation_id=ctx.turn.conv.id)
        errors = validate(draft, kb, ctx.lang)
        if errors:
            return [Reply("\n".join(errors.values()))]
        ticket = await self.tickets.create(draft, ctx.now)
        existing[op] = ticket.id
        ctx.turn.conv.state["feedback_tickets"] = dict(list(existing.items())[-5:])
        await send_confirmation(ctx.engine.email, kb, ticket.number, draft, ctx.now)
        return [Reply(ctx.say("form_done", number=ticket.number, phone=ticket.phone))]


async def send_confirmation(email: Any, kb: Any, number: str, draft: TicketDraft, now: Any) -> None:
    """The e-mail confirmation of a new ticket, where an address was given."""
    if not draft.email:
        return
    subject = kb.message("ticket_created_subject", draft.lang, number=number)
    body = kb.message("ticket_created_body", draft.lang, name=draft.name, number=number,
                      topic=kb.message(f"topic_{draft.topic}", draft.lang), phone=draft.phone)
    await email.send(draft.email, subject, body, now)
