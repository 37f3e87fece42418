"""The learned tone model (`intents/tonemodel.py`) and how `tone()` uses it."""

from __future__ import annotations

import pytest
import yaml
from conftest import ChatClient

from intents import tonemodel
from intents.tone import asks_beyond_thanks, asks_something, names_staff, only_lasting, only_mildly_vexed, tone
from knowledge import loader

# what tone() reads from text touches no database; the few tests through the bot are `wording` too
pytestmark = pytest.mark.storage_free


def test_the_shipped_tone_model_is_trained_on_the_shipped_files() -> None:
    model = tonemodel.shipped()
    assert model is not None, "knowledge/tone.npz is missing: run `supportbot kb train`"
    texts, labels = tonemodel.examples(yaml.safe_load((loader.SHIPPED / "tone.yaml").read_text(encoding="utf-8")),
                                       tonemodel.calm_texts(loader.load()))
    assert model.digest == tonemodel.digest(texts, labels), "tone.yaml or the examples changed: run `supportbot kb train`"
    assert set(model.thresholds) == set(tonemodel.KINDS)
    assert all(0.5 <= t <= 0.95 for t in model.thresholds.values())


def test_the_model_reads_the_same_after_a_round_trip() -> None:
    model = tonemodel.shipped()
    assert model is not None
    again = tonemodel.ToneModel.from_bytes(model.to_bytes())
    text = "консультантка смотрела на меня как на пустое место"
    assert again.probabilities(text) == pytest.approx(model.probabilities(text), abs=1e-6)


# wordings that are in none of the expressions nor in tone.yaml
@pytest.mark.parametrize("text", [
    "продавец в салоне на Ленина был хамоватым и несговорчивым",
    "консультантка смотрела на меня как на пустое место",
    "the woman at your kiosk was snotty and impatient",
    # one's details told to someone else, a link instead of an answer, a name written wrong, passed round
    "Сотрудница продиктовала моей свекрови мою детализацию, хотя номер на мне!",
    "Консультант в чате дважды прислал одну и ту же статью вместо ответа",
    "the guy at the shop registered my SIM with typos in my name, now the bank rejects it",
    "в салоне говорят звоните на горячую линию, на линии говорят идите в салон. футбол какой-то",
    # laughed at, a reprimand asked for, left without an answer and asked whether that is normal, a breach, help refused
    "Консультант в салоне рассмеялся, когда я спросила про симку для часов. Прошу сделать ему замечание",
    "Оставил вопрос в чате, чат закрылся сам. Такое у вас нормально?",
    "Продавщица переписала мой номер паспорта себе в блокнот. Считаю это недопустимым, прошу разобраться",
    "В офисе на вокзале мне просто не захотели помочь с возвратом",
])
def test_a_story_of_being_badly_served_in_new_words_is_a_complaint(text: str) -> None:
    mood = tone(text)
    assert mood.mistreated and not mood.praise


@pytest.mark.parametrize("text", [
    "оператор Олег очень терпеливо помог настроить автоплатёж",
    "the chap at your store was brilliant, sorted everything",
    "оператор Ксения решила мою проблему за пять минут, огонь",
    "Дозвонился вчера, оператор Ксения за пять минут решила вопрос, который я два месяца не мог решить. Огонь девчонка",
    "Марина из поддержки — золото, выдайте ей премию",
    "консультант в салоне на Мира за десять минут разобрался с моей проблемой",
    "Оператор Руслан, вы мой герой. В 2 часа ночи помог заблокировать украденную симку. Отметьте его, пожалуйста",
    "Just wanted to say the woman who answered on 611 last night, Olga I think, was brilliant. Please pass that on.",
])
def test_praise_for_the_staff_in_new_words_is_praise(text: str) -> None:
    mood = tone(text)
    assert mood.praise and not mood.mistreated


@pytest.mark.parametrize("text", [
    "консультант ввёл меня в заблуждение насчёт тарифа",  # told the wrong thing
    "your agent gave me wrong information about roaming",
    "на письмо ответили через две недели",  # answered days late
    "they replied after 4 days, seriously",
    "курьер опоздал на три часа и даже не извинился",  # a courier is staff too
])
def test_misinformed_or_answered_days_late_is_being_badly_served(text: str) -> None:
    mood = tone(text)
    assert mood.mistreated and not mood.praise


def test_a_shout_out_to_whoever_answered_is_praise() -> None:
    mood = tone("big shout-out to whoever replied to me in the chat yesterday, so quick")
    assert mood.praise and not mood.mistreated


@pytest.mark.parametrize("text", [
    "я просто в ярости от вашей связи",
    "бл*, опять всё сломалось",
    "офигеть, опять списание",
    "пипец какой-то со связью",
    "unbelievable, charged again",
    "ну и обслуживание, ни ответа, ни привета",  # no greeting: ignored
])
def test_upset_in_everyday_swearing_and_exasperation(text: str) -> None:
    assert tone(text).upset


@pytest.mark.parametrize("text", [
    "как позвонить в поддержку с городского",
    "сколько стоит звонок на 611",
    "консультант сказал, что нужна доверенность, это так?",
    "закинули деньги на счёт, а баланс не изменился",
    "блинная рядом с салоном работает?",
    "сколько ещё гигабайт осталось",
    "how do I give up my number to my son",
    "нет, я вообще не про это",
    "напиши стишок про кота",  # "стишок" holds "шок"
    "сколько раз в день можно пополнять счёт",  # how many times: a question, not "how many times must I…"
    "как сделать, чтобы мне перезвонили из поддержки",  # "мне перезвонили" holds "не перезвонил"
    "можно ли перейти на другой тариф, чем этот",  # a comparative "чем" asks nothing
    "как расторгнуть договор на номер умершего отца",
    "а если там никто не отвечает?",  # what to do if: no anger
    "плачу 600 в месяц, сколько осталось гигов",  # "плачу": I pay
    "Здравствуйте!!! подскажите, пожалуйста, номер поддержки",  # a loud greeting is no anger
    "ЗДРАВСТВУЙТЕ ПИШУ С ТЕЛЕФОНА ДОЧЕРИ КАК УЗНАТЬ СВОЙ БАЛАНС",  # capitals alone: no shouting
    "and what if nobody answers?",
])
def test_calm_messages_stay_calm(text: str) -> None:
    mood = tone(text)
    assert not (mood.upset or mood.mistreated or mood.praise or mood.complaint)


@pytest.mark.parametrize("text", [
    "дозвонился до оператора, он слушать не стал, положил трубку на полуслове",
    "девушка на линии всё время перебивала и не дала договорить",
    "менеджер обещал перезвонить в понедельник, сегодня пятница",
    "ваш сотрудник сказал одно, в салоне другое. кто у вас учит персонал?",
    "the agent kept interrupting me and never let me finish",
    "your support guy promised me a callback last week",
    "в одном офисе сказали одно, в другом совсем другое, консультанты сами ничего не знают",
    "менеджер оформил мне не тот тариф, а теперь менять платно",
    "меня гоняют из салона в салон уже неделю",
    "the first agent said one thing, the other one said the opposite",
    "консультант отказался принимать заявление на возврат, отправил в приложение",
    "Меня три раза переключали между отделами, на четвёртом просто сбросили. Хочу, чтобы это кто-то разобрал",
    "I was put on hold 6 times during one call, and then the agent said 'please call back later'. Seriously??",
    "The guy at your shop refused to replace my broken SIM because I'm a foreigner, even though the number is in my name.",
])
def test_stories_of_staff_who_hung_up_interrupted_or_broke_a_promise_are_complaints(text: str) -> None:
    assert tone(text).mistreated


@pytest.mark.parametrize("text", [
    "если завтра не починят связь, ухожу в билайн",
    "всё, расторгаю договор, надоели",
    "fix it today or I'm switching to megafon",
    "third time in a row the calls drop, I'm done",
    "если не вернёте мои деньги, пойду в роспотребнадзор",  # a conditional threat asks nothing
])
def test_a_threat_to_leave_or_giving_up_is_upset(text: str) -> None:
    assert tone(text).upset


@pytest.mark.parametrize("text", [
    "код для входа не приходит уже полчаса",
    "жду ответа уже два часа",
    "this is the second time I write about it",
    "третий час жду ответа в чате",
    "I've called 611 four times today",
    "сколько раз вам писать одно и то же",
])
def test_waiting_long_or_again_is_fed_up(text: str) -> None:
    assert tone(text).fed_up


@pytest.mark.parametrize("text", [
    "no signal for the third day in a row",
    "в личный кабинет не могу зайти уже неделю, как восстановить вход",
    "третий день нет интернета",
])
def test_a_fault_lasting_days_is_upset_but_not_fed_up_with_support(text: str) -> None:
    # with the fault, not with support: the answer (if any) with an empathetic line, not dropped for a person
    mood = tone(text)
    assert mood.upset and not mood.fed_up


@pytest.mark.wording
async def test_a_question_about_a_fault_lasting_days_gets_its_answer_and_the_operator(bot: ChatClient) -> None:
    out = await bot.say("в личный кабинет не могу зайти уже неделю, пароль не помню. как войти?")
    assert out.intent == "lk-general", out.text
    assert "operator" in [b.payload for b in out.buttons]


def test_praise_for_the_team_names_someone_of_it() -> None:
    # the matcher's "praise" is taken for thanks to the bot only when no one of the staff is named
    assert names_staff("спасибо девушке из поддержки") and names_staff("the lady at your store was lovely")
    assert not names_staff("thx bot ur the best") and not names_staff("спасибо, вы очень помогли")


@pytest.mark.parametrize("text", [
    "спасибо, теле2, что списали 200 рублей ни за что, отличный сервис",
    "thanks a lot for charging me for nothing, brilliant",
])
def test_thanks_for_money_taken_is_sarcasm(text: str) -> None:
    assert tone(text).angry and not tone(text).praise


@pytest.mark.parametrize("text", [
    "Спасибо огромное, ваш чат на сайте — просто шедевр. Двадцать минут висит «оператор подключится». Когда, подскажите?",
    "Great job Tele2, really. 45 minutes on hold at 611 and then the line just died. Thanks a lot. Is there ANY way to reach "
    "an actual person?",
    "Записался в салон на 14:00, приехал — меня в списке нет. Уехал ни с чем. Отличная система, ничего не скажешь",
])
def test_thanks_for_being_kept_waiting_or_cut_off_is_sarcasm(text: str) -> None:
    mood = tone(text)
    assert mood.angry and not mood.praise


@pytest.mark.parametrize("text", [
    "Вопросов у меня нет. Есть только злость. Пятнадцать лет с вами, и такого бардака, как последние полгода, не было.",
    "Интернета нет пятые сутки. Вы вообще помните, что у вас тут абоненты есть?",
])
def test_anger_in_new_words_is_anger(text: str) -> None:
    mood = tone(text)
    assert mood.angry and not mood.praise


async def test_sarcastic_thanks_gets_no_thanks_back(bot: ChatClient) -> None:
    out = await bot.say("Great job Tele2, really. 45 minutes on hold at 611 and then the line just died. Thanks a lot. "
                        "Is there ANY way to reach an actual person that works?")
    assert out.intent not in ("thanks", "praise"), out.text


@pytest.mark.parametrize("text", ["спасибо, вы очень помогли!", "спасибо большое, вы очень помогли!",
                                  "which number should I use from her landline? I'd hate to run up her bill.",
                                  "I would hate to bother you at night"])
def test_short_loud_thanks_is_no_anger(text: str) -> None:
    assert not tone(text).angry and not tone(text).vents


async def test_thanks_typed_in_latin_letters_is_thanks(bot: ChatClient) -> None:
    out = await bot.say("spasibo bol6oe, vy o4en' pomogli!")
    assert out.intent == "thanks", out.text


def test_thanks_with_a_question_about_charges_is_no_sarcasm() -> None:
    assert not tone("спасибо, подскажите как снять деньги со счёта").angry


@pytest.mark.parametrize("text", [
    "маме 80 лет, она подписалась на что-то платное, как это отключить, она уже плачет",
    "I'm panicking, my daughter abroad can't call me",
    "pls pls I need help right now",
])
def test_someone_in_distress_is_urgent(text: str) -> None:
    assert tone(text).urgent


def test_a_staff_story_that_came_to_nothing_is_no_praise() -> None:
    mood = tone("Your support agent said my problem was fixed and closed the ticket. It wasn't, and nobody called back.")
    assert not mood.praise


def test_capitals_with_an_exclamation_are_shouting() -> None:
    assert tone("ВЕРНИТЕ МОИ ДЕНЬГИ НЕМЕДЛЕННО!").upset


def test_asking_for_live_people_in_any_words_wants_a_person() -> None:
    assert tone("чат висит, по телефону не дозвониться. есть тут вообще живые люди?").wants_person


def test_would_like_to_know_asks() -> None:
    assert asks_something("I would like to know whether your support works on holidays")
    assert asks_something("хотела бы уточнить, работает ли поддержка ночью")


@pytest.mark.parametrize("text", ["who can I escalate this to?", "как дойти до вашего руководства с этим вопросом"])
def test_escalating_is_a_complaint(text: str) -> None:
    assert tone(text).complaint


def test_is_anyone_working_asks_for_a_person() -> None:
    assert tone("the chat has said connecting for an hour. is anyone actually working today?").wants_person



@pytest.mark.parametrize("text", [
    "мне перезвонили по обращению только через неделю вместо обещанных суток",
    "не нравится, как со мной разговаривали в салоне",
])
def test_called_back_days_late_or_disliking_how_one_was_treated_is_being_badly_served(text: str) -> None:
    assert tone(text).mistreated


def test_reporting_a_member_of_staff_is_a_complaint() -> None:
    assert tone("I'd like to report a member of staff at your shop").complaint


@pytest.mark.parametrize("text", ["thanks to the lady from the online chat, she fixed everything",
                                  "спасибо девушке из чата, всё решила за минуту"])
def test_praise_for_someone_of_the_chat_is_praise(text: str) -> None:
    assert tone(text).praise


def test_a_relative_who_in_praise_asks_nothing() -> None:
    assert not asks_beyond_thanks("huge thanks to the girl at the store on Arbat who helped my mum")
    assert asks_beyond_thanks("thanks! who do I call about roaming?")
    assert asks_beyond_thanks("thanks to the agent, tell me who to call next")


@pytest.mark.parametrize("text", ["does anybody even read this chat?", "кто-нибудь вообще читает эти сообщения?"])
def test_asking_whether_anyone_reads_wants_a_person(text: str) -> None:
    assert tone(text).wants_person


def test_hours_of_waiting_for_something_else_are_no_anger_with_support() -> None:
    assert not tone("я третий час в аэропорту, рейс задержали, как написать вам из-за границы?").fed_up
    assert tone("второй час вишу на линии").fed_up


def test_again_alone_is_everyday_exasperation() -> None:
    assert only_mildly_vexed("ну вот опять, интернет еле грузит. что не так??")
    assert not only_mildly_vexed("опять не работает интернет, вы издеваетесь?!")
    assert only_mildly_vexed("щас в городе стою и не грузит ничего уже три часа. чё за фигня")  # vexed with the thing
    assert only_mildly_vexed("как вырубить эту хрень подписку")


def test_upset_only_in_how_long_it_lasted() -> None:
    assert only_lasting("собака второй день не ест, что делать?")
    assert not only_lasting("третий день нет интернета, это кошмар")
    assert not only_lasting("как пополнить счёт")


@pytest.mark.parametrize("text", ["не приходит код из смс для входа в личный кабинет", "the login code never arrives",
                                  "i don't get the sms code to log in"])
def test_a_login_code_that_never_comes_needs_a_person(text: str) -> None:
    assert tone(text).fed_up  # support's own door is shut: the operator, not the entry on logging in


def test_a_code_asked_for_at_login_is_no_code_missing() -> None:
    assert not tone("можно ли сделать, чтобы при входе в кабинет ещё код спрашивали?").fed_up


@pytest.mark.parametrize("text", ["Put me through to a supervisor.", "хочу поговорить с руководством",
                                  "требую старшего смены", "transfer me to a manager now"])
def test_asking_for_a_supervisor_wants_a_person(text: str) -> None:
    assert tone(text).wants_person


@pytest.mark.parametrize("text", ["If my internet isn't back by tonight I'm filing a complaint with the regulator.",
                                  "если не вернёте деньги, пожалуюсь в роспотребнадзор"])
def test_a_complaint_threatened_to_someone_outside_is_anger_not_a_complaint_to_us(text: str) -> None:
    mood = tone(text)
    assert mood.angry and mood.elsewhere and not mood.complaint


@pytest.mark.wording
async def test_a_complaint_threatened_to_the_regulator_gets_the_operator_offered_not_the_complaint_form(
        bot: ChatClient) -> None:
    out = await bot.say("If my internet isn't back by tonight I'm filing a complaint with the regulator.")
    assert out.outcome == "offer" and out.action != "feedback", out.text


@pytest.mark.parametrize("text", ["Оператор сказал: «это не наша проблема». Прошу передать это его руководителю.",
                                  "The agent said it's not our problem. Please pass this on to his manager."])
def test_not_our_problem_and_passing_it_to_the_manager_is_a_complaint(text: str) -> None:
    mood = tone(text)
    assert mood.complaint or mood.mistreated


@pytest.mark.parametrize("text", ["my texts don't send and nobody cares", "пишу третий день, всем плевать"])
def test_nobody_cares_is_anger(text: str) -> None:
    assert tone(text).angry


def test_how_to_complain_about_it_is_a_complaint() -> None:
    assert tone("оператор в чате закрыл диалог посреди разговора, куда на это жаловаться?").complaint


def test_someone_who_understands_nothing_is_no_anger_at_the_bot() -> None:
    assert not tone("вопрос от дедушки, который ничего не понимает в телефонах: где посмотреть баланс?").fed_up
    assert tone("ваш бот ничего не понимает").fed_up


def test_leaving_a_review_of_a_shop_is_a_complaint_or_praise_to_file() -> None:
    assert tone("где можно оставить отзыв о салоне связи").complaint


@pytest.mark.parametrize("text", [
    "соедините меня со старшим, хватит мне кнопки показывать",
    "позовите девушку из поддержки, я в ваших кнопках путаюсь",
    "переключите на мужчину какого-нибудь, с номером разобраться",
    "put me through to a supervisor, I'm done pressing buttons",
    "are there any humans left at tele2 or is it all bots now?",
    "did the robots take over support or what",
])
def test_a_person_summoned_is_wanted_whatever_else_the_message_names(text: str) -> None:
    """An imperative "соедините/позовите/put me through" wants a person even when the message names buttons or a
    number (which alone mean the question how to call); staff named by who they are ("девушку") count too."""
    assert tone(text).wants_person


@pytest.mark.parametrize("text", ["как позвонить оператору с городского номера", "девушка мне в салоне нахамила",
                                  "как соединить два номера в одном кабинете"])
def test_asking_how_to_call_or_telling_of_staff_is_no_summons(text: str) -> None:
    assert not tone(text).wants_person


def test_can_you_help_me_is_a_polite_request_not_an_emergency() -> None:
    assert not tone("can you help me pick a birthday present for my dad").urgent
    assert not tone("can you help me write a birthday message for my boss, something not cringe").urgent
    assert tone("help me please, my number is blocked and I need it now").urgent


@pytest.mark.parametrize("text", [
    "всё, я от вас ухожу. как забрать остаток со счёта?",
    "видимо пора к конкурентам",
    "страница в вк у вас для галочки?",
    "чат у вас одно название",
    "звоню весь день, вы там вымерли что ли",
])
def test_leaving_for_the_competitors_or_a_service_for_show_is_upset(text: str) -> None:
    assert tone(text).upset


@pytest.mark.parametrize("text", ["thanks for nothing, you blocked my number with money on it",
                                  "спасибо, что подписали меня на платную рассылку"])
def test_thanks_for_a_block_or_a_subscription_forced_on_one_is_sarcasm(text: str) -> None:
    assert tone(text).upset and not tone(text).praise


def test_a_login_code_that_never_comes_after_many_words_is_fed_up() -> None:
    assert tone("код для входа в личный кабинет всё не приходит").fed_up


@pytest.mark.parametrize("text", ["консультант в салоне подключил мне платную подписку без моего согласия",
                                  "без спроса оформили страховку телефона, узнал из смс",
                                  "the guy at the store added a paid option to my number without asking me"])
def test_something_done_to_one_without_asking_is_being_badly_served(text: str) -> None:
    assert tone(text).mistreated


@pytest.mark.parametrize("text", ["приехал к открытию, как на сайте написано, а там закрыто на учёт",
                                  "оператор в чате сказал, что можно без паспорта, а в салоне мне отказали",
                                  "the chat agent told me I could do it online, but the shop said it's impossible"])
def test_told_one_thing_and_found_another_is_being_badly_served(text: str) -> None:
    assert tone(text).mistreated


def test_money_that_will_not_be_enough_is_no_anger() -> None:
    """"хватит!" is anger; "если на карте не хватит денег" and "хватит ли денег" are not."""
    assert tone("Хватит! Сколько можно", "Хватит! Сколько можно").angry
    for text in ("если на карте не хватит денег, автоплатёж повторит попытку?", "хватит ли денег на месяц"):
        assert not tone(text, text).angry, text


@pytest.mark.parametrize("text", ["calls to our front desk just don't go through since this morning, please escalate",
                                  "escalate my complaint to someone who can actually fix it"])
def test_escalation_asked_is_a_person_wanted(text: str) -> None:
    assert tone(text, text).wants_person, text


@pytest.mark.parametrize("text", ["Got an SMS saying my request was 'resolved'. It is not. Who closed it and why?",
                                  "Хочу на вас нажаловаться. Неделю связи нет", "закрыли мою заявку, а ничего не решено"])
def test_a_complaint_in_other_words_or_a_request_closed_unsolved_is_a_complaint(text: str) -> None:
    assert tone(text, text).complaint, text


def test_a_request_resolved_is_no_complaint() -> None:
    assert not tone("my request was resolved quickly, thanks", "my request was resolved quickly, thanks").complaint


def test_a_wait_for_something_else_is_no_wait_for_support() -> None:
    """"уже час ищу телефон" is no "уже час жду ответа"; a wait told in either order is."""
    text = "потерял телефон, как заблокировать симку? уже час ищу его"
    assert not tone(text, text).fed_up
    for text in ("уже час жду ответа", "дозваниваюсь уже полчаса", "не могу никому дозвониться уже 2 часа",
                 "Чат висит на «ожидайте ответа» уже час"):
        assert tone(text, text).fed_up, text


@pytest.mark.parametrize("text", ["Сорок минут висела на 611, потом сброс. Это нормально вообще?",
                                  "Please, is there anyone who can help me?"])
def test_is_this_normal_asked_angrily_or_anyone_who_can_help(text: str) -> None:
    mood = tone(text, text)
    assert mood.angry or mood.wants_person, text


def test_a_question_nobody_solved_is_no_praise() -> None:
    assert not tone("оператор так и не решил мой вопрос, второй раз пишу").praise


def test_wanting_to_say_something_good_asks_nothing() -> None:
    assert not asks_beyond_thanks("Just want to say the guy at the Tele2 kiosk by the station, Ivan, was brilliant — set up "
                                  "my eSIM in ten minutes. Please pass on my thanks!")
    assert asks_beyond_thanks("the lady in your shop was lovely. I want to know where else I can get an eSIM")
