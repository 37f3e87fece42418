"""Subscriber login by an SMS code, in-process (the `bot` fixture), with the clock under control.

The knowledge index is shared between the tests (`open_fast_runtime`); each test still gets a
fresh database with the demo subscribers (+79990000001 … +79990000006).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import dbaccess
import pytest
from account_helpers import code_of, last_code, login, now_utc, open_fast_runtime
from conftest import ChatClient

from account.auth import LoginService
from intents.replies import Contact
from supportbot.runtime import Runtime

IVAN = "+79990000001"  # a subscriber (normal account)
MARIA = "+79990000002"
STRANGER = "+79990001001"  # not a subscriber; masked the same way as IVAN: +7 999 •••-••-01
STRANGER2 = "+79990001002"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = await open_fast_runtime(tmp_path / "login.db")
    try:
        yield rt
    finally:
        await rt.close()
        await dbaccess.release(tmp_path / "login.db")


@pytest.fixture
def t0() -> datetime:
    return now_utc()


def minutes(t0: datetime, m: float) -> datetime:
    return t0 + timedelta(minutes=m)


async def conv_id(rt: Runtime, user: str = "u1", channel: str = "test") -> int:
    conv = await rt.conversations.get_or_create(channel, user, now_utc())
    return conv.id


async def subscriber_of(rt: Runtime, user: str = "u1") -> int | None:
    conv = await rt.conversations.get_or_create("test", user, now_utc())
    return conv.subscriber_id


async def ivan_id(rt: Runtime) -> int:
    sub = await rt.billing.find_subscriber(IVAN)
    assert sub is not None
    return sub.id


async def sms_count(rt: Runtime, phone: str) -> int:
    return len(await rt.sms.outbox(phone))


async def ask_code(bot: ChatClient, phone: str, now: datetime, first: str = "какой у меня баланс") -> str:
    """Start an action and send the number; returns the bot's answer to the number."""
    asked = await bot.say(first, now=now)
    assert asked.action is not None, asked.text
    return (await bot.say(phone, now=now)).text


def wrong_code(right: str) -> str:
    return "135790" if right != "135790" else "246802"


# -- sending the code ----------------------------------------------------------------------------


async def test_code_goes_by_sms_to_a_subscriber_and_logs_in(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    asked = await bot.say("какой у меня баланс", now=t0)
    assert asked.action == "balance"
    assert "номер" in asked.text.lower()
    assert await subscriber_of(runtime) is None

    sent = await bot.say("8 (999) 000-00-01", now=t0)
    assert sent.action == "balance"
    assert "+7 999 •••-••-01" in sent.text and "6 цифр" in sent.text
    assert "auth:resend" in [b.payload for b in sent.buttons]
    messages = await runtime.sms.outbox(IVAN)
    assert len(messages) == 1
    assert "для входа в чат поддержки" in messages[0]["text"]
    code = code_of(messages[0]["text"])

    done = await bot.say(code, now=t0 + timedelta(seconds=30))
    assert done.action == "balance"
    assert "Вы вошли" in done.text
    assert "Ваш баланс: 352,40" in done.text
    assert await subscriber_of(runtime) == await ivan_id(runtime)


async def test_reply_is_identical_for_a_non_subscriber_and_no_sms_is_sent(runtime: Runtime, t0: datetime) -> None:
    member, stranger = ChatClient(runtime, "member"), ChatClient(runtime, "stranger")
    await member.say("какой у меня баланс", now=t0)
    await stranger.say("какой у меня баланс", now=t0)
    to_member = await member.say(IVAN, now=t0)
    to_stranger = await stranger.say(STRANGER, now=t0)

    assert to_member.text == to_stranger.text
    assert [(b.title, b.payload) for b in to_member.buttons] == [(b.title, b.payload) for b in to_stranger.buttons]
    assert to_member.action == to_stranger.action == "balance"
    assert await sms_count(runtime, IVAN) == 1
    assert await sms_count(runtime, STRANGER) == 0
    # every later step behaves alike too: a wrong code is just "wrong", with the same attempts left
    right = await last_code(runtime, IVAN)
    member_wrong = await member.say(wrong_code(right), now=t0)
    stranger_wrong = await stranger.say(wrong_code(right), now=t0)
    assert member_wrong.text == stranger_wrong.text
    assert "Осталось попыток: 4" in stranger_wrong.text
    assert await subscriber_of(runtime, "stranger") is None


async def test_a_wrong_code_says_attempts_left_and_does_not_log_in(bot: ChatClient, runtime: Runtime,
                                                                     t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    right = await last_code(runtime, IVAN)
    reply = await bot.say(wrong_code(right), now=t0)
    assert "Код неверный" in reply.text and "Осталось попыток: 4" in reply.text
    assert reply.action == "balance"
    assert "Ваш баланс" not in reply.text
    assert await subscriber_of(runtime) is None
    reply = await bot.say(wrong_code(right), now=t0)
    assert "Осталось попыток: 3" in reply.text
    # the right code still works after fewer than 5 wrong tries
    assert "Вы вошли" in (await bot.say(right, now=t0)).text


async def test_five_wrong_tries_lock_the_code(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    right = await last_code(runtime, IVAN)
    replies = [(await bot.say(wrong_code(right), now=t0)).text for _ in range(5)]
    for left, text in zip((4, 3, 2, 1), replies[:4], strict=True):
        assert f"Осталось попыток: {left}" in text
    assert "заблокирован" in replies[4]
    locked = await bot.say(right, now=t0)
    assert "Вы вошли" not in locked.text
    assert "заблокирован" in locked.text
    assert await subscriber_of(runtime) is None


async def test_an_expired_code_fails(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    right = await last_code(runtime, IVAN)
    late = await bot.say(right, now=minutes(t0, 11))
    assert "больше не действует" in late.text
    assert await subscriber_of(runtime) is None
    # a fresh code (resend) works
    resent = await bot.press("auth:resend", now=minutes(t0, 11))
    assert "код" in resent.text.lower()
    assert "Вы вошли" in (await bot.say(await last_code(runtime, IVAN), now=minutes(t0, 12))).text


async def test_a_used_code_cannot_be_reused_after_logout(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await login(bot, IVAN, t0)
    first = await last_code(runtime, IVAN)
    out = await bot.say("/logout", now=minutes(t0, 1))
    assert "Вы вышли" in out.text
    await ask_code(bot, IVAN, minutes(t0, 2))
    second = await last_code(runtime, IVAN)
    if second == first:  # one chance in a million: take a third code
        await bot.press("auth:resend", now=minutes(t0, 4))
        second = await last_code(runtime, IVAN)
    reused = await bot.say(first, now=minutes(t0, 5))
    assert "Вы вошли" not in reused.text
    assert "Код неверный" in reused.text
    assert await subscriber_of(runtime) is None
    # the service itself: a code that was used is gone
    result = await runtime.login.verify("test:u1", second, minutes(t0, 5))
    assert result.status == "ok"
    again = await runtime.login.verify("test:u1", second, minutes(t0, 5))
    assert again.status != "ok"


# -- send limits ---------------------------------------------------------------------------------


async def test_a_second_send_within_a_minute_is_refused(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    refused = await bot.press("auth:resend", now=t0 + timedelta(seconds=40))
    assert "Новый можно запросить через 1 мин" in refused.text
    assert refused.action == "balance"
    assert await sms_count(runtime, IVAN) == 1
    allowed = await bot.press("auth:resend", now=t0 + timedelta(seconds=70))
    assert "отправлен код" in allowed.text
    assert await sms_count(runtime, IVAN) == 2


async def test_at_most_five_sends_an_hour_per_number(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    for m in (2, 4, 6, 8):
        assert "отправлен код" in (await bot.press("auth:resend", now=minutes(t0, m))).text
    refused = await bot.press("auth:resend", now=minutes(t0, 10))
    assert "Новый можно запросить через" in refused.text
    assert await sms_count(runtime, IVAN) == 5
    # an hour after the first send the window has room again
    allowed = await bot.press("auth:resend", now=minutes(t0, 61))
    assert "отправлен код" in allowed.text
    assert await sms_count(runtime, IVAN) == 6
    assert "Вы вошли" in (await bot.say(await last_code(runtime, IVAN), now=minutes(t0, 62))).text


async def test_two_users_asking_codes_for_one_number_share_the_limit(runtime: Runtime, t0: datetime) -> None:
    alice, bob = ChatClient(runtime, "alice"), ChatClient(runtime, "bob")
    await ask_code(alice, IVAN, t0)
    # another user, the same number, within the minute: refused too
    assert "Новый можно запросить" in await ask_code(bob, IVAN, t0 + timedelta(seconds=20))
    assert "отправлен код" in (await bob.say(IVAN, now=minutes(t0, 2))).text
    assert "отправлен код" in (await alice.press("auth:resend", now=minutes(t0, 4))).text
    assert "отправлен код" in (await bob.press("auth:resend", now=minutes(t0, 6))).text
    assert "отправлен код" in (await alice.press("auth:resend", now=minutes(t0, 8))).text
    assert "Новый можно запросить" in (await bob.press("auth:resend", now=minutes(t0, 10))).text
    assert "Новый можно запросить" in (await alice.press("auth:resend", now=minutes(t0, 12))).text
    assert await sms_count(runtime, IVAN) == 5
    assert "отправлен код" in (await bob.press("auth:resend", now=minutes(t0, 61))).text
    assert await sms_count(runtime, IVAN) == 6


async def test_at_most_five_sends_an_hour_per_channel_user(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    numbers = ["+79990000001", "+79990000002", "+79990000003", "+79990000006", STRANGER, STRANGER2]
    for i, phone in enumerate(numbers[:5]):
        text = await ask_code(bot, phone, minutes(t0, 2 * i))
        assert "отправлен код" in text, (phone, text)
        assert "Отменено" in (await bot.say("отмена", now=minutes(t0, 2 * i))).text
    refused = await ask_code(bot, numbers[5], minutes(t0, 10))
    assert "Новый можно запросить через" in refused
    sent = await runtime.db.fetchval("SELECT count(*) FROM login_codes WHERE user_key = 'test:u1'")
    assert sent == 5
    # the same user an hour later: allowed
    await bot.say("отмена", now=minutes(t0, 61))
    assert "отправлен код" in await ask_code(bot, numbers[5], minutes(t0, 61))


# -- secrets never stored or logged ---------------------------------------------------------------


async def test_codes_are_stored_only_hashed_and_masked_in_the_transcript(bot: ChatClient, runtime: Runtime,
                                                                         t0: datetime) -> None:
    await ask_code(bot, IVAN, t0)
    right = await last_code(runtime, IVAN)
    wrong = wrong_code(right)
    await bot.say(wrong, now=t0)
    await bot.say(" ".join([right[:3], right[3:]]), now=t0)  # "123 456" is read as the code too
    assert await subscriber_of(runtime) is not None
    await bot.say("/logout", now=minutes(t0, 1))
    await ask_code(bot, IVAN, minutes(t0, 2))
    second = await last_code(runtime, IVAN)
    await bot.say(second, now=minutes(t0, 2))
    codes = {right, second}

    rows = await runtime.db.fetchall("SELECT * FROM login_codes")
    assert len(rows) == 2
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row["code_hash"])
        for value in row.values():
            for code in codes:
                assert code not in str(value), (code, row)

    transcript = await runtime.conversations.messages(await conv_id(runtime))
    incoming = [m["text"] for m in transcript if m["direction"] == "in"]
    texts = " ".join(m["text"] for m in transcript)
    for code in [*codes, wrong, f"{right[:3]} {right[3:]}"]:
        assert code not in texts
    # the wrong code, the spaced right one ("123 456": 7 characters) and the second code
    assert [t for t in incoming if set(t) == {"•"}] == ["••••••", "•••••••", "••••••"]
    turns = await runtime.db.fetchall("SELECT text FROM turns_log")
    for code in [*codes, wrong]:
        assert all(code not in t["text"] for t in turns)


# -- logout, shared contact, session lifetime -----------------------------------------------------


async def test_logout_then_an_action_asks_to_log_in_again(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await login(bot, IVAN, t0)
    assert "Ваш баланс" in (await bot.say("покажи баланс", now=minutes(t0, 1))).text
    out = await bot.say("/logout", now=minutes(t0, 2))
    assert "Вы вышли" in out.text
    assert await subscriber_of(runtime) is None
    again = await bot.say("покажи баланс", now=minutes(t0, 3))
    assert again.action == "balance"
    assert "нужно войти" in again.text and "Ваш баланс" not in again.text
    assert "Вы и так не вошли" in (await bot.say("/logout", now=minutes(t0, 3))).text


async def test_own_shared_contact_logs_in_without_a_code(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    asked = await bot.say("какой у меня баланс", now=t0)
    assert "нужно войти" in asked.text
    reply = await bot.say(contact=Contact(IVAN, user_id="u1"), now=t0)
    assert "Вы вошли" in reply.text and "Ваш баланс: 352,40" in reply.text
    assert reply.action == "balance"
    assert await sms_count(runtime, IVAN) == 0
    assert await subscriber_of(runtime) == await ivan_id(runtime)


async def test_own_contact_without_an_action_in_progress(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    reply = await bot.say(contact=Contact("8 999 000 00 02", user_id="u1"), now=t0)
    assert "Вы вошли" in reply.text
    balance = await bot.say("какой у меня баланс", now=t0)
    assert "Ваш баланс: 15" in balance.text
    assert await sms_count(runtime, MARIA) == 0


async def test_someone_elses_contact_does_not_log_in(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    reply = await bot.say(contact=Contact(IVAN, user_id="somebody-else"), now=t0)
    assert "Вы вошли" not in reply.text
    assert "не ваш контакт" in reply.text
    assert await subscriber_of(runtime) is None
    # during an action: treated as a typed number — a code is needed, nothing more
    await bot.say("какой у меня баланс", now=minutes(t0, 1))
    reply = await bot.say(contact=Contact(IVAN, user_id="somebody-else"), now=minutes(t0, 1))
    assert "Ваш баланс" not in reply.text and "Вы вошли" not in reply.text
    assert await subscriber_of(runtime) is None
    # a contact without any owner is not "own" either
    await bot.say(contact=Contact(IVAN, user_id=None), now=minutes(t0, 3))
    assert await subscriber_of(runtime) is None


async def test_the_session_expires_after_30_days(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await login(bot, IVAN, t0)
    still = await bot.say("какой у меня баланс", now=t0 + timedelta(days=29, hours=23))
    assert "Ваш баланс" in still.text
    expired = await bot.say("какой у меня баланс", now=t0 + timedelta(days=30, hours=1))
    assert "нужно войти" in expired.text and "Ваш баланс" not in expired.text
    assert expired.action == "balance"
    assert await subscriber_of(runtime) is None


# -- blocking the SIM needs a fresh code ------------------------------------------------------------


async def test_block_sim_asks_for_a_fresh_code_and_a_wrong_one_does_not_block(bot: ChatClient, runtime: Runtime,
                                                                             t0: datetime) -> None:
    await login(bot, IVAN, t0)
    before = await sms_count(runtime, IVAN)
    confirm = await bot.say("заблокируй мою сим-карту, я потерял телефон", now=minutes(t0, 2))
    assert confirm.action == "block_sim"
    assert "Заблокировать SIM-карту +79990000001?" in confirm.text
    asked = await bot.press(bot.button("Подтверд"), now=minutes(t0, 2))
    assert asked.action == "block_sim"
    assert "новый код" in asked.text
    messages = await runtime.sms.outbox(IVAN)
    assert len(messages) == before + 1
    assert "блокировки SIM" in messages[-1]["text"]
    recheck = code_of(messages[-1]["text"])

    wrong = await bot.say(wrong_code(recheck), now=minutes(t0, 3))
    assert "Код неверный" in wrong.text
    assert wrong.action == "block_sim"
    sub = await runtime.billing.subscriber(await ivan_id(runtime))
    assert sub is not None and not sub.blocked
    # still logged in, and the right code then blocks
    assert await subscriber_of(runtime) == sub.id
    done = await bot.say(recheck, now=minutes(t0, 3))
    assert "заблокирована" in done.text
    sub = await runtime.billing.subscriber(sub.id)
    assert sub is not None and sub.blocked
    # the typed re-check codes are masked as well
    transcript = await runtime.conversations.messages(await conv_id(runtime))
    assert all(recheck not in m["text"] for m in transcript)


async def test_block_sim_with_a_locked_recheck_code_stays_unblocked(bot: ChatClient, runtime: Runtime,
                                                                     t0: datetime) -> None:
    await login(bot, IVAN, t0)
    await bot.say("заблокировать симку", now=minutes(t0, 2))
    await bot.say("да", now=minutes(t0, 2))
    recheck = await last_code(runtime, IVAN)
    for _ in range(5):
        await bot.say(wrong_code(recheck), now=minutes(t0, 3))
    late = await bot.say(recheck, now=minutes(t0, 3))
    assert f"SIM-карта {IVAN} заблокирована" not in late.text
    sub = await runtime.billing.find_subscriber(IVAN)
    assert sub is not None and not sub.blocked


async def test_login_service_directly_keeps_codes_per_user(runtime: Runtime, t0: datetime) -> None:
    """A code is bound to the channel user who asked for it: another user cannot type it."""
    service: LoginService = runtime.login
    assert (await service.send_code("test:a", IVAN, t0)).status == "sent"
    code = await last_code(runtime, IVAN)
    assert (await service.verify("test:b", code, t0)).status == "no_code"
    assert (await service.verify("test:a", code, t0)).status == "ok"


# -- regressions found by these tests -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["button", "да"], ids=["button", "da"])
async def test_a_confirmation_after_the_session_expired_does_not_charge(bot: ChatClient, runtime: Runtime, t0: datetime,
                                                                        how: str) -> None:
    await login(bot, IVAN, t0)
    sub_id = await ivan_id(runtime)
    confirm = await bot.say("купить пакет 1 гб", now=t0 + timedelta(days=29, hours=23))
    payload = bot.button("Подтверд")
    assert "Купить пакет 1 ГБ" in confirm.text
    before = await runtime.billing.ledger(sub_id)
    later = t0 + timedelta(days=30, hours=2)
    reply = await (bot.press(payload, now=later) if how == "button" else bot.say("да", now=later))
    assert await runtime.billing.ledger(sub_id) == before, reply.text
    assert "войти" in reply.text


async def test_a_code_typed_with_words_is_never_kept_in_clear(bot: ChatClient, runtime: Runtime, t0: datetime) -> None:
    await ask_code(bot, MARIA, t0)
    code = await last_code(runtime, MARIA)
    await bot.say(f"мой код {code}", now=t0)
    transcript = await runtime.conversations.messages(await conv_id(runtime))
    turns = await runtime.db.fetchall("SELECT text FROM turns_log")
    assert all(code not in m["text"] for m in transcript)
    assert all(code not in t["text"] for t in turns)
