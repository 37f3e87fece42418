"""The dialogue core end to end through a real runtime (SQLite file, operator queue, actions):
small talk, commands, misses and the operator offer, buttons, the queue, languages, computed
answers at fixed clocks, long messages and state across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ChatClient

from intents.dialogue import MAX_TEXT
from intents.replies import Outcome
from kernel.clock import utcnow
from knowledge.model import KnowledgeBase
from supportbot.config import Config
from supportbot.runtime import Runtime, open_runtime

GIBBERISH = ["фывапролдж", "ывапр олдж", "жщшщ ыъыъ"]
TUESDAY_PEAK = "2026-11-24T15:20:00+03:00"
TUESDAY_LATE = "2026-11-24T22:30:00+03:00"
TUESDAY_EVENING = "2026-11-24T20:00:00+03:00"
SATURDAY = "2026-11-28T12:00:00+03:00"
PEAK_QUESTION_RU = "когда удобнее всего звонить в поддержку, чтобы не ждать"
PEAK_QUESTION_EN = "when is the best moment to call the helpline"


def payloads(outcome_buttons: list) -> list[str]:
    return [b.payload for b in outcome_buttons]


def first_line(text: str) -> str:
    return text.split("\n\n")[0]


async def miss(bot: ChatClient, n: int = 0) -> Outcome:
    return await bot.say(GIBBERISH[n % len(GIBBERISH)])


# -- small talk -------------------------------------------------------------------------------


@pytest.mark.wording
@pytest.mark.parametrize(
    ("text", "intent", "lang"),
    [
        ("здравствуйте, бот", "greeting", "ru"),
        ("hello there!", "greeting", "en"),
        ("спасибо огромное за ответ", "thanks", "ru"),
        ("thanks a bunch", "thanks", "en"),
        ("а что ты вообще умеешь делать?", "capabilities", "ru"),
        ("what are you able to do?", "capabilities", "en"),
    ],
)
async def test_small_talk(bot: ChatClient, kb: KnowledgeBase, text: str, intent: str, lang: str) -> None:
    out = await bot.say(text)
    assert out.intent == intent
    assert out.text == kb.by_id[intent].answer.get(lang)
    assert out.handoff is False
    assert out.lang == lang


# -- commands ---------------------------------------------------------------------------------


def assert_menu(kb: KnowledgeBase, buttons: list) -> None:
    topics = payloads(buttons)
    assert topics[-1] == "operator"
    assert len(topics) >= 3
    for payload in topics[:-1]:
        assert payload.startswith("kb:")
        assert payload[3:] in kb.by_id


@pytest.mark.wording
async def test_start_and_help_in_english(bot: ChatClient, kb: KnowledgeBase) -> None:
    start = await bot.say("/start", lang="en")
    assert start.text == kb.message("welcome", "en")
    assert start.handoff is False
    assert_menu(kb, start.buttons)
    helped = await bot.say("/help")
    assert helped.text == kb.message("help", "en")
    assert_menu(kb, helped.buttons)


@pytest.mark.wording
async def test_help_command_with_bot_suffix(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.say("/help@tele2_bot", lang="en")
    assert out.text == kb.message("help", "en")


@pytest.mark.wording
async def test_start_for_a_russian_user(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.say("/start", lang="ru")
    assert out.text == kb.message("welcome", "ru")


@pytest.mark.wording
async def test_help_keeps_the_conversation_language(bot: ChatClient, kb: KnowledgeBase) -> None:
    await bot.say("здравствуйте, бот")
    out = await bot.say("/help")
    assert out.text == kb.message("help", "ru")


# -- misses and the operator offer ------------------------------------------------------------


@pytest.mark.wording
async def test_first_miss_asks_to_rephrase(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await miss(bot)
    assert out.intent is None
    assert out.handoff is False
    assert out.text == kb.message("rephrase", "ru")
    assert_menu(kb, out.buttons)


@pytest.mark.wording
async def test_second_miss_offers_an_operator(bot: ChatClient, kb: KnowledgeBase) -> None:
    await miss(bot, 0)
    out = await miss(bot, 1)
    assert out.intent is None
    assert out.handoff is False
    assert out.text == kb.message("offer_operator", "ru")
    assert payloads(out.buttons) == ["op:yes", "op:no"]
    assert [b.title for b in out.buttons] == ["Да", "Нет"]


@pytest.mark.wording
@pytest.mark.parametrize(("text", "lang"), [("fed up with waiting on hold forever, this is a joke", "en"),
                                            ("кошмар, сколько можно, ни ответа ни привета", "ru")])
async def test_venting_that_asks_nothing_gets_the_operator_not_a_guessed_answer(bot: ChatClient, kb: KnowledgeBase,
                                                                                text: str, lang: str) -> None:
    """Upset, and no question or request in it: an entry the bot is not sure of (the waiting time,
    the roaming number) would be a guess; one empathetic line and the operator offered instead."""
    out = await bot.say(text)
    assert out.intent is None and out.text == kb.message("empathy_offer", lang)
    assert payloads(out.buttons) == ["op:yes", "op:no"]


@pytest.mark.wording
async def test_an_upset_message_that_asks_is_still_answered(bot: ChatClient) -> None:
    out = await bot.say("кошмар, как позвонить в поддержку из роуминга?")
    assert out.intent == "roaming-support"
    assert "op:yes" not in payloads(out.buttons) and "operator" in payloads(out.buttons)  # with the operator at hand


@pytest.mark.wording
async def test_in_a_hurry_the_piece_of_a_long_sentence_that_asks_is_answered(bot: ChatClient) -> None:
    """Not understood as a whole, and urgent: the comma-separated piece that asks is answered (with the
    empathetic line and the operator at hand), rather than only the operator offered."""
    out = await bot.say("добрый вечер!!! 🙏🙏 подскажите как позвонить оператору с городского телефона, "
                        "у меня сотовый сел а вопрос срочный😩😩")
    assert out.intent == "support-landline", out.text
    assert "operator" in payloads(out.buttons)


@pytest.mark.wording
async def test_the_one_asking_sentence_of_a_long_message_is_answered_when_surely_understood(bot: ChatClient) -> None:
    out = await bot.say("Срочно!!! муж уехал в командировку, а у него ноль на счету. как мне положить ему денег со своей "
                        "карты через ваше приложение?")  # the last sentence alone: p 0.59
    assert out.intent in ("lk-top-up", "do-top-up"), out.text


@pytest.mark.wording
async def test_calm_the_piece_that_asks_is_answered_when_very_sure(bot: ChatClient) -> None:
    out = await bot.say("how do i log in to my acct, dont remember ever setting a password")
    assert out.intent == "lk-general", out.text


@pytest.mark.wording
async def test_calm_a_qualified_question_is_not_cut_at_its_comma(bot: ChatClient) -> None:
    out = await bot.say("как сменить сам номер телефона на другой, оставив ту же симку")
    assert out.intent != "change-owner"


async def test_yes_puts_the_conversation_in_the_queue(bot: ChatClient) -> None:
    await miss(bot, 0)
    await miss(bot, 1)
    out = await bot.say("да")
    assert out.handoff is True
    assert "1-й" in out.text  # the position
    assert "нет свободных операторов" in out.text  # nobody online …
    assert "форм" in out.text and "обратной связи" in out.text  # … so the feedback form is offered
    titles = {b.title: b.payload for b in out.buttons}
    assert "feedback" in titles["Форма обратной связи"]
    assert titles["Выйти из очереди"] == "op:cancel"


async def test_yes_button_puts_the_conversation_in_the_queue(bot: ChatClient) -> None:
    await miss(bot, 0)
    await miss(bot, 1)
    out = await bot.press(bot.button("Да"))
    assert out.handoff is True
    assert "1-й" in out.text


@pytest.mark.wording
async def test_no_declines_the_operator(bot: ChatClient, kb: KnowledgeBase) -> None:
    await miss(bot, 0)
    await miss(bot, 1)
    out = await bot.say("нет")
    assert out.handoff is False
    assert out.text == kb.message("operator_declined", "ru")
    assert_menu(kb, out.buttons)
    # the count starts again: the next miss is a first one
    again = await miss(bot, 2)
    assert again.text == kb.message("rephrase", "ru")
    assert again.handoff is False


@pytest.mark.wording
async def test_an_answer_between_misses_resets_the_count(bot: ChatClient, kb: KnowledgeBase) -> None:
    await miss(bot, 0)
    answered = await bot.say("как вернуть деньги с номера теле2")
    assert answered.intent == "refund"
    out = await miss(bot, 1)
    assert out.text == kb.message("rephrase", "ru")
    assert "op:yes" not in payloads(out.buttons)


@pytest.mark.wording
async def test_off_topic_answers_but_counts_as_a_miss(bot: ChatClient, kb: KnowledgeBase) -> None:
    first = await bot.say("какая погода будет завтра в Казани")
    assert first.intent is None
    assert first.text == kb.by_id["out-of-scope"].answer.ru
    second = await bot.say("посоветуй рецепт борща со сметаной")
    assert second.text == kb.message("offer_operator", "ru")


@pytest.mark.wording
async def test_a_near_miss_suggests_topics(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.say("как оплачивать связь через приложение банка")
    assert out.intent is None
    assert out.text == kb.message("did_you_mean", "ru")
    topics = payloads(out.buttons)
    assert "kb:lk-top-up" in topics
    assert topics[-1] == "operator"


# -- buttons ----------------------------------------------------------------------------------


@pytest.mark.wording
async def test_a_topic_button_answers_its_entry(bot: ChatClient, kb: KnowledgeBase) -> None:
    await bot.say("как вернуть деньги с номера теле2")
    payload = bot.button(kb.by_id["service-centers"].title.ru)
    assert payload == "kb:service-centers"
    out = await bot.press(payload)
    assert out.intent == "service-centers"
    assert out.text == kb.by_id["service-centers"].answer.ru
    followups = [f"kb:{ref}" for ref in kb.by_id["service-centers"].followups]
    assert payloads(out.buttons) == followups


@pytest.mark.wording
@pytest.mark.parametrize("payload", ["kb:no-such-entry", "zzz:unknown", "act:opt:nothing"])
async def test_a_stale_button_gets_a_clear_reply(bot: ChatClient, kb: KnowledgeBase, payload: str) -> None:
    out = await bot.press(payload)
    assert out.intent is None
    assert out.handoff is False
    assert out.text == kb.message("stale_button", "ru")


@pytest.mark.wording
async def test_menu_button(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.press("menu")
    assert out.text == kb.message("menu", "ru")
    assert_menu(kb, out.buttons)


@pytest.mark.wording
async def test_empty_message(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.say("   ")
    assert out.text == kb.message("empty", "ru")


# -- cancel, the operator and the queue -------------------------------------------------------


@pytest.mark.wording
async def test_cancel_with_nothing_in_progress(bot: ChatClient, kb: KnowledgeBase) -> None:
    out = await bot.say("отмена")
    assert out.text == kb.message("nothing_to_cancel", "ru")
    assert out.handoff is False
    assert out.intent is None


@pytest.mark.wording
@pytest.mark.parametrize(
    ("text", "lang"),
    [("позовите, пожалуйста, живого оператора", "ru"), ("мне нужен человек, а не бот", "ru"),
     ("please connect me with a live person", "en"), ("I need to speak with a human", "en")],
)
async def test_asking_for_an_operator_in_words(bot: ChatClient, kb: KnowledgeBase, text: str, lang: str) -> None:
    out = await bot.say(text)
    assert out.handoff is True
    assert out.intent == "operator-request"
    assert out.text == kb.message("queued_no_agents", lang, position=1)


async def test_operator_command(bot: ChatClient) -> None:
    out = await bot.say("/operator")
    assert out.handoff is True


async def test_while_queued_then_leave_the_queue(bot: ChatClient, kb: KnowledgeBase) -> None:
    queued = await bot.say("позовите, пожалуйста, живого оператора")
    assert queued.handoff is True
    waiting = await bot.say("как вернуть деньги с номера теле2")
    assert waiting.handoff is True
    assert waiting.intent is None  # not answered by the bot: passed to the operator
    assert waiting.text.startswith("Вы в очереди, 1-й")
    assert payloads(waiting.buttons) == ["op:cancel"]
    left = await bot.say("отмена")
    assert left.handoff is False
    assert left.text == kb.message("queue_cancelled", "ru")
    back = await bot.say("как вернуть деньги с номера теле2")
    assert back.handoff is False
    assert back.intent == "refund"


async def test_taking_the_request_for_a_person_back_while_queued_asks_what_was_meant(
        bot: ChatClient, kb: KnowledgeBase, runtime: Runtime) -> None:
    assert (await bot.say("мне нужен оператор")).handoff is True
    out = await bot.say("нет, подожди, я другое хотел спросить")
    assert out.outcome == "clarify" and out.handoff is False, out.text
    assert await runtime.handoff.waiting_count() == 0  # out of the queue: no agent is left waiting on it
    assert (await bot.say("как пополнить счёт")).intent == "lk-top-up"  # answered by the bot again
    # a message with a question of its own, while waiting, still goes to the person
    other = ChatClient(runtime, user="u2")
    assert (await other.say("мне нужен оператор")).handoff is True
    assert (await other.say("и ещё, как пополнить счёт с карты?")).handoff is True


async def test_leave_the_queue_by_button(bot: ChatClient, kb: KnowledgeBase) -> None:
    await bot.say("I need to speak with a human")
    out = await bot.press(bot.button("Leave the queue"))
    assert out.handoff is False
    assert out.text == kb.message("queue_cancelled", "en")


async def test_queue_positions_across_users(runtime: Runtime) -> None:
    first, second = ChatClient(runtime, "q1"), ChatClient(runtime, "q2")
    assert "1-й" in (await first.say("позовите, пожалуйста, живого оператора")).text
    assert "2-й" in (await second.say("позовите, пожалуйста, живого оператора")).text
    await first.say("отмена")
    assert (await second.say("ну что там?")).text.startswith("Вы в очереди, 1-й")


# -- languages --------------------------------------------------------------------------------


@pytest.mark.wording
async def test_reply_language_follows_the_message(bot: ChatClient, kb: KnowledgeBase) -> None:
    en = await bot.say("how do I get a refund of money from my tele2 number")
    assert (en.intent, en.lang) == ("refund", "en")
    assert en.text == kb.by_id["refund"].answer.en
    assert en.buttons[0].title == kb.by_id[kb.by_id["refund"].followups[0]].title.en
    ru = await bot.say("как вернуть деньги с номера теле2")
    assert (ru.intent, ru.lang) == ("refund", "ru")
    assert ru.text == kb.by_id["refund"].answer.ru


@pytest.mark.wording
@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_lang_hint_for_a_language_neutral_message(bot: ChatClient, kb: KnowledgeBase, lang: str) -> None:
    out = await bot.say("0", lang=lang)  # "0" asks for an operator
    assert out.lang == lang
    assert out.intent == "operator-request"
    assert out.text == kb.message("queued_no_agents", lang, position=1)


@pytest.mark.wording
async def test_neutral_message_keeps_the_conversation_language(bot: ChatClient, kb: KnowledgeBase) -> None:
    await bot.say("hello there!")
    out = await bot.say("!!!")
    assert out.lang == "en"
    assert out.text == kb.message("rephrase", "en")


# -- computed answers at fixed clocks ---------------------------------------------------------


@pytest.mark.wording
async def test_peak_hours_on_a_weekday_afternoon(bot: ChatClient) -> None:
    out = await bot.say(PEAK_QUESTION_RU, now=TUESDAY_PEAK)
    assert out.intent == "peak-hours"
    line = first_line(out.text)
    assert "15:20" in line
    assert "час пик" in line and "это не час пик" not in line
    assert "21:00" in line


@pytest.mark.wording
async def test_peak_hours_late_evening(bot: ChatClient) -> None:
    out = await bot.say(PEAK_QUESTION_RU, now=TUESDAY_LATE)
    line = first_line(out.text)
    assert "22:30" in line
    assert "хорошее время" in line


@pytest.mark.wording
async def test_peak_hours_early_evening(bot: ChatClient) -> None:
    line = first_line((await bot.say(PEAK_QUESTION_RU, now=TUESDAY_EVENING)).text)
    assert "20:00" in line
    assert "час пик уже прошёл" in line


@pytest.mark.wording
async def test_peak_hours_on_a_weekend(bot: ChatClient) -> None:
    line = first_line((await bot.say(PEAK_QUESTION_RU, now=SATURDAY)).text)
    assert "12:00" in line
    assert "выходной" in line


@pytest.mark.wording
async def test_peak_hours_in_english_with_another_offset(bot: ChatClient) -> None:
    out = await bot.say(PEAK_QUESTION_EN, now="2026-11-24T12:20:00+00:00")  # 15:20 in Moscow
    assert out.intent == "peak-hours"
    line = first_line(out.text)
    assert "15:20 Moscow time" in line
    assert "peak hours" in line and "21:00" in line
    weekend = first_line((await bot.say(PEAK_QUESTION_EN, now=SATURDAY)).text)
    assert "weekend" in weekend


@pytest.mark.wording
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("подскажите телефон поддержки для Кемерово", "(904) 990-00-00"),
        ("какой городской номер поддержки в Нижнем Новгороде", "(831) 291-16-11"),
        ("а для Томской области какой номер поддержки", "tele2.ru"),
    ],
)
async def test_region_number(bot: ChatClient, text: str, expected: str) -> None:
    out = await bot.say(text)
    assert out.intent == "regional-numbers"
    assert expected in first_line(out.text)


@pytest.mark.wording
async def test_region_number_names_the_region(bot: ChatClient) -> None:
    kemerovo = first_line((await bot.say("подскажите телефон поддержки для Кемерово")).text)
    assert "Кемеровская область" in kemerovo
    tomsk = first_line((await bot.say("а для Томской области какой номер поддержки")).text)
    assert "Томская область" in tomsk
    assert "(904) 990-00-00" not in tomsk  # the region changed with the question


# -- long messages ----------------------------------------------------------------------------


@pytest.mark.wording
async def test_a_very_long_message_is_cut_and_answered(bot: ChatClient, kb: KnowledgeBase) -> None:
    text = ("как вернуть деньги с номера теле2 " + "очень " * 2000)[:10_000]
    assert len(text) == 10_000
    out = await bot.say(text)
    assert out.intent == "refund"
    assert out.text.startswith(kb.message("too_long", "ru", limit=MAX_TEXT))
    assert str(MAX_TEXT) in out.text
    assert kb.by_id["refund"].answer.ru in out.text


@pytest.mark.wording
async def test_a_very_long_gibberish_message(bot: ChatClient) -> None:
    out = await bot.say("x" * 10_000, lang="en")
    assert out.intent is None
    assert str(MAX_TEXT) in out.text
    assert out.handoff is False


@pytest.mark.wording
async def test_runs_of_spaces_lines_and_marks_are_read_as_one_and_stored_as_typed(bot: ChatClient, runtime: Runtime) -> None:
    plain = await ChatClient(runtime, user="plain").say("как пополнить счёт с карты?")
    typed = "как     пополнить\n\n\n\n   счёт\t\tс карты" + " " * 3000 + "?"
    out = await bot.say(typed)
    assert (out.intent, out.text) == (plain.intent, plain.text)
    assert out.intent is not None
    conv = await runtime.conversations.get_or_create("test", bot.user, utcnow())
    incoming = [m["text"] for m in await runtime.conversations.messages(conv.id) if m["direction"] == "in"]
    assert incoming == [typed]  # what the agent and the analytics see: the message as typed


# -- state across a restart -------------------------------------------------------------------


async def test_state_survives_a_restart(bot: ChatClient, tmp_path: Path, config: Config, kb: KnowledgeBase) -> None:
    first = await miss(bot, 0)
    assert first.text == kb.message("rephrase", "ru")
    restarted = await open_runtime(config, str(tmp_path / "test.db"))  # the `runtime` fixture's file
    try:
        again = ChatClient(restarted, user=bot.user, channel=bot.channel)
        out = await miss(again, 1)
        assert out.text == kb.message("offer_operator", "ru")
        assert payloads(out.buttons) == ["op:yes", "op:no"]
        queued = await again.say("да")
        assert queued.handoff is True
    finally:
        await restarted.close()


@pytest.mark.storage_free
def test_a_reply_as_a_dict_is_what_asdict_gives() -> None:
    from dataclasses import asdict

    from intents.replies import Button, Reply

    for reply in (Reply("a"), Reply("b", [Button("x", "kb:x"), Button("y", "url:https://e.org")], True, "https://pay")):
        assert reply.to_dict() == asdict(reply)
