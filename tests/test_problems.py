"""A reported problem the bot did not understand word for word starts the self-diagnosis
(`intents/problems.py`)."""

from __future__ import annotations

import pytest
from conftest import ChatClient

from intents.problems import money_gone, reported_problem
from knowledge.model import KnowledgeBase

pytestmark = pytest.mark.wording


@pytest.mark.parametrize("text, kind", [
    ("no signal and no data since lunch", None),  # two kinds named: the diagnosis asks which
    ("no signal on my phone since lunch", "calls"),
    ("сегодня с утра входящие не проходят совсем!", "calls"),
    ("инет не пашет с утра что делать", "internet"),
    ("Интернета нет пятые сутки, звонки через слово.", None),
    ("my Tele2 number suddenly can not call out, only receive", "calls"),
    ("my phone can receive but outgoing won't go through since morning", "calls"),
    ("деньги с баланса куда-то пропали", "money"),
    ("mobile data stopped working after the update", "internet"),
    ("смски не уходят второй день", "sms"),
    ("с карты списали 300 рублей, а на балансе ноль, где деньги?", "money"),
    ("wheres all my money gone, had 500 yesterday", "money"),
    ("плачу 600 в месяц, а страница грузится минуту", "internet"),  # a line that crawls is a fault too
    ("инет тормозит весь день", "internet"),
    ("internet ded again smh", "internet"),
    ("у мамы телефон перестал ловить интернет", "internet"),
    ("you cut off my internet in the middle of my exam", "internet"),  # cut off without a word
    ("отключили интернет посреди дня", "internet"),
    ("пополнила вчера через банк, до сих пор не пришли, номер в минусе", "money"),  # a top-up that never came
    ("не приходят смс от банка", "sms"),
    ("в личном кабинете не работает пополнение", "money"),  # "кабинет" is no "инет"
    # support named in another sentence rules out only that one
    ("Since this morning my texts just won't send. Also, is there an English-speaking operator?", "sms"),
    ("calls keep droppin every few mins", "calls"),  # the g dropped in a hurry
    ("my texts haven't gone through since Friday", "sms"),
    ("net not working since morning", "internet"),  # "net" is the internet
    ("без связи с утра, ни позвонить ни смс отправить", None),
    ("my number got blocked out of nowhere", "blocked"),
    ("mobile data not workin since lunch", "internet"),
    ("интернет отваливается каждые пять минут", "internet"),  # drops out
    ("мне не могут дозвониться, говорят «абонент недоступен», а телефон включён", "calls"),  # callers can't get through
    # "чат" inside a word ("достучаться", "получать") is no chat with support
    ("звонки обрываются, клиенты не могут до меня достучаться", "calls"),
    ("смски от банка перестал получать, не приходят совсем", "sms"),
])
def test_a_fault_of_the_line_is_a_reported_problem(text: str, kind: str | None) -> None:
    assert reported_problem(text) == (True, kind)


@pytest.mark.parametrize("text", [
    "не могу дозвониться до оператора",  # support itself, not the line
    "Привет. Чат поддержки не работает второй день",
    "Перевела другу деньги по СБП час назад, у него до сих пор не пришли",  # the bank's transfer, not our line
    "почему в метро пропадает связь",  # coverage in one place
    "почему звонки сбрасываются через минуту разговора",  # why the network does so, in general
    "как подключить интернет на телефоне",  # nothing broken
    "когда списывается абонентская плата? хочу пополнять заранее, чтобы не уходить в минус",  # a purpose, no fault
    "Для пожилого монаха нужен тариф совсем без интернета, только звонки. Есть у вас такой?",  # a line wished for
    "is there a plan with no data for my gran?",
    "На Волге связь на воде пропадает. Продаёте усилители сигнала для лодки?",  # coverage on the water
    "есть у вас защита, чтобы звонки мошенников ко мне не проходили?",  # wished, not told
    "wanna see where all my money went last month, like by category",  # to be seen, not gone
])
def test_what_is_no_fault_of_the_line_is_not(text: str) -> None:
    assert reported_problem(text) == (False, None)


@pytest.mark.parametrize("text, problem", [
    ("calls keep dropping every couple of minutes since yesterday", "calls"),
    ("тупо нет сети с утра, перезагружал два раза", "calls"),
])
async def test_a_problem_in_words_the_base_does_not_know_starts_the_diagnosis(bot: ChatClient, text: str,
                                                                                problem: str) -> None:
    out = await bot.say(text)
    assert out.action == "diagnose" and out.intent == f"problem-{problem}", out.text


@pytest.mark.parametrize("text", ["Very urgent! My SIM stop working, no signal since morning, my clients cannot call me!!",
                                  "my SIM stop working since the morning, please help"])
async def test_a_sim_that_stopped_working_is_checked_not_blocked(bot: ChatClient, text: str) -> None:
    """However alike the words ("stop my sim from working, it's lost"), a SIM that stopped working is no SIM to block."""
    out = await bot.say(text)
    assert out.action == "diagnose", out.text
    other = ChatClient(bot.runtime, user="u2")
    assert (await other.say("my sim was stolen, stop it from working")).action == "block_sim"


@pytest.mark.parametrize("text, kind", [
    ("calls keep dropping every couple of minutes, this is garbage", "calls"),
    ("you are useless, cant get any data", "internet"),
    ("кошмар, интернет в роуминге не работает", "internet"),
])
async def test_venting_about_a_fault_gets_the_operator_offered_and_the_check_of_the_line_as_a_button(
        bot: ChatClient, kb: KnowledgeBase, text: str, kind: str) -> None:
    """Anger: one empathetic line and the operator offer (issue 11), not a login first; checking the line
    is one press away."""
    out = await bot.say(text)
    assert out.action is None and out.outcome == "offer", out.text
    payloads = [b.payload for r in out.replies for b in r.buttons]
    assert payloads == ["op:yes", "op:no", f"kb:problem-{kind}"]
    pressed = await bot.press(f"kb:problem-{kind}")
    assert pressed.action == "diagnose", pressed.text


async def test_fed_up_with_a_fault_gets_the_operator_offered_not_a_login(bot: ChatClient) -> None:
    out = await bot.say("third day in a row my calls keep dropping, i'm done")
    assert out.action is None and out.outcome == "offer", out.text


@pytest.mark.parametrize("text", ["my balance shows -150 and I barely called anyone", "что жрёт деньги на счету?",
                                  "I topped up 1000 an hour ago and it's still not there", "пополнила на 500, а деньги не пришли",
                                  "another mystery charge on my bill",
                                  "какой у меня баланс, ушёл в минус, а я ничего не тратил",
                                  "show my balance, i topped up 500 yesterday and now its zero",
                                  "why was i charged twice for my monthly plan, i want that money back",
                                  "why is my balance -120? I haven't even used the phone",
                                  "баланс минус, а я даже не пользовался телефоном",
                                  "Молодой человек, или кто вы там, робот? Объясните мне по-человечески, куда с моего счёта "
                                  "делись 300 рублей за неделю! Я только внучке звоню."])
async def test_money_gone_unspent_is_checked_not_only_shown(bot: ChatClient, text: str) -> None:
    """Asked as a balance question, but the money went without the writer spending it: the
    diagnosis (where the money went), not the balance alone."""
    out = await bot.say(text)
    assert out.action == "diagnose" and out.intent == "problem-money", out.text


@pytest.mark.parametrize("text", ["please don't cut off my internet, I will pay tomorrow", "не отключили интернет, спасибо",
                                  "gb almost gone lol, can i grab more", "гигов почти не осталось"])
def test_a_plea_not_to_be_cut_off_is_no_fault(text: str) -> None:
    assert reported_problem(text) == (False, None)


@pytest.mark.parametrize("text", ["какой у меня баланс", "how do i top up my balance", "пополнил счёт, спасибо",
                                  "can I go into a negative balance with a promised payment?",
                                  "611 платный или бесплатный? не хочу, чтобы с баланса сняли"])  # a wish, not told
def test_a_plain_balance_question_is_no_money_gone(text: str) -> None:
    assert not money_gone(text)


@pytest.mark.parametrize("text, kind", [
    ("cant get any data rn wtf", "internet"),
    ("calls keep dropping every couple of minutes smh", "calls"),
    ("блин, смски не уходят с утра", "sms"),
])
async def test_a_fault_told_in_everyday_exasperation_is_checked_with_a_person_one_press_away(
        bot: ChatClient, kb: KnowledgeBase, text: str, kind: str) -> None:
    """"wtf", "smh", "блин": vexed with the fault, not angry with anyone — the check of the line, with the
    empathetic line and the operator button."""
    out = await bot.say(text)
    assert out.action == "diagnose" and out.intent == f"problem-{kind}", out.text
    assert out.text.startswith(kb.message("empathy", "ru" if "блин" in text else "en"))
    assert "operator" in [b.payload for r in out.replies for b in r.buttons]


def test_a_friends_transfer_through_a_bank_is_no_money_gone() -> None:
    assert not money_gone("Перевела другу деньги по СБП час назад, у него до сих пор не пришли")


@pytest.mark.parametrize("text", ["абонентку сняли два раза за один месяц, почему?",
                                  "за май дважды сняли плату за тариф",
                                  "закинул утром 300, сейчас на счету 40. куда деньги делись?",
                                  "куда мои 200 рублей испарились за ночь",
                                  "ничего не качала и никуда не звонила, а баланс в минусе",
                                  "объясните, куда с моего счёта делись 300 рублей за неделю!",
                                  "I top up 500 rubles on monday and today my balance is zero"])
def test_money_taken_twice_or_gone_in_other_words_is_money_gone(text: str) -> None:
    assert money_gone(text) or reported_problem(text)[0]


def test_never_calling_anyone_is_no_fault_of_calls() -> None:
    """"никуда не звонил" says the money was not spent on calls; it is no report that calls fail."""
    told, kind = reported_problem("никуда не звонил, а денег нет. куда ушли деньги?")
    assert told and kind == "money"


async def test_a_balance_that_reads_112_is_no_emergency_number(bot: ChatClient) -> None:
    out = await bot.say("пополнила вчера 500, а сегодня на счету 112. ничего не тратила")
    assert out.action == "diagnose", out.text


@pytest.mark.parametrize("text", ["my car battery's dead and it's freezing, who do I call", "the battery is dead on my laptop"])
def test_a_dead_battery_is_no_fault_of_the_line(text: str) -> None:
    assert reported_problem(text) == (False, None)


@pytest.mark.parametrize("text", ["some app thing is billing me daily and i never signed up for it",
                                  "списывают за какую-то подписку, я её не подключала",
                                  "перевела через банк 700, с карты списали, а на счёт не поступило",
                                  "balance keeps dropping though i didn't even use the phone"])
def test_paying_for_what_one_never_ordered_or_a_top_up_not_credited_is_money_gone(text: str) -> None:
    assert money_gone(text)


def test_a_call_to_make_is_no_call_that_fails() -> None:
    """"мне звонить" holds "не звонить" inside a word: no fault of calls told."""
    assert reported_problem("через час мне звонить в банк, какой у меня баланс?") == (False, None)


@pytest.mark.parametrize("text", ["через 15 минут мне звонить в банк, а на балансе минус 50. Выручите как-нибудь?",
                                  "мне звонить на собеседование через час, а баланс минус 20. помогите"])
async def test_a_call_to_make_now_with_the_balance_below_zero_is_the_promised_payment(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action == "promised_payment", out.text


@pytest.mark.parametrize("text", ["how did 15 GB vanish in four days? I hardly stream anything",
                                  "вчера докупил пакет гигов, а сегодня уже пишет что трафик закончился"])
async def test_data_gone_faster_than_it_could_is_checked_not_sold_again(bot: ChatClient, text: str) -> None:
    assert reported_problem(text)[0]
    out = await bot.say(text)
    assert out.action != "buy_package", out.text


async def test_more_data_asked_for_after_it_ran_out_is_still_sold(bot: ChatClient) -> None:
    out = await bot.say("my data is gone and I need more gigs right now for a video call, how do I buy some more?")
    assert out.action == "buy_package" or out.intent in ("do-buy-package", "lk-tariff"), out.text


@pytest.mark.parametrize("text", ["got charged 4 smth i didnt buy", "they charged me for an app i did not order"])
async def test_charged_for_what_one_did_not_buy_is_checked_not_declined(bot: ChatClient, text: str) -> None:
    """Few words of ours, but money taken: the check of where it went, not "I only answer questions about Tele2"."""
    out = await bot.say(text)
    assert out.action == "diagnose", out.text


@pytest.mark.parametrize("text", ["amazon charged me for something i didn't order",
                                  "сбербанк списал дважды за одну покупку, что делать",
                                  "my netflix charged me twice this month, how do I get a refund"])
async def test_money_another_company_took_is_theirs(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action is None and out.intent not in ("refund", "problem-money"), out.text


async def test_a_top_up_through_a_bank_that_never_arrived_is_ours(bot: ChatClient) -> None:
    out = await bot.say("пополнил через сбербанк 500, а на счёт не пришло")
    assert out.action == "diagnose", out.text


@pytest.mark.parametrize("text", ["had 400 yesterday now 50", "вчера было 300 рублей, а сегодня уже 20",
                                  "пополнила на 500, на счету как был ноль так и есть",
                                  "i topped up but my balance hasn't changed", "what happened to my money??",
                                  "что случилось с моими деньгами", "dont recognise a charge on my acct, 150 rub just gone",
                                  "got a weird charge, wtf is it", "у меня на счету минус 50 и ничего не звонит"])
def test_the_balance_told_before_and_after_or_unmoved_by_a_top_up_is_money_gone(text: str) -> None:
    assert money_gone(text)


@pytest.mark.parametrize("text", ["было 20 гб, а сейчас 2", "had 10 gb yesterday now 1 gb", "в 2019 было 3 сим-карты"])
def test_gigabytes_told_before_and_after_are_no_money_gone(text: str) -> None:
    assert not money_gone(text)


async def test_money_gone_is_checked_whatever_else_the_words_resemble(bot: ChatClient) -> None:
    """The words of "what happened … yesterday" resemble a stolen phone; the money named is what was asked."""
    out = await bot.say("wat happened to my money?? had 400 yesterday now 50")
    assert out.action == "diagnose", out.text


async def test_a_speed_test_told_as_proof_of_a_slow_line_is_checked(bot: ChatClient) -> None:
    out = await bot.say("my internet has been crawling for like a week, youtube won't go past 240p, speedtest says 0.3 mbps, "
                        "already restarted the phone 5 times. what now")
    assert out.action == "diagnose", out.text
    other = ChatClient(bot.runtime, user="u2")  # the speed asked, no fault told: a subject the base does not describe
    assert (await other.say("what speed does 4g give on your network?")).action != "diagnose"


@pytest.mark.parametrize("text, kind", [("У меня эфир через 20 минут, а мобильный интернет ползёт как черепаха", "internet"),
                                        ("Внучок положил мне деньги на телефон ещё в пятницу, а их нету", "money")])
def test_a_crawling_line_or_money_put_on_and_not_there_is_a_fault(text: str, kind: str) -> None:
    if kind == "money":
        assert money_gone(text)
    else:
        assert reported_problem(text) == (True, kind)


async def test_money_gone_told_beside_the_question_read_is_still_checked(bot: ChatClient) -> None:
    """Only "what even is this" is read as a question; the mystery charge told before it is what is meant."""
    out = await bot.say("oh great, another mystery charge on my bill. love paying for stuff i never ordered. what even is this")
    assert out.action == "diagnose" or out.outcome == "offer", out.text


def test_a_fault_turned_against_a_place_is_still_a_fault() -> None:
    """"на даче связь то есть то нет" is the coverage of a place; "а сегодня вообще интернет пропал" is a fault."""
    assert reported_problem("на даче связь то есть то нет, а сегодня вообще интернет пропал, ни одна страница не грузится") \
        == (True, "internet")
    assert reported_problem("на даче связь то есть то нет") == (False, None)


async def test_callers_not_getting_through_to_one_is_the_lines_fault_not_a_wait_for_support(bot: ChatClient) -> None:
    out = await bot.say("I run a small bakery and use a Tele2 number for orders. Customers say they can't get through to me "
                        "for 2 days, calls just drop. what's going on with my line?")
    assert out.action == "diagnose", out.text
    other = ChatClient(bot.runtime, user="u2")  # support itself not reached: the wait
    assert (await other.say("can't get through to support on 611 for an hour")).action != "diagnose"
    # … told in a sentence of its own beside the fault, in a hurry
    third = ChatClient(bot.runtime, user="u3")
    out = await third.say("У меня группа ждёт на склоне, а звонки обрываются каждую минуту! Мне клиенты не могут "
                          "дозвониться, помогите срочно, пожалуйста")
    assert out.intent != "cant-get-through" and (out.action == "diagnose" or out.outcome in ("offer", "handoff")), out.text


async def test_a_fault_told_beside_a_plea_that_asks_nothing_of_ours_is_checked(bot: ChatClient) -> None:
    out = await bot.say("8 марта, у меня цветочный, весь день заказы по телефону, а звонки обрываются через 10 секунд!!! "
                        "я теряю деньги прямо сейчас, сделайте что-нибудь")
    assert out.action == "diagnose", out.text


async def test_a_follow_up_that_tells_no_fault_is_not_read_into_one(bot: ChatClient) -> None:
    """Read with "на что трачу деньги", "а по каждому звонку отдельно?" leans to money gone; it tells no fault."""
    assert (await bot.say("где посмотреть на что трачу деньги")).intent == "lk-expenses"
    out = await bot.say("а по каждому звонку отдельно можно?")
    assert out.action != "diagnose" and not (out.intent or "").startswith("problem-"), out.text


async def test_a_fault_said_only_to_have_lasted_is_checked_not_only_handed_over(bot: ChatClient) -> None:
    """"второй день не ловит связь": upset only in how long it has lasted — the check of the line, a person at hand."""
    out = await bot.say("второй день не ловит связь")
    assert out.action == "diagnose", out.text
    assert "operator" in [b.payload for b in out.buttons]


async def test_a_wish_in_the_words_of_a_fault_is_no_check_of_the_line(bot: ChatClient) -> None:
    out = await bot.say("Есть у вас такая услуга, чтобы звонки с незнакомых номеров ко мне не проходили? И сколько это стоит?")
    assert out.action != "diagnose" and not (out.intent or "").startswith("problem-"), out.text


@pytest.mark.parametrize("text", [
    "Хочу делать смс-рассылку клиентам своего автосервиса. Сколько сообщений в день можно отправить с обычного "
    "номера, чтобы не заблокировали?",
    "how many texts a day can I send from my number so that it doesn't get blocked for spam?",
])
async def test_a_question_with_only_a_wish_against_a_fault_starts_no_check(bot: ChatClient, text: str) -> None:
    """No fault is told, only one wished away ("…чтобы не заблокировали"): no diagnosis of the line."""
    out = await bot.say(text)
    assert out.action != "diagnose" and not (out.intent or "").startswith("problem-"), out.text


async def test_a_tourists_line_that_broke_is_checked_not_declined_as_a_sim_for_tourists(bot: ChatClient) -> None:
    out = await bot.say("hello. I am tour leader, 25 chinese tourists with me in St Petersburg. my Tele2 number suddenly "
                        "can not call out, only receive. very urgent, tomorrow we go to Moscow. what happen? also where is "
                        "Tele2 office near Hermitage")
    assert out.action == "diagnose", out.text


@pytest.mark.parametrize("text", ["data's been dead since this morning, no 4g no nothing",
                                  "Texts won't send. Nothing. Restarted the phone five times. I'm losing my mind here"])
async def test_a_fault_told_in_venting_is_checked(bot: ChatClient, kb: KnowledgeBase, text: str) -> None:
    out = await bot.say(text)
    assert out.action == "diagnose", out.text
    assert out.text.startswith(kb.message("empathy", "en"))  # with the empathetic line and a person one press away
    assert "operator" in [b.payload for r in out.replies for b in r.buttons]
