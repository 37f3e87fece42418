"""Subjects the knowledge base does not cover get an honest "I can't answer this one here", whatever
entry their words resemble (`intents/uncovered.py`)."""

from __future__ import annotations

import pytest
from conftest import ChatClient

from intents.matcher import Matcher
from intents.uncovered import answers, missing_detail, uncovered_subject
from knowledge.model import Entry, Examples, KnowledgeBase, Text

pytestmark = pytest.mark.wording


@pytest.mark.parametrize("text, subject", [
    ("как сохранить номер при переходе от билайна", "porting"),
    ("продаются ли у вас в салонах кнопочные телефоны для пожилых?", "products"),
    ("хочу перейти в мтс со своим номером", "porting"),
    ("сколько дней идёт перенос номера к вам от мтс", "porting"),
    ("If I leave Tele2 for MTS can I keep my number?", "porting"),
    ("how do i port my number from megafon", "porting"),
    ("can i move my number back to beeline", "porting"),
    ("как разблокировать телефон под симку другого оператора", "unlocking"),
    ("how to unlock my phone for other carriers", "unlocking"),
    ("у теле2 есть домашний интернет?", "products"),
    ("Can I buy a phone in instalments at a Tele2 store?", "products"),
    ("есть ли у вас скидки на связь для студентов", "products"),
    ("у мегафона дают кэшбэк за пополнение, а у вас?", "products"),
    ("сколько гигов дают на тарифе мой онлайн", "tariff"),
    ("какая скорость остаётся после окончания пакета", "speed"),
    ("what speeds does 4g give in kazan", "speed"),
    ("какие документы нужны иностранцу для покупки симки", "from abroad"),
    ("can i pay for autopay with a foreign card", "foreign cards"),
    ("Can I link a foreign (non-Russian) bank card to autopay?", "foreign cards"),
    ("через сколько отключат номер, если им не пользоваться", "unused number"),
    ("зачем теле2 переименовали в t2", "the brand"),
    ("можно ли добавить виртуальную карту в apple pay", "phone wallets"),
    ("how do i activate esim on my iphone 15", "devices"),
    ("какую точку доступа APN прописать на андроиде", "phone settings"),
    ("когда в омске будет 5G", "network generations"),
    ("сколько стоит красивый номер", "numbers for sale"),
    ("тарифы для юрлиц на 10 сотрудников", "business"),
    ("sim for my kid's smartwatch", "children and watches"),
    ("do unused gigabytes roll over to next month", "loyalty and exchanges"),
    ("как поменять номер телефона на другой, не меняя симку", "a new number"),
    ("does a promised payment affect my credit history", "credit history"),
    ("how do you say thank you in german", "translation"),
    ("what plan would you recommend for my mum", "tariff"),
    ("Что входит в тариф «Black» и сколько он стоит?", "tariff"),
    ("какие тарифы у вас есть и сколько стоят", "tariff"),
    ("what's your cheapest plan and how much is it a month", "tariff"),
    ("Бывает ли у вас тариф, где абонентка списывается только за дни со связью?", "tariff"),
    ("до скольки работает перекрёсток у дома", "another company"),
    ("how do I reset my Sberbank online password", "another company"),
    ("где мой заказ на вайлдберриз", "another company"),
    ("какой код страны у узбекистана, чтобы набрать маму", "dialling abroad"),
    ("should I use +7 or 8 when texting from abroad", "dialling abroad"),
    ("дозвонюсь ли я до скорой помощи без денег на счету", "emergency numbers"),
    ("does 112 work without a sim card", "emergency numbers"),
    ("мы переезжаем в другой город, номер сохранится или новый брать?", "moving home"),
    ("relocating to Kazan next month, can I keep my number", "moving home"),
    ("автоответчик 611 может говорить по-английски?", "the voice menu's language"),
    ("с какого возраста можно оформить симку на себя", "contracts and age"),
    ("у меня взломали аккаунт в инстаграме, что делать", "another company"),
    ("how do I recover my vk page, forgot the password", "another company"),
    ("can I send credit to my daughter's phone", "balance transfers"),
    ("как скинуть 100 рублей со своего баланса на номер брата", "balance transfers"),
    ("есть ли приложение мой теле2 в RuStore", "the app on a device"),
    ("можно ли записывать разговоры с клиентами", "call recording"),
    ("подключите мне домашний телефон", "products"),
    ("сколько каналов в Tele2 TV", "products"),
    ("привезёт ли курьер сим-карту на дом", "products"),
    ("какой номер смс-центра прописать в телефоне", "sms centre"),
    ("is facetime activation charged as a text abroad", "apple's own services"),
    ("как отключить оповещения МЧС на телефоне", "emergency alerts"),
    ("где находится головной офис теле2", "the company's details"),
    ("what's tele2's tax number for our accounting", "the company's details"),
    ("можно ли найти украденный телефон по imei", "finding a phone"),
    ("can you track my lost phone's location", "finding a phone"),
    ("можно ли звонить со своего номера с ноутбука", "calls from a computer"),
    ("как узнать, какой оператор у этого номера", "whose network a number is on"),
    ("which network is this number on", "whose network a number is on"),
    ("can the my tele2 app be in english", "the app's language"),
    ("как связаться с пресс-службой теле2", "press and research"),
    ("нашёл уязвимость в вашем приложении, куда писать", "security reports"),
    ("можно оплатить связь биткоинами", "crypto"),
    ("is there an api to check my balance from a script", "developers"),
    ("а ваши сотрудники могут читать мои смс?", "privacy of messages"),
    ("можно записаться в салон на конкретное время", "booking a visit"),
    ("мне приходят сообщения для прошлого владельца номера", "the number's previous owner"),
    ("сколько может длиться один звонок, есть ограничение?", "call length"),
    ("во сколько открывается эрмитаж", "another company"),
    ("до скольки работает аптека рядом", "another company"),
    ("есть ли в приложении тёмная тема", "the app's looks and assistants"),
    ("можно через Алису узнать баланс?", "the app's looks and assistants"),
    ("если не платить, долг передадут коллекторам?", "debt collection"),
    ("хотим попросить у теле2 спонсорскую помощь", "press and research"),
    ("есть у вас фирменный спидтест?", "speed"),
    ("my amazon package is late, how long should I wait", "another company"),
    ("Случайно удалила переписку. Вы можете восстановить удалённые смс?", "deleted messages"),
    ("how do I recover deleted texts from last week", "deleted messages"),
    ("мне кто-то положил 1000 на счёт. как узнать кто именно?", "the payer"),
    ("someone topped up my number with 500, can I find out who?", "the payer"),
    ("есть ли у теле2 страховка для путешествий?", "products"),
    ("сделайте, чтобы трафик в игре не тратил гигабайты", "products"),
    ("can you block one number from calling me at the network level?", "blocking a caller"),
    ("приложение мой теле2 само трафик жрёт?", "data the app uses"),
    ("does chatting with this bot use my data?", "data the app uses"),
    ("можно отправить смс на городской номер?", "sms to a landline"),
    ("does tele2 support nb-iot for smart water meters?", "products"),
    # how much data an activity takes
    ("how much data does a 2 hour movie on netflix use?", "data an activity takes"),
    ("сколько трафика уходит на час видеозвонка в ватсапе", "data an activity takes"),
    ("нужно ли верифицировать симку на госуслугах, а то вдруг отключат", "confirming the number on Gosuslugi"),
    ("do I have to confirm my tele2 number on gosuslugi?", "confirming the number on Gosuslugi"),
    ("а в салонах теле2 есть трейд-ин? хочу сдать старый телефон в зачёт нового", "products"),
    ("does tele2 do trade-in for old iphones?", "products"),
    ("видеозвонки в телеграме тоже не расходуют гигабайты на опции с безлимитными мессенджерами?", "products"),
    ("можно ли оплатить коммуналку или штраф гибдд прямо с баланса телефона?", "paying bills from the balance"),
    ("can I pay my parking fines from my phone balance?", "paying bills from the balance"),
    ("как отправить бесплатную смску «перезвони мне» если денег ноль?", "call me back"),
    ("what's the code to send a free 'call me back' text when i've got 0 on my balance", "call me back"),
    ("можно ли у вас взять свой номер 8-800 для нашей горнолыжной школы?", "numbers for sale"),
    ("хотим короткий номер из четырёх цифр для горячей линии абитуриентов", "numbers for sale"),
    ("can we get our own toll-free number for the shop?", "numbers for sale"),
    ("смогу потом вернуться на свой тариф? он архивный", "archived tariff"),
    ("can I go back to my old plan, it's discontinued now", "archived tariff"),
    ("перехожу на другой тариф, осталось 15 гигов — их как-то компенсируют или вернут деньги за неиспользованное?",
     "unused allowance"),
    ("can I get a refund for the unused data when I change plans?", "unused allowance"),
    ("звонки на номера 8-800 других компаний, банков например, с теле2 бесплатные?", "other free numbers"),
    ("are 8 800 numbers of banks free to call from tele2?", "other free numbers"),
])
def test_an_uncovered_subject_is_recognised(text: str, subject: str) -> None:
    assert uncovered_subject(text) == subject


@pytest.mark.parametrize("text", [
    "как перевести номер на мужа",  # to another person: the change of owner, covered
    "how do i transfer my number to another person",
    "как позвонить в поддержку с ноутбука",  # a computer, but support asked for: the web chat's entry
    "потерял телефон, как заблокировать симку",  # losing the phone is covered, finding it is not
    "where do i get the login code",  # "login code" is no program code
    "я за границей, телефон не ловит сеть, ребёнок в больнице",  # the network is ours, the hospital only the story
    "как позвонить в теле2 с мтс",  # another operator named, but calling support is covered
    "my husband is with another operator, how can he call tele2",
    "сколько стоит мой тариф",  # the subscriber's own tariff: the account action
    "что входит в мой тариф",
    "how much is my plan",
    "как сменить тариф на мой онлайн",  # a named tariff, but no price asked
    "как разблокировать сим карту",  # the SIM, not a locked phone
    "как взять деньги взаймы на телефон",  # the promised payment, no phone bought
    "give me money on credit",
    "пишу второй день, никакой реакции",  # "реакции" holds no "акции"
    "how fast does support pick up the phone",  # the waiting time, not a speed
    "my data got throttled",  # slow internet: a fault the base knows
    "как перейти на esim",  # eSIM itself is covered (SIM replacement)
    "how can i top up my kid's sim from my card",  # a top-up, whoever's SIM
    "сколько осталось 5 гб",
    "переведите на специалиста",  # put me through to a person, no translation
    "как переоформить номер на мужа",  # the change of owner
    "ну спасибо, очень «удобно» — второй день без связи",  # quotes around no tariff
    "как пополнить счёт через сбербанк онлайн",  # paying for the line through another company is ours
    "не приходит смс с кодом от сбера",  # its texts reaching the phone, too
    "как настроить autopay с карты Сбера?",
    "can I top up from my Tinkoff app",
    "как позвонить в поддержку из Турции",  # calling support from abroad: the roaming line
    "в таиланде какой номер набрать в теле2",
    "как пополнить счёт мамы со своей карты",  # a top-up of another number, by card
    "где скачать приложение мой теле2",  # the app itself, no device asked about
    "it's an emergency, my sim was stolen",  # urgency, no emergency number
    "send me my call records for may",  # call details, nothing recorded
    "переехала к дочке, как зайти в личный кабинет",  # a move told, the account asked about
    "как написать вам вконтакте",  # support's own page there is ours
    "взломали личный кабинет теле2, что делать",
    "how much money do I have left and what plan did the guy put me on",  # the subscriber's own plan
    "кто-то положил мне деньги по ошибке, как вернуть",  # money put by mistake, wanted back: the refund
    "подключите чёрный список",  # a service of the catalogue
    "интернет в приложении не грузится",  # a fault, no data asked about
    "сколько гигов у меня осталось до конца месяца",  # what is left on the line: the account's
    "how much data did i use this month",  # the expenses
    "потеряла симку, а к номеру привязаны госуслуги и банк, как восстановить",  # the SIM back: covered
    "украли телефон в автобусе!!! там сбер и всё!!! что делать срочно",  # the phone stolen is ours, the bank's app on it too
    "left my phone in an uber with my sberbank app on it, what do i do",
])
def test_a_covered_question_is_no_uncovered_subject(text: str) -> None:
    assert uncovered_subject(text) is None


@pytest.mark.parametrize("text, abroad, place, subject", [
    ("теле2 работает в Беларуси?", True, True, "coverage"),
    ("есть ли связь на трассе М4", False, False, "coverage"),
    ("is there 5G coverage in Kazan", False, True, "coverage"),
    ("сколько стоит смс в Казахстан", True, True, "prices abroad"),
    ("how much is data roaming in thailand", True, True, "prices abroad"),
    # covered: a shop's hours, a shop nearby, a fault, calling support from abroad
    ("салон теле2 работает в воскресенье?", False, False, None),
    ("есть ли салон теле2 в нашем районе", False, False, None),
    ("no network coverage, can't call", False, False, None),
    ("сколько стоит звонок в поддержку из египта", True, True, None),
])
def test_coverage_and_prices_abroad(text: str, abroad: bool, place: bool, subject: str | None) -> None:
    assert uncovered_subject(text, abroad, place) == subject


def test_no_example_of_the_base_reads_as_an_uncovered_subject(matcher: Matcher) -> None:
    hits = []
    for entry in matcher.kb.entries:
        if entry.out_of_scope:
            continue
        for _, text in entry.examples.all():
            named = matcher.analyse(text).entities
            if uncovered_subject(text, named.abroad, bool(named.abroad or named.regions)):
                hits.append((entry.id, text))
    assert hits == []


async def test_a_tourists_own_balance_is_answered_as_anyones(bot: ChatClient) -> None:
    out = await bot.say("Hello, tourist from Kazakhstan here 🇰🇿 bought a tele2 sim at the airport. How do I see how much "
                        "money and internet i have left on it? I don't have the app.")
    assert out.action in ("balance", "remaining") or out.intent in ("do-balance", "do-remaining", "lk-tariff"), out.text


@pytest.mark.parametrize("text, lang", [
    ("can I keep my number if I switch from MTS to Tele2", "en"),  # the entry on calling from MTS, p 0.89 before
    ("сколько гигов дают на тарифе мой онлайн", "ru"),  # the "my tariff" action, p 1.0 before
    ("how to unlock my phone for other carriers", "en"),
    ("Can I buy a phone in instalments at a Tele2 store?", "en"),  # the entry on Tele2 shops, p 0.63 before
    ("теле2 работает в Беларуси?", "ru"),  # the roaming line, p 0.51 before
    ("Во сколько открывается Пятёрочка в воскресенье?", "ru"),  # support's hours, p 0.64 before
])
async def test_an_uncovered_subject_is_declined_honestly_with_the_operator_at_hand(bot: ChatClient, text: str,
                                                                                   lang: str) -> None:
    out = await bot.say(text)
    assert out.outcome == "fallback" and out.action is None
    assert out.text.startswith("I can't answer this one here" if lang == "en" else "На этот вопрос я здесь ответить не могу")
    assert "operator" in [b.payload for r in out.replies for b in r.buttons]


@pytest.mark.parametrize("text, want", [
    ("как сменить тариф на мой онлайн", "change_tariff"),  # changing to a named tariff is still answered
    ("сколько стоит мой тариф", "tariff"),
    ("где в кабинете посмотреть, на какой тариф я сейчас подключен и сколько по нему абонентка?", "tariff"),
    ("отключи перенос остатков", "disconnect_service"),  # services of the catalogue by their names
    ("подключи раздачу интернета", "connect_service"),
])
async def test_the_own_tariff_and_a_change_of_tariff_are_still_answered(bot: ChatClient, text: str, want: str) -> None:
    out = await bot.say(text)
    assert out.action == want, out.text


def test_an_entry_editors_write_on_an_uncovered_subject_answers_it(matcher: Matcher) -> None:
    """The subjects are what the base does not cover today: an entry whose own examples are on one covers it
    (the editor's end of it: tests/editor, a new entry on moving an eSIM to a new iPhone is answered)."""
    kb = matcher.kb
    entry = Entry(id="esim-devices", group="service_center", title=Text(ru="eSIM на телефоне", en="eSIM on a phone"),
                  examples=Examples(ru=["как перенести есим на новый айфон", "как активировать esim на samsung"],
                                    en=["how do i activate esim on my iphone", "esim on a pixel phone"]),
                  answer=Text(ru="Перенести eSIM можно в салоне.", en="Move an eSIM in a Tele2 shop."))
    assert not answers(kb.by_id["sim-replacement"], "devices")
    assert answers(entry, "devices")


@pytest.mark.parametrize("text", [
    "управляющая компания третий месяц не чинит лифт, куда на них жаловаться?",
    "пришёл огромный счёт за отопление, как оспорить у водоканала или теплосети?",
    "my electricity bill doubled this winter, how do I complain to the supplier?",
])
async def test_a_complaint_about_the_homes_utilities_is_not_filed_with_us(bot: ChatClient, text: str) -> None:
    """A bill or a complaint of the home's utilities is theirs: no complaint filed with Tele2 for it."""
    assert uncovered_subject(text) == "another company"
    out = await bot.say(text)
    assert out.action is None and out.intent != "complaint", out.text


@pytest.mark.parametrize("text", ["кафе рядом работает ночью?", "всю ночь не спал, что принять от бессонницы до утра?"])
async def test_night_and_holidays_are_no_support_hours_when_support_is_not_named(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.intent != "support-611-hours", out.text


@pytest.mark.parametrize("text", ["611 ночью работает?", "does support work on the holidays?",
                                  "поддержка 611 работает ночью? | а в праздники?"])
async def test_support_hours_asked_of_support_are_still_answered(bot: ChatClient, text: str) -> None:
    out = None
    for part in text.split(" | "):
        out = await bot.say(part)
    assert out is not None and out.intent == "support-611-hours", out.text


@pytest.mark.parametrize("text, detail", [
    ("до какой максимальной суммы можно пополнить счёт за один раз?", "limit"),
    ("which iOS version do I need for the My Tele2 app", "version"),
    ("можно в чат поддержки отправить фото экрана с ошибкой?", "attachment"),
    ("how can I get a transcript of my conversation with your chat", "recording"),
    ("нужен чек после оплаты связи картой для бухгалтерии, где взять?", "receipt"),
    ("is the tele2 store near the railway station wheelchair accessible?", "premises"),
    ("в детализации звонков время по местному или по московскому?", "time zone"),
    ("есть ли у теле2 форум, где абоненты друг другу помогают?", "forum"),
    ("is there a beta version of the my tele2 app i could test?", "beta"),
    ("что за мелодия играет, пока ждёшь оператора на 611?", "music"),
    ("а новую симку взамен старой можно с доставкой на дом?", "delivery"),
    ("с какого возраста можно оформить номер на себя?", "age"),
    ("можно ли снова попасть к тому же оператору, с которым я вчера говорил по 611?", "particular person"),
    ("can I get put through to the same agent I spoke to this morning on 611?", "particular person"),
    ("Сколько стоит переоформить номер на другого человека? Платно это или нет", "price"),
    ("ordered call details an hour ago, how long does the email usually take to come?", "duration"),
    ("деньги на балансе сгорают если долго не тратить?", "expiry"),
    ("Is there an e-mail address for Tele2 support? I prefer writing emails", "e-mail"),
    ("Is there any Tele2 shop in Moscow where the staff speak English?", "language"),
    ("в салоне теле2 можно телефон зарядить? сел в ноль", "charging"),
    ("Can I use Google Authenticator instead of SMS codes for the two-step login?", "authenticator"),
    ("можно входить в приложение мой теле2 по отпечатку пальца, чтобы не ждать код?", "authenticator"),
    ("is there a backup code for the two-step login in case I lose my phone?", "backup code"),
    ("после замены симки в салоне пук-код будет новый?", "puk"),
    ("я наследник, как мне получить деньги с номера отца?", "inheritance"),
    ("виртуальной картой теле2 можно снять наличные в банкомате?", "cash"),
    ("остатки гигабайтов в приложении обновляются в реальном времени?", "refresh"),
    ("обещанный платёж можно продлить ещё на неделю?", "extension"),
    ("можно сменить тариф со следующего месяца, а не сейчас?", "scheduled"),
    ("что будет, если не вернуть обещанный платёж вовремя?", "consequences"),
    ("можно взять обещанный платёж на номер мамы?", "another's number"),
    ("можно взять обещанный платёж не себе, а на номер сына?", "another's number"),
    ("есть пакет интернета только на ночь? днём не нужен", "night"),
    ("в детализации будет видно, через какие вышки шли звонки?", "towers"),
    ("if I call my friend on WhatsApp, will it show up in my call details?", "messenger calls"),
    ("can I link two bank cards to autopay?", "second card"),
    ("можно настроить, чтобы детализация сама приходила на почту каждый месяц?", "recurring"),
    ("если я заблокирую потерянную симку, абонентская плата будет списываться?", "monthly fee"),
    ("в детализации видно текст смс или только номера?", "message text"),
    ("за какой самый давний период дают детализацию?", "how far back"),
    ("автоплатёж можно привязать к карте жены?", "another's card"),
    ("если на карте не хватит денег, автоплатёж сам повторит попытку?", "retry"),
    ("можно отправить форму обратной связи анонимно?", "anonymity"),
    ("if I start a chat on the website, can I continue it later on my phone?", "another device"),
    ("где в личном кабинете посмотреть историю смены тарифов?", "history"),
    ("может ли сотрудник теле2 приехать ко мне домой заменить симку?", "home visit"),
    ("мне 80 лет, можно ли оформить сим-карту на дому?", "home visit"),
    ("при переоформлении номера деньги на балансе сгорят?", "expiry"),
    ("подключила услугу с пробным периодом, потом она сама станет платной?", "trial"),
    ("if I top up with a foreign card, am I charged in euros, and is there a conversion fee?", "currency"),
    ("can my employer see my call details without asking me?", "consent"),
    ("сколько раз можно ввести пин-код неправильно?", "limit"),
    ("обещанный платёж дают только 50 рублей, как сделать, чтобы больше давали?", "limit"),
    ("can I get the login code as a voice call instead of SMS?", "instead of sms"),
    ("the mast next to my house hums all night, who do I tell?", "towers"),
    ("does roaming show up as a separate line in my expenses?", "separate line"),
    ("в детализации видно, на какие сайты заходил сын?", "sites"),
    ("на остаток на балансе проценты начисляются?", "interest"),
    ("after I send the feedback form, do I get a reference number to track it?", "ticket number"),
    ("can I top up my tele2 number with alipay?", "phone wallets"),
    ("Мы с мужем хотим заходить в один кабинет с двух телефонов одновременно. Его не выкинет?", "simultaneous"),
    ("Can I link my UnionPay card so money goes to my number automatically every month?", "card system"),
    ("есть виджет баланса на рабочий стол андроида? чтоб не заходить каждый раз в приложение", "widget"),
    ("можно ли прийти в ваш салон с собакой? она маленькая", "premises"),
    ("можно ли оплатить мобильную связь пушкинской картой?", "card system"),
    ("Is your SIM contract available in Korean language? I want to read it before signing.", "document language"),
    ("can my brother send money to my tele2 balance through western union?", "money transfer"),
    ("в детализации будут видны номера тех, кто звонил мне со скрытого номера?", "hidden number"),
    ("Какую цифру нажимать в меню 611, чтобы попасть в раздел о тарифах? Перечислите все пункты меню.", "code list"),
    ("Есть ли плата за обслуживание виртуальной карты Теле2 — ежемесячная или за каждую операцию?", "monthly fee"),
    ("Is there a way to get a text when my credit drops below 100 rubles? I don't want automatic payments.", "alerts"),
    ("Is there a way to get a text every morning with how much credit is left, automatically?", "alerts"),
    ("Если я заблокирую симку как потерянную, автоплатёж с карты продолжит списываться или тоже остановится?", "what then"),
    ("Если мне в салоне заменят сим-карту, перенесут ли на новую все телефоны, которые записаны на старой? Там у меня вся "
     "труппа, полторы сотни номеров.", "what then"),
])
async def test_a_detail_no_entry_gives_is_declined_honestly(bot: ChatClient, kb: KnowledgeBase, text: str,
                                                           detail: str) -> None:
    """A detail of a covered subject that the nearest entry never speaks of (a limit, an app's version, a photo
    sent, a recording, a receipt, a shop's premises, a time zone) is no question that entry answers."""
    out = await bot.say(text)
    assert out.outcome == "fallback" and out.action is None, out.text
    lang = "en" if text.isascii() else "ru"
    assert out.text == kb.message("cant_answer", lang)


def test_an_entry_that_speaks_of_the_detail_answers_it(kb: KnowledgeBase) -> None:
    """Once editors write the detail into an entry (its answer or examples), the entry answers it."""
    top_up = kb.by_id["lk-top-up"]
    asked = "какая максимальная сумма одного пополнения"
    assert missing_detail(asked, top_up) == "limit"
    told = top_up.model_copy(update={"answer": Text(ru=top_up.answer.ru + " Максимальная сумма — 15 000 ₽.",
                                                   en=top_up.answer.en + " The maximum is 15,000 ₽.")})
    assert missing_detail(asked, told) is None
    assert missing_detail("как пополнить счёт картой", top_up) is None
    # a courier by trade, or music heard while waiting, is told, not asked
    assert missing_detail("я курьер, мне нужен обещанный платёж, как его взять?", kb.by_id["lk-promised-payment"]) is None
    # the texts sent about a payment are its alerts
    assert missing_detail("можно отключить смски про автоплатёж, а сам автоплатёж оставить?", kb.by_id["lk-autopay"]) == "alerts"
    # money short is no cash asked after
    assert missing_detail("whats this promised payment thing, out of cash till friday", kb.by_id["lk-promised-payment"]) is None
    assert missing_detail("can I pay the promised payment back in cash?", kb.by_id["lk-promised-payment"]) == "cash"
    # music heard while waiting is told, not asked
    assert missing_detail("дозвонилась на 611, а там музыка играет и никто не берёт", kb.by_id["wait-time"]) is None


@pytest.mark.parametrize("text", ["как подать жалобу в Роскомнадзор на мобильного оператора, куда писать?",
                                  "how do I file a complaint with the regulator about my carrier?"])
async def test_a_complaint_to_the_regulator_is_no_complaint_or_form_of_ours(bot: ChatClient, text: str) -> None:
    out = await bot.say(text)
    assert out.action is None and out.intent not in ("complaint", "feedback-form"), out.text


def test_a_detail_answered_in_other_words_or_asked_beside_the_subject_is_answered(kb: KnowledgeBase) -> None:
    """How long, how much and until when are answered in other words than asked ("within 5 days", "free",
    "the term"); and a detail asked beside another question comes with the subject, whose answer is wanted."""
    promised = kb.by_id["lk-promised-payment"]  # its answer names the term and the fee
    assert missing_detail("на сколько дней дают обещанный платёж?", promised) is None
    assert missing_detail("сколько стоит обещанный платёж?", promised) is None
    owner = kb.by_id["change-owner"]
    assert missing_detail("сколько стоит переоформить номер?", owner) == "price"
    assert missing_detail("где переоформить номер на сына и сколько это стоит?", owner) is None
    assert missing_detail("у меня 2 вопроса 1. какой тариф у меня сейчас 2. сколько стоит перейти на другой",
                          kb.by_id["do-change-tariff"]) is None
    assert missing_detail("сколько минут у меня осталось", kb.by_id["do-remaining"]) is None  # minutes counted, not waited
    # the tower one writes from, beside what is asked ("ПИШУ С ВЫШКИ… и ещё хотел спросить скок гигов осталось")
    assert missing_detail("ПИШУ С ВЫШКИ КОРОЧЕ. инет то есть то нет. и ещё хотел спросить скок у меня гигов осталось до "
                          "конца месяца??", kb.by_id["do-remaining"]) is None


def test_a_detail_asked_aside_a_fault_told_leaves_the_fault_to_check(kb: KnowledgeBase) -> None:
    """"my texts aren't sending, and is there an English-speaking operator?": the fault comes first."""
    text = "so two things: my texts aren't sending since this morning, and is there an english speaking operator anywhere?"
    assert missing_detail(text, kb.by_id["problem-sms"]) is None
    assert missing_detail("is there an english speaking operator anywhere?", kb.by_id["operator-request"]) == "language"
    assert missing_detail("у меня 2% зарядки, срочно нужен обещанный платёж", kb.by_id["do-promised-payment"]) is None


def test_details_told_rather_than_asked_or_given_by_the_entry_are_no_decline(kb: KnowledgeBase) -> None:
    promised = kb.by_id["lk-promised-payment"]
    # a worry told ("не хочу попасть на штрафы") is no question of penalties; the fee and the term are in the answer
    assert missing_detail("сколько стоит обещанный платёж и через сколько отдать? не хочу потом попасть на штрафы",
                          promised) is None
    # money going by itself every month is what the autopayment's answer describes
    assert missing_detail("можно сделать, чтобы деньги сами с карты списывались раз в месяц?", kb.by_id["lk-autopay"]) is None
    # a top-up of another number is in the top-up's answer
    assert missing_detail("как пополнить номер мамы с моей карты", kb.by_id["lk-top-up"]) is None


def test_photos_named_in_a_story_or_something_done_without_asking_are_no_detail_asked(kb: KnowledgeBase) -> None:
    package = kb.by_id["do-buy-package"]
    # the photos are what took the data, not something to send
    assert missing_detail("ran out of data uploading my photos, how do I get an extra data pack?", package) is None
    assert missing_detail("как отправить вам фото чека?", package) == "attachment"
    # told, not asked: "switched my plan without asking me" is what happened
    tariff = kb.by_id["do-change-tariff"]
    assert missing_detail("someone switched my plan without asking me, I want my old plan back", tariff) is None


def test_last_night_or_a_messenger_used_is_no_detail_asked(kb: KnowledgeBase) -> None:
    lost = kb.by_id["lost-sim"]
    assert missing_detail("my phone got stolen last night at a bar, how do I block the sim?", lost) is None
    tariff = kb.by_id["do-change-tariff"]
    assert missing_detail("хочу тариф подешевле, пользуюсь только ватсапом и звоню маме", tariff) is None


def test_work_done_at_home_is_no_visit_asked(kb: KnowledgeBase) -> None:
    """"шью на дому" tells one's trade; "можно ли оформить на дому" asks a visit the base does not describe."""
    account = kb.by_id["lk-general"]
    assert missing_detail("Мне 74 года, шью на дому. Как войти в приложение Мой Теле2, пароля у меня нет?", account) is None
    assert missing_detail("можно ли оформить сим-карту на дому?", kb.by_id["service-centers"]) == "home visit"


def test_hours_asked_of_what_the_entry_gives_hours_for_are_answered(kb: KnowledgeBase) -> None:
    """The hours of 611 are in its entry; those of a regional number are not."""
    assert missing_detail("611 работает круглосуточно?", kb.by_id["support-611-hours"]) is None
    assert missing_detail("is 611 open at night?", kb.by_id["support-611-hours"]) is None
    assert missing_detail("городской номер в Нижнем работает круглосуточно?", kb.by_id["regional-numbers"]) == "hours"


def test_how_soon_is_answered_where_the_entry_says_it(kb: KnowledgeBase) -> None:
    """How soon a reply comes through a social network is not in its entry; the hours of 611 speak of time."""
    assert missing_detail("если написать вам во ВКонтакте, через сколько отвечают?", kb.by_id["social-networks"]) == "how soon"
    assert missing_detail("how fast is the sim blocked if I call 611?", kb.by_id["support-611-hours"]) is None
