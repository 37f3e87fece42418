"""Account actions as dialogues: log in if needed, fill the slots across turns (buttons or free
text), confirm anything that costs money or changes the account, perform it once.

The state of an action in progress lives in the conversation (`state["flow"]`), so it
survives restarts and resumes on any channel:

    {"action": "buy_package", "slots": {"kind": "gb", "package": "gb-5"},
     "await": "confirm", "op": "<operation key>", "options": [...]}

`await` is what the bot asked for last: a slot name, "confirm", or a login step
("login_phone", "login_code", "recheck_code"). The operation key is made once per
confirmation, sent inside the confirm button's payload and passed to the billing back end,
which performs an operation once per key: a double tap or a channel's retry never charges
twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backends.billing import BillingBackend, BillingError, OperationResult
from backends.messaging import EmailSender
from intents.commands import yes_no
from intents.entities import find_phones
from intents.payloads import PayloadRouter
from intents.ports import Step, Turn
from intents.replies import Button, Reply
from kernel.clock import stamp, unstamp
from kernel.phones import normalize_phone

from .auth import LoginService, mask_phone
from .choices import Option
from .format import money

LOGIN_STEPS = ("login_phone", "login_code")
CODE_RE = re.compile(r"^\s*(\d[\d\s-]{3,10}\d)\s*$")
CODE_IN_TEXT_RE = re.compile(r"(?<!\d)(\d{3}[\s-]?\d{3})(?!\d)")  # "мой код 123456", "123 456"
# six digits standing alone (not a part of a phone number or a longer figure): masked while a code is out
CODE_TO_MASK_RE = re.compile(r"(?<![\d+])(?<!\d[\s-])\d{3}[\s-]?\d{3}(?![\s-]?\d)")
CODE_RECENT = timedelta(hours=1)
RECENT_OP = timedelta(minutes=5)


@dataclass(frozen=True)
class ActionsPolicy:
    payment_url: str = "http://127.0.0.1:8080/pay/{token}"
    trust_shared_contact: bool = True  # Telegram's "share my contact" (own contact) logs in without a code
    session_ttl: timedelta = timedelta(days=30)


@dataclass
class Ask:
    """Ask the subscriber for a slot."""

    slot: str
    text: str
    options: list[Option] = field(default_factory=list)
    extra_buttons: list[Button] = field(default_factory=list)


@dataclass
class Confirm:
    text: str
    recheck: bool = False  # ask for a fresh SMS code after "yes" (blocking the SIM)


@dataclass
class Done:
    replies: list[Reply]


class Ctx:
    """What an action sees during one turn."""

    def __init__(self, engine: AccountActions, turn: Turn, flow: dict[str, Any]) -> None:
        self.engine = engine
        self.turn = turn
        self.flow = flow
        self.billing = engine.billing

    @property
    def lang(self) -> str:
        return self.turn.lang

    @property
    def now(self) -> datetime:
        return self.turn.now

    @property
    def slots(self) -> dict[str, Any]:
        return self.flow.setdefault("slots", {})

    @property
    def subscriber_id(self) -> int:
        sub = self.turn.conv.subscriber_id
        assert sub is not None
        return sub

    def say(self, key: str, **values: object) -> str:
        return self.turn.say(key, **values)

    def money(self, kopecks: int) -> str:
        return money(kopecks, self.lang)


class AccountActions:
    """Implements the core's `ActionPort`."""

    def __init__(self, billing: BillingBackend, login: LoginService, email: EmailSender,
                 policy: ActionsPolicy | None = None, actions: Sequence[Any] = ()) -> None:
        self.billing = billing
        self.login = login
        self.email = email
        self.policy = policy or ActionsPolicy()
        self.actions = {action.name: action for action in actions}  # the runtime gives them (account.actions.ACTIONS, …)

    # -- the port ------------------------------------------------------------------------------

    def active(self, conv: Any) -> str | None:
        flow = conv.state.get("flow")
        return flow.get("action") if flow else None

    async def start(self, turn: Turn, action: str, slots: dict[str, str] | None = None) -> Step:
        if action not in self.actions:
            return Step([Reply(turn.say("action_unavailable"))], action=None)
        flow: dict[str, Any] = {"action": action, "slots": dict(slots or {}), "await": None}
        turn.conv.state["flow"] = flow
        ctx = Ctx(self, turn, flow)
        await self.actions[action].prefill(ctx)
        return await self._advance(ctx)

    async def resume(self, turn: Turn) -> Step | None:
        conv, msg = turn.conv, turn.msg
        flow = conv.state.get("flow")
        if msg.contact is not None:
            return await self._contact(turn, flow)
        if flow is None:
            return self._after_done(turn)
        ctx = Ctx(self, turn, flow)
        awaiting = flow.get("await")
        text = msg.text.strip()
        if awaiting == "login_phone":
            return await self._login_phone(ctx, text)
        if awaiting in ("login_code", "recheck_code"):
            return await self._login_code(ctx, text, recheck=awaiting == "recheck_code")
        if awaiting == "confirm":
            answer = yes_no(text)
            if answer is True:
                return await self._confirmed(ctx, flow.get("op", ""))
            if answer is False:
                return await self.cancel(turn)
            if self._other_intent(turn):
                return None
            return self._step(ctx, [Reply(ctx.say("confirm_yes_no"), self._confirm_buttons(ctx))])
        if awaiting:
            action = self.actions[flow["action"]]
            options = [Option.from_json(o) for o in flow.get("options", [])]
            value = await action.parse(ctx, awaiting, text, options)
            if value is None:
                if self._other_intent(turn):
                    return None
                ask = await action.next(ctx)
                prefix = ctx.say("not_understood_slot")
                return self._render(ctx, ask, prefix)
            ctx.slots[awaiting] = value
            return await self._advance(ctx)
        return await self._advance(ctx)

    async def redact(self, turn: Turn, text: str) -> str:
        if not CODE_TO_MASK_RE.search(text):
            return text
        if not await self.login.code_out(_user_key(turn), turn.now, CODE_RECENT):
            return text
        return CODE_TO_MASK_RE.sub("••••••", text)

    def register_buttons(self, router: PayloadRouter) -> None:
        """The account's buttons: actions (`act:`), login (`auth:`) and payment links (`url:`, opened by the client)."""
        router.register("act:", self.button)
        router.register("auth:", self.button)
        router.register("url:", None)

    async def button(self, turn: Turn, payload: str) -> Step | None:
        flow = turn.conv.state.get("flow")
        if payload == "auth:logout":
            return await self._logout(turn)
        if payload == "auth:resend":
            if flow and flow.get("phone"):
                ctx = Ctx(self, turn, flow)
                return await self._send_code(ctx, flow["phone"], recheck=flow.get("await") == "recheck_code")
            return None
        if payload.startswith("act:start:"):
            parts = payload.split(":")
            step = await self.start(turn, parts[2])
            return step
        if payload == "act:cancel":
            return await self.cancel(turn)
        if payload.startswith("act:yes:"):
            op = payload[len("act:yes:"):]
            if flow and flow.get("await") == "confirm" and flow.get("op") == op:
                return await self._confirmed(Ctx(self, turn, flow), op)
            return await self._already(turn, op)
        if payload.startswith("act:opt:"):
            if not flow or not flow.get("await"):
                return None
            value = payload[len("act:opt:"):]
            options = [Option.from_json(o) for o in flow.get("options", [])]
            if not any(o.value == value for o in options):
                return None
            ctx = Ctx(self, turn, flow)
            ctx.slots[flow["await"]] = await self.actions[flow["action"]].chosen(ctx, flow["await"], value)
            return await self._advance(ctx)
        if payload.startswith("act:"):
            # an action's own buttons ("act:svc:group:internet")
            for action in self.actions.values():
                step = await action.button(self, turn, payload)
                if step is not None:
                    return step
        return None

    async def cancel(self, turn: Turn) -> Step:
        flow = turn.conv.state.pop("flow", None)
        action = flow.get("action") if flow else None
        return Step([Reply(turn.say("action_cancelled"))], action=action, outcome="action")

    def reminder(self, turn: Turn) -> Reply | None:
        """A nudge back to the action in progress after answering something else."""
        flow = turn.conv.state.get("flow")
        if not flow:
            return None
        title = turn.say(f"action_{flow['action']}")
        return Reply(turn.say("flow_reminder", action=title), [Button(turn.say("cancel_button"), "act:cancel")])

    # -- moving an action on ------------------------------------------------------------------------

    def _logged_in(self, turn: Turn) -> bool:
        conv = turn.conv
        auth_at = conv.state.get("auth_at")
        if conv.subscriber_id is None or not auth_at:
            return False
        if turn.now - unstamp(auth_at) > self.policy.session_ttl:
            conv.subscriber_id = None
            conv.state.pop("auth_at", None)
            return False
        return True

    async def _advance(self, ctx: Ctx) -> Step:
        action = self.actions[ctx.flow["action"]]
        if action.needs_login and not self._logged_in(ctx.turn):
            ctx.flow["await"] = "login_phone"
            ctx.flow.pop("options", None)
            return self._step(ctx, [self._ask_phone(ctx)])
        if action.changes_account and not await self._active(ctx):
            ctx.turn.conv.state.pop("flow", None)
            return self._step(ctx, [Reply(ctx.say("refused_blocked"))])
        try:
            result = await action.next(ctx)
        except BillingError as exc:
            ctx.turn.conv.state.pop("flow", None)
            return self._step(ctx, [Reply(self.refusal(ctx, exc))])
        return self._render(ctx, result)

    def _render(self, ctx: Ctx, result: Ask | Confirm | Done, prefix: str = "") -> Step:
        flow = ctx.flow
        if isinstance(result, Done):
            ctx.turn.conv.state.pop("flow", None)
            return self._step(ctx, result.replies)
        if isinstance(result, Confirm):
            flow["await"] = "confirm"
            flow["recheck"] = result.recheck
            flow.setdefault("op", uuid.uuid4().hex)
            flow.pop("options", None)
            text = f"{prefix}\n{result.text}".strip()
            return self._step(ctx, [Reply(text, self._confirm_buttons(ctx))])
        flow["await"] = result.slot
        flow["options"] = [o.to_json() for o in result.options]
        buttons = [Button(o.title, f"act:opt:{o.value}") for o in result.options[:10]]
        buttons += result.extra_buttons
        buttons.append(Button(ctx.say("cancel_button"), "act:cancel"))
        text = f"{prefix}\n{result.text}".strip()
        return self._step(ctx, [Reply(text, buttons)])

    def _step(self, ctx: Ctx, replies: list[Reply], redact: bool = False) -> Step:
        step = Step(replies, action=ctx.flow.get("action"), outcome="action")
        step.redact_input = redact
        return step

    def _confirm_buttons(self, ctx: Ctx) -> list[Button]:
        return [Button(ctx.say("confirm_button"), f"act:yes:{ctx.flow['op']}"),
                Button(ctx.say("cancel_button"), "act:cancel")]

    async def _confirmed(self, ctx: Ctx, op: str) -> Step:
        flow = ctx.flow
        action = self.actions[flow["action"]]
        if action.needs_login and not self._logged_in(ctx.turn):  # the session ran out while we waited
            flow["await"] = "login_phone"
            flow.pop("op", None)
            return self._step(ctx, [self._ask_phone(ctx)])
        if flow.get("recheck") and not flow.get("rechecked"):
            return await self._send_code(ctx, await self._own_phone(ctx), recheck=True)
        try:
            replies = await action.execute(ctx, op)
        except BillingError as exc:
            ctx.turn.conv.state.pop("flow", None)
            return self._step(ctx, [Reply(self.refusal(ctx, exc))])
        ctx.turn.conv.state.pop("flow", None)
        ctx.turn.conv.state["last_op"] = {"op": op, "action": flow["action"], "at": stamp(ctx.now)}
        for other in self.actions.values():  # e.g. the diagnosis that offered this fix counts it
            await other.performed(ctx, flow["action"])
        return self._step(ctx, replies)

    async def _already(self, turn: Turn, op: str) -> Step:
        """A confirmation that arrives again after the operation was done."""
        result = await self.billing.operation(op)
        last = turn.conv.state.get("last_op") or {}
        action = last.get("action") if last.get("op") == op else None
        if result is None and action is None:
            return Step([Reply(turn.say("stale_button"))], outcome="action")
        balance = money(result.balance, turn.lang) if result else "—"
        return Step([Reply(turn.say("already_done", balance=balance))], action=action or (result.kind if result else None),
                    outcome="action")

    def _after_done(self, turn: Turn) -> Step | None:
        """A "yes" right after an action finished: the retry of a confirmation."""
        last = turn.conv.state.get("last_op")
        if not last or yes_no(turn.msg.text) is not True:
            return None
        if turn.now - unstamp(last["at"]) > RECENT_OP:
            return None
        return Step([Reply(turn.say("already_done_plain"))], action=last["action"], outcome="action")

    def _other_intent(self, turn: Turn) -> bool:
        """True when a message that is not an answer to the question clearly means something else."""
        entry_id = turn.read().entry_id
        if entry_id is None:
            return False
        entry = turn.kb.entry(entry_id)
        return entry is not None and not entry.out_of_scope

    def refusal(self, ctx: Ctx, exc: BillingError) -> str:
        details = {k: (money(v, ctx.lang) if k in ("need", "balance") and isinstance(v, int) else v)
                   for k, v in exc.details.items()}
        key = f"refused_{exc.code}"
        try:
            return ctx.say(key, **details)
        except KeyError:
            return ctx.say("refused_other", code=exc.code)

    # -- login ---------------------------------------------------------------------------------------

    def _ask_phone(self, ctx: Ctx) -> Reply:
        title = ctx.say(f"action_{ctx.flow['action']}")
        text = ctx.say("login_ask_phone", action=title)
        intro = self.actions[ctx.flow["action"]].intro(ctx)  # what the action will do once logged in
        if intro:
            text = f"{intro}\n{text}"
        return Reply(text, [Button(ctx.say("cancel_button"), "act:cancel")], request_contact=True)

    async def _login_phone(self, ctx: Ctx, text: str) -> Step | None:
        phone = normalize_phone(text) or next(iter(find_phones(text)), None)
        if phone is None:
            if self._other_intent(ctx.turn):
                return None
            return self._step(ctx, [Reply(ctx.say("login_bad_phone"), [Button(ctx.say("cancel_button"), "act:cancel")],
                                          request_contact=True)])
        return await self._send_code(ctx, phone, recheck=False)

    async def _send_code(self, ctx: Ctx, phone: str, recheck: bool) -> Step:
        user_key = _user_key(ctx.turn)
        result = await self.login.send_code(user_key, phone, ctx.now, "recheck" if recheck else "login", ctx.lang,
                                            address=ctx.turn.msg.address)
        ctx.flow["phone"] = phone
        buttons = [Button(ctx.say("resend_button"), "auth:resend"), Button(ctx.say("cancel_button"), "act:cancel")]
        if result.status == "rate_limited":
            minutes = max(1, (result.retry_after + 59) // 60)
            if ctx.flow.get("await") not in ("login_code", "recheck_code"):
                ctx.flow["await"] = "recheck_code" if recheck else "login_phone"
            return self._step(ctx, [Reply(ctx.say("login_rate_limited", minutes=minutes),
                                          [Button(ctx.say("cancel_button"), "act:cancel")])])
        ctx.flow["await"] = "recheck_code" if recheck else "login_code"
        key = "recheck_code_sent" if recheck else "login_code_sent"
        return self._step(ctx, [Reply(ctx.say(key, phone=mask_phone(phone)), buttons)])

    async def _login_code(self, ctx: Ctx, text: str, recheck: bool) -> Step | None:
        match = CODE_RE.match(text) or CODE_IN_TEXT_RE.search(text)
        if not match:
            if self._other_intent(ctx.turn):
                return None
            return self._step(ctx, [Reply(ctx.say("login_enter_code"), [Button(ctx.say("resend_button"), "auth:resend"),
                                                                        Button(ctx.say("cancel_button"), "act:cancel")])])
        code = re.sub(r"\D", "", match.group(1))
        result = await self.login.verify(_user_key(ctx.turn), code, ctx.now, "recheck" if recheck else "login")
        buttons = [Button(ctx.say("resend_button"), "auth:resend"), Button(ctx.say("cancel_button"), "act:cancel")]
        if result.status == "ok":
            if recheck:
                if result.subscriber_id != ctx.turn.conv.subscriber_id:
                    return self._step(ctx, [Reply(ctx.say("login_code_wrong", left=0), buttons)], redact=True)
                ctx.flow["rechecked"] = True
                step = await self._confirmed(ctx, ctx.flow.get("op", ""))
                step.redact_input = True
                return step
            conv = ctx.turn.conv
            conv.subscriber_id = result.subscriber_id
            conv.state["auth_at"] = stamp(ctx.now)
            ctx.flow.pop("phone", None)
            step = await self._advance(ctx)
            step.replies.insert(0, Reply(ctx.say("login_ok")))
            step.redact_input = True
            return step
        key = {"wrong": "login_code_wrong", "expired": "login_code_expired", "locked": "login_code_locked",
               "no_code": "login_code_expired"}[result.status]
        return self._step(ctx, [Reply(ctx.say(key, left=result.attempts_left), buttons)], redact=True)

    async def _contact(self, turn: Turn, flow: dict[str, Any] | None) -> Step:
        contact = turn.msg.contact
        assert contact is not None
        flow = flow or {"action": None, "slots": {}, "await": "login_phone"}
        ctx = Ctx(self, turn, flow)
        phone = normalize_phone(contact.phone)
        own = contact.user_id is not None and contact.user_id == turn.msg.user_id
        if phone is None:
            return self._step(ctx, [Reply(ctx.say("login_bad_phone"))])
        if not (self.policy.trust_shared_contact and own):
            if flow.get("action") is None:
                turn.conv.state.pop("flow", None)
                return Step([Reply(ctx.say("contact_not_own"))], outcome="action")
            return await self._send_code(ctx, phone, recheck=False)
        subscriber = await self.billing.find_subscriber(phone)
        if subscriber is None:
            turn.conv.state.pop("flow", None)
            return self._step(ctx, [Reply(ctx.say("contact_not_subscriber"))])
        turn.conv.subscriber_id = subscriber.id
        turn.conv.state["auth_at"] = stamp(turn.now)
        if flow.get("action") is None:
            return Step([Reply(ctx.say("login_ok_plain"))], outcome="action")
        turn.conv.state["flow"] = flow
        step = await self._advance(ctx)
        step.replies.insert(0, Reply(ctx.say("login_ok")))
        return step

    async def _logout(self, turn: Turn) -> Step:
        conv = turn.conv
        was = conv.subscriber_id is not None
        conv.subscriber_id = None
        conv.state.pop("auth_at", None)
        conv.state.pop("flow", None)
        return Step([Reply(turn.say("logout_done" if was else "logout_not_logged_in"))], outcome="action")

    async def _active(self, ctx: Ctx) -> bool:
        """The subscriber's SIM is not blocked."""
        sub = await self.billing.subscriber(ctx.subscriber_id)
        return sub is not None and not sub.blocked

    async def _own_phone(self, ctx: Ctx) -> str:
        sub = await self.billing.subscriber(ctx.subscriber_id)
        assert sub is not None
        return sub.phone

    async def result_reply(self, ctx: Ctx, result: OperationResult, key: str, **values: object) -> Reply:
        text = ctx.say(key, balance=ctx.money(result.balance), **values)
        if result.repeated:
            text = ctx.say("already_done", balance=ctx.money(result.balance))
        return Reply(text)


def _user_key(turn: Turn) -> str:
    return f"{turn.conv.channel}:{turn.conv.user_key}"
