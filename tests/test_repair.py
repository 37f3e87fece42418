"""Input repair: the wrong keyboard layout, Russian typed in Latin letters, greetings around a
question — and nothing converted that was right as typed."""

from __future__ import annotations

import re

import pytest

from intents.context import asked, bare_no, documents_only, is_followup, owner_only, questions, rejection, which_ones
from intents.matcher import Matcher
from intents.repair import EN_TO_RU_LAYOUT, MAX_WORD, Repairer, squeeze, translit_readings
from intents.tone import tone

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)


@pytest.fixture(scope="module")
def repairer(matcher: Matcher) -> Repairer:
    return matcher.repairer


def qwerty(russian: str) -> str:
    """What a Russian sentence looks like typed on the English layout."""
    back = {v: k for k, v in EN_TO_RU_LAYOUT.items()}
    return "".join(chr(back.get(ord(c), ord(c))) for c in russian)


@pytest.mark.parametrize("russian", [
    "как пополнить счёт", "сколько денег на балансе", "скажите, как позвонить оператору",
    "где посмотреть детализацию", "хочу обещанный платёж", "номер поддержки в роуминге",
])
def test_wrong_layout_is_read_as_russian(repairer: Repairer, russian: str) -> None:
    typed = qwerty(russian)
    assert typed.isascii()
    read = repairer.repair(typed)
    assert (read.kind, read.lang) == ("layout", "ru")
    words = lambda text: re.findall(r"[а-я]+", text.replace("ё", "е"))  # noqa: E731 - punctuation keys differ
    assert words(read.text) == words(russian)


def test_layout_punctuation_keys_are_letters() -> None:
    assert qwerty("баланс") == ",fkfyc" and qwerty("юг") == ".u" and qwerty("жэх") == ";'["


@pytest.mark.parametrize(("typed", "expected"), [
    ("kak popolnit schet bez komissii", "как пополнить счет без комиссии"),
    ("skolko deneg na schetu", "сколько денег на счету"),
    ("nomer dlya zvonkov iz-za granicy", "номер для звонков из-за границы"),
    ("hochu podklyuchit' avtoplatezh", "хочу подключить автоплатеж"),
    ("4to takoe obeshchannyj platyozh", "что такое обещанный платеж"),
    ("gde blizhajshij salon svyazi", "где ближайший салон связи"),
    ("obeshannyj platezh", "обещанный платеж"),
    ("4to takoe obe6annyi platej", "что такое обещанный платеж"),  # "6" for ш/щ, as "4" for ч
    ("spasibo bol6oe, vy o4en' pomogli", "спасибо большое, вы очень помогли"),
])
def test_transliterated_russian_is_read_as_russian(repairer: Repairer, typed: str, expected: str) -> None:
    read = repairer.repair(typed)
    assert (read.kind, read.lang) == ("translit", "ru")
    assert read.text == expected


@pytest.mark.parametrize(("english", "read_as"), [
    ("how do i top up my balance", None), ("need ur roaming hotline", "need your roaming hotline"),
    ("whens the best time to call u guys", "whens the best time to call you guys"),
    ("do you have odnoklassniki", None), ("my sim is blocked", None), ("ok", None), ("yes", None), ("no", None),
    ("tele2", None),
    ("whats my bal rn", "what is my balance right now"), ("in turkey nxt wk", "in turkey next week"),
    ("my balanse", None), ("blok my sim", None), ("whats the numbr", "what is the numbr"),  # English mistyped: not "мы балансе"
])
def test_english_stays_english(repairer: Repairer, english: str, read_as: str | None) -> None:
    read = repairer.repair(english)
    assert read.text == (read_as or english) and read.lang is None  # chat-speak spelt out, never Russian


def test_english_typed_on_the_russian_layout(repairer: Repairer) -> None:
    read = repairer.repair("рщц вщ ш ещз гз")
    assert (read.text, read.lang) == ("how do i top up", "en")


def test_mixed_message_converts_only_russian_in_latin(repairer: Repairer) -> None:
    assert repairer.repair("support number для москвы").text == "support number для москвы"
    assert repairer.repair("где посмотреть expenses в личном кабинете").text == "где посмотреть expenses в личном кабинете"
    read = repairer.repair("хочу popolnit счёт")
    assert read.text == "хочу пополнить счёт" and read.kind == "mixed"


def test_addresses_and_russian_are_left_alone(repairer: Repairer) -> None:
    for text in ("ivan.petrov@mail.ru", "https://tele2.ru/help", "какой у меня баланс"):
        assert repairer.repair(text).text == text


def test_greetings_and_politeness_around_a_question(repairer: Repairer) -> None:
    read = repairer.repair("Здравствуйте!!! Подскажите пожалуйста, куда звонить из роуминга, заранее спасибо большое")
    assert read.text == "Подскажите пожалуйста, куда звонить из роуминга"
    assert repairer.repair("Dear Tele2, how do I order call details? Kind regards, John").text == "how do I order call details"
    assert repairer.repair("приветики 👋 какой у меня таааариф").text == "какой у меня тариф"
    assert repairer.repair("Так можно? Спасибо большое за помощь!!").text == "Так можно"
    assert repairer.repair("Can I top up from my card? Thank you so much for your help").text == "Can I top up from my card"
    for greeting in ("привет", "добрый день", "hello there", "спасибо большое", "спасибо за помощь"):  # nothing else: kept
        assert repairer.repair(greeting).text == greeting


def test_a_lead_in_announcing_the_question_is_taken_off(repairer: Repairer) -> None:
    assert repairer.repair("добрый день, у меня вопрос, даже два, но первый: какой номер для роуминга?").text == \
        "какой номер для роуминга?"
    assert repairer.repair("quick question: how do i top up from a card").text == "how do i top up from a card"
    assert repairer.repair("вопрос такой: где детализация").text == "где детализация"
    assert repairer.repair("у меня вопрос").text == "у меня вопрос"  # nothing else: kept
    assert repairer.repair("Здравствуйте! Извините что беспокою, где детализация").text == "где детализация"


def test_translit_readings_offer_the_schemes() -> None:
    readings = translit_readings("schet")
    assert "счет" in readings and "щет" in readings
    assert "пополнить" in translit_readings("popolnit")  # a left-out soft sign
    assert len(translit_readings("shchyozhyyaya")) <= 256  # bounded


def test_a_run_of_letters_longer_than_any_word_is_not_transliterated(repairer: Repairer) -> None:
    assert repairer.best_translit("dostoprimechatelnosti")[0] == "достопримечательности"  # the long words still are
    assert repairer.best_translit("x" * (MAX_WORD + 1)) == ("", 0.0)
    assert repairer.repair("x" * 4000).kind != "translit"


@pytest.mark.parametrize(("typed", "read"), [
    ("как    пополнить \t счёт", "как пополнить счёт"), ("где\n\n\n  детализация", "где\nдетализация"),
    ("ПОЧЕМУ!!!!!!!!!!!!", "ПОЧЕМУ!!!"), ("why??????", "why???"), ("ну...", "ну..."), ("...........", "..."),
    ("1 000 000 руб", "1 000 000 руб"), ("аааааа", "аааааа"),  # letters and digits are left to the reading
])
def test_runs_of_spaces_lines_and_marks_are_squeezed(typed: str, read: str) -> None:
    assert squeeze(typed) == read


# -- tone --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "позовите кого-нибудь из людей", "дайте живого человека", "ЧЕЛОВЕКА МНЕ!", "нужен нормальный специалист",
    "can I speak to someone", "human please", "get me a real person", "talk to an agent",
])
def test_asking_for_a_person(text: str) -> None:
    assert tone(text).wants_person


@pytest.mark.parametrize("text", [
    "как позвонить оператору", "what key to press on 611 to get an operator", "номер телефона оператора теле2",
    "хочу пожаловаться на оператора", "хочу поблагодарить сотрудника",
])
def test_questions_about_operators_are_not_requests_for_one(text: str) -> None:
    assert not tone(text).wants_person


def test_anger_urgency_and_being_fed_up() -> None:
    assert tone("задолбали, ничего не работает").angry
    assert tone("ПОЧЕМУ НИКТО НЕ ОТВЕЧАЕТ В ЧАТЕ").angry  # shouting
    assert tone("this is ridiculous").angry and not tone("how do i top up").angry
    assert tone("срочно нужна помощь").urgent and tone("urgent: no signal").urgent
    assert tone("третий раз пишу одно и то же").fed_up
    assert not tone("а если никто не отвечает?").fed_up  # a hypothetical question
    assert not tone("!!!").angry  # punctuation alone says nothing


def test_complaints_and_praise() -> None:
    assert tone("хочу подать жалобу").complaint and tone("the operator was rude to me").mistreated
    assert tone("спасибо девушке из поддержки, очень выручила").praise
    assert not tone("спасибо").praise  # thanks for the bot
    assert not tone("спасибо, но оператор мне нахамил").praise


# -- context ----------------------------------------------------------------------------------------


def test_follow_ups_and_rejections() -> None:
    assert is_followup("а из-за границы?") and is_followup("and for free?") and is_followup("а ночью?")
    assert is_followup("is it free?") and not is_followup("как пополнить счёт картой без комиссии")
    assert is_followup("what will they ask me?") and is_followup("она платная?")  # a pronoun points back
    assert rejection("нет, я про другое") == (True, "")
    assert rejection("не то") == (True, "")
    assert rejection("no, I meant something else") == (True, "")
    assert rejection("nah forget that, different question") == (True, "")  # "forget that" before it
    assert rejection("нет, забудь, другой вопрос") == (True, "")
    assert rejection("forget that") == (False, "forget that")
    assert rejection("нет, не то, мне нужен оператор") == (True, "мне нужен оператор")
    assert rejection("нет денег на счету")[0] is False
    for text in ("нет-нет, я спрашивала совсем не это", "nope, different question", "no no, not that",
                 "не, я имел в виду другое", "that is not what i asked"):
        assert rejection(text) == (True, ""), text
    assert rejection("different question: how do i top up") == (True, "how do i top up")
    for text in ("да нет же, вопрос другой", "вопрос был вообще другой", "нет же, не то"):
        assert rejection(text) == (True, ""), text
    assert rejection("у меня другой вопрос: как пополнить счёт") == (True, "как пополнить счёт")
    assert not rejection("нет интернета")[0] and not rejection("no internet")[0]
    assert bare_no("нет") and bare_no("No.") and not bare_no("нет денег")
    # the rejection said twice in other words, or with "forget it": still nothing more to read
    for text in ("nah that's not it, i mean something else", "no, not that, forget it, different question",
                 "не то, забудьте, я про другое"):
        assert rejection(text) == (True, ""), text
    assert rejection("no, not that, forget it, how do I top up") == (True, "how do I top up")
    assert which_ones("which ones exactly? like my email?") and which_ones("а какие именно?")
    assert not which_ones("какие услуги у меня подключены")
    assert documents_only("а паспорт нужен?") and documents_only("do I need to bring anything?")
    assert not documents_only("what do I need to bring to replace a SIM?")  # a purpose: a subject of its own
    assert owner_only("а номер на отца оформлен, это проблема?") and owner_only("what if the number is in my mom's name")
    for text in ("не, я не про тариф, другое спросить хотел", "нет, подожди, я другое хотел спросить"):
        assert rejection(text) == (True, ""), text


def test_two_questions_in_one_message() -> None:
    assert questions("какой номер поддержки? и как пополнить счёт?") == ["какой номер поддержки", "и как пополнить счёт"]
    assert questions("two things: how do I change my tariff and how do I see my expenses") == [
        "how do I change my tariff", "how do I see my expenses"]
    assert questions("как позвонить в поддержку") == []
    text = "где взять настройки ммс? автоматически не пришли"
    assert [asked(text, part) for part in questions(text)] == [True, False]  # the tail asks nothing
    # numbered ("1) … 2) …"), however little punctuation there is
    assert questions("ran out again. 1) how do I check what's left 2) can I switch to a plan with more minutes?? thx") == [
        "ran out again", "how do I check what's left", "can I switch to a plan with more minutes"]
    assert questions("стоит 1) рубль") == []  # one part of two words at most: no list


def test_english_chat_speak_is_spelt_out(repairer: Repairer) -> None:
    assert repairer.repair("what can u do").text == "what can you do"
    assert repairer.repair("whats ur number for the acc").text == "what is your number for the account"
    assert repairer.repair("u menya ne rabotaet internet").text.startswith("у меня")  # Russian in Latin stays Russian
    assert repairer.repair("send the code 2 my phone").text == "send the code to my phone"
    assert repairer.repair("is there a plan 4 me").text == "is there a plan for me"
    assert repairer.repair("buy 2 gb for my number").text == "buy 2 gb for my number"  # a count stays
    assert repairer.repair("waited 4ever for an sms, will try again tmrw").text == \
        "waited forever for an sms, will try again tomorrow"
    assert repairer.repair("my 4g is slow").text == "my 4g is slow"  # only whole chat-speak words
    assert repairer.repair("nothin workin since mornin").text == "nothing working since morning"  # dropped g
    assert repairer.repair("my cousin lives in berlin").text == "my cousin lives in berlin"  # real -in words stay
    assert repairer.repair("how do i unsub from it").text == "how do i unsubscribe from it"
    assert repairer.repair("lemme top up real quick, how").text == "let me top up , how"  # only colour, left out
    assert repairer.repair("ngl this plan is great lol").text == "this plan is great"
    assert repairer.repair("is the real person there").text == "is the real person there"


def test_a_writer_introducing_themselves_is_read_for_the_question(repairer: Repairer) -> None:
    read = repairer.repair("Меня зовут Галина Петровна. Мне 72 года. Как посмотреть, сколько денег на телефоне?")
    assert read.text == "Как посмотреть, сколько денег на телефоне?"
    assert repairer.repair("My name is Tom. I'm 70 years old. How do I check my balance?").text == "How do I check my balance?"
    assert repairer.repair("меня зовут Мария").text == "меня зовут Мария"  # nothing else: left as it is


def test_the_question_announced_in_the_middle_of_a_story_is_read(repairer: Repairer) -> None:
    read = repairer.repair("ok long story, my dad's number was in his name, mum uses it now, anyway that's not my question. "
                           "My question is: how do I order call details for last month")
    assert read.text == "how do I order call details for last month"
    read = repairer.repair("сын в армии, телефон оставил мне, долго рассказывать, но вопрос вот в чём: как узнать остаток минут")
    assert read.text == "как узнать остаток минут"
    assert repairer.repair("the question is simple").text == "the question is simple"  # nothing after it: as it was


def test_russian_spoken_spellings_are_read_as_the_word(repairer: Repairer) -> None:
    assert repairer.repair("как узнать скок гигов осталось").text == "как узнать сколько гигов осталось"
    assert repairer.repair("када придут деньги").text == "когда придут деньги"
    assert repairer.repair("skoka deneg na schetu").text == "сколько денег на счету"  # after the transliteration too
    assert repairer.repair("скоростной интернет").text == "скоростной интернет"  # only whole words
    assert repairer.repair("посеял симку, как заблочить").text == "потерял симку, как заблокировать"
    assert repairer.repair("как вырубить подписку, снимает по 10 рэ").text == "как отключить подписку, снимает по 10 руб"


def test_a_rejection_after_a_particle_and_support_that_read_and_said_nothing() -> None:
    assert rejection("да нет же, я спрашивала совсем не это") == (True, "")
    assert rejection("no no, not that, something else entirely") == (True, "")  # only stressed
    assert rejection("нет, не то, совсем другое") == (True, "")
    mood = tone("В вашу группу ВК написал неделю назад — прочитано и тишина. Это так у вас поддержка в соцсетях работает?")
    assert mood.complaint or mood.mistreated
    assert not (tone("как у вас работает поддержка в соцсетях?").mistreated)
    assert tone("Написала вам в Телеграм пять дней назад — тишина. Вы там вообще отвечаете?").mistreated
    assert not tone("вы вообще читаете что я пишу?!").mistreated  # the bot, in this chat: no complaint to file
    assert not tone("вы отвечаете в выходные?").mistreated


def test_the_same_failure_every_time_and_nobody_there_is_being_fed_up() -> None:
    assert tone("Сорок минут висел на 611 под музыку, потом сброс. И так каждый рейс. Хоть кто-то у вас работает??").fed_up
    assert tone("is anyone even working there? third evening with no signal").fed_up
    assert not tone("кто-то у вас работает в воскресенье?").fed_up


def test_dictated_punctuation_is_put_as_marks() -> None:
    from intents.repair import undictate

    assert undictate("добрый день запятая у меня вопрос точка как пополнить счёт вопросительный знак") == \
        "добрый день, у меня вопрос. как пополнить счёт?"
    assert undictate("hi comma my sim is broken full stop where do i get a new one question mark") == \
        "hi, my sim is broken. where do i get a new one?"
    # "точка" and "period" are words too, unless the message was dictated
    assert undictate("где ближайшая торговая точка") == "где ближайшая торговая точка"
    assert undictate("what is the billing period") == "what is the billing period"

