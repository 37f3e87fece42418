"""A property test over random chat-level sequences of account actions for one subscriber.

Each example gets a fresh database (the real `open_runtime`, the knowledge index shared), a new
subscriber with a random tariff and balance, logs in once through the chat (the code read from
the SMS outbox), then runs random steps: buy a package, take a promised payment, connect or
disconnect a service, change tariff, top up (the link created in the chat, paid in-process) —
each confirmed by the button or "да", once or twice, or cancelled. After every step:

- the balance equals the ledger's sum;
- the balance moved by exactly the sum of the ledger rows the step added;
- a repeated confirmation (the same button again, or "да" again) adds no ledger rows;
- a cancelled step, and a stale confirm button pressed after the cancel, add no rows;
- every row a confirmed step added carries that confirmation's operation key.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dbaccess
from account_helpers import confirm_payload, ledger_ids, login, new_rows, now_utc, open_fast_runtime, option_payloads
from conftest import ChatClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from intents.replies import Outcome
from supportbot.runtime import Runtime

PHONE = "+79990000777"
# services the bot understands by name in "подключи …" / "отключи …" (see the xfail in test_actions_e2e
# for names it does not): paid, free, and one with a connection fee
SERVICES = ["чёрный список", "голосовую почту", "определитель номера", "кто звонил", "замени гудок", "переадресацию"]
CONFIRM = st.sampled_from(["button", "да", "button_twice", "да_twice", "button_then_да", "cancel", "cancel_then_stale"])
STEP = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from(["1 гб", "3 гб", "5 гб", "20 гб", "50 минут", "100 смс"]), CONFIRM),
    st.tuples(st.just("promised"), st.integers(0, 2), CONFIRM),
    st.tuples(st.just("connect"), st.sampled_from(SERVICES), CONFIRM),
    st.tuples(st.just("disconnect"), st.sampled_from(SERVICES), CONFIRM),
    st.tuples(st.just("tariff"), st.integers(0, 3), CONFIRM),
    st.tuples(st.just("topup"), st.sampled_from([100, 300, 1000]), st.booleans()),
)
ACTION = {"buy": "buy_package", "promised": "promised_payment", "connect": "connect_service",
          "disconnect": "disconnect_service", "tariff": "change_tariff", "topup": "top_up"}


class Checker:
    def __init__(self, rt: Runtime, bot: ChatClient, sub_id: int) -> None:
        self.rt, self.bot, self.sub_id = rt, bot, sub_id
        self.turns: list[Outcome] = []

    async def balance(self) -> int:
        balance = await self.rt.billing.balance(self.sub_id)
        assert balance == await self.rt.billing.ledger_sum(self.sub_id)
        return balance

    async def say(self, text: str, now: datetime) -> Outcome:
        out = await self.bot.say(text, now=now)
        self.turns.append(out)
        return out

    async def press(self, payload: str, now: datetime) -> Outcome:
        out = await self.bot.press(payload, now=now)
        self.turns.append(out)
        return out

    async def rows_since(self, ids: set[int]) -> list[dict[str, Any]]:
        return await new_rows(self.rt, self.sub_id, ids)

    async def step(self, kind: str, arg: Any, mode: Any, now: datetime) -> None:
        self.turns = []
        start_ids = await ledger_ids(self.rt, self.sub_id)
        start_balance = await self.balance()
        if kind == "topup":
            await self.top_up(arg, mode, now)
        else:
            await self.confirmable(kind, arg, mode, now)
        added = await self.rows_since(start_ids)
        assert await self.balance() - start_balance == sum(r["amount"] for r in added)
        assert not any(out.handoff for out in self.turns)
        assert self.turns[0].action == ACTION[kind], (kind, self.turns[0].text)

    async def top_up(self, rubles: int, pay_twice: bool, now: datetime) -> None:
        out = await self.say(f"пополни мой счёт на {rubles} рублей", now)
        match = re.search(r"/pay/([A-Za-z0-9_\-]+)", out.text)
        assert match, out.text
        ids = await ledger_ids(self.rt, self.sub_id)
        result = await self.rt.billing.complete_payment(match.group(1), now)
        assert not result.repeated
        paid = await self.rows_since(ids)
        assert sum(r["amount"] for r in paid) <= rubles * 100  # the top-up, less a promised payment repaid
        assert [r["amount"] for r in paid if r["category"] == "topup"] == [rubles * 100]
        if pay_twice:
            ids = await ledger_ids(self.rt, self.sub_id)
            assert (await self.rt.billing.complete_payment(match.group(1), now)).repeated
            assert await self.rows_since(ids) == []

    async def confirmable(self, kind: str, arg: Any, mode: str, now: datetime) -> None:
        request = {"buy": f"купить пакет {arg}", "promised": "возьму обещанный платёж", "connect": f"подключи {arg}",
                   "disconnect": f"отключи услугу {arg}", "tariff": "сменить тариф"}[kind]
        out = await self.say(request, now)
        for _ in range(3):  # pick among the offered options until a confirmation (or a refusal) comes
            options = option_payloads(out)
            if confirm_payload(out) or not options:
                break
            out = await self.press(options[int(arg) % len(options)] if isinstance(arg, int) else options[0], now)
        payload = confirm_payload(out)
        if payload is None:  # refused (not enough money, not connected, not eligible…): nothing may change
            event(f"{kind}: refused before confirming")
            return
        op = payload.removeprefix("act:yes:")
        ids = await ledger_ids(self.rt, self.sub_id)
        if mode.startswith("cancel"):
            cancelled = await self.say("отмена", now)
            assert "Отменено" in cancelled.text
            if mode == "cancel_then_stale":
                await self.press(payload, now)
            assert await self.rows_since(ids) == []
            assert await self.rt.billing.operation(op) is None
            event(f"{kind}: cancelled")
            return
        first = await (self.press(payload, now) if mode.startswith("button") else self.say("да", now))
        done = await self.rows_since(ids)
        assert all(r["op_key"] == op for r in done), done
        if await self.rt.billing.operation(op) is None:  # refused when performed
            assert done == []
            event(f"{kind}: refused when performed")
        else:
            event(f"{kind}: performed ({'charged' if done else 'free'})")
        if mode in ("button_twice", "да_twice", "button_then_да"):
            ids = await ledger_ids(self.rt, self.sub_id)
            again = await (self.press(payload, now) if mode == "button_twice" else self.say("да", now))
            assert await self.rows_since(ids) == [], (first.text, again.text)
            if done:
                assert "уже сделано" in again.text.lower() or "already done" in again.text.lower(), again.text


async def run_example(tariff: str, balance: int, steps: list[tuple[str, Any, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = await open_fast_runtime(Path(tmp) / "prop.db")
        try:
            t0 = now_utc()
            sub = await rt.billing.add_subscriber(PHONE, "Свойство Проверкин", balance, tariff, t0,
                                                  created_at=t0 - timedelta(days=400))
            bot = ChatClient(rt, "prop")
            await login(bot, PHONE, t0)
            checker = Checker(rt, bot, sub.id)
            for i, (kind, arg, mode) in enumerate(steps):
                await checker.step(kind, arg, mode, t0 + timedelta(minutes=i + 1))
        finally:
            await rt.close()
            await dbaccess.release(Path(tmp) / "prop.db")


@settings(max_examples=dbaccess.examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tariff=st.sampled_from(["moy-tele2", "moy-razgovor", "moy-online", "classic"]),
       balance=st.sampled_from([0, 20000, 100000, 300000, 500000]),
       steps=st.lists(STEP, min_size=1, max_size=6))
def test_every_step_keeps_the_ledger_and_the_balance_in_step(tariff: str, balance: int,
                                                            steps: list[tuple[str, Any, Any]]) -> None:
    asyncio.run(run_example(tariff, balance, steps))
