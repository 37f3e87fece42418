"""Subjects the knowledge base does not cover, recognised whatever entry their words resemble.

Some questions share their words with an entry but ask something the entry does not answer:
"can I keep my number if I switch from MTS to Tele2" names another operator, which the entry on
calling support from another network is full of; "сколько стоит тариф «Мой онлайн»" sounds like
"мой тариф", the account action that shows the subscriber's own tariff. A confident wrong answer
is worse than an honest "I can't answer this one here" with the operator at hand, so a message on
one of these subjects is never answered by an entry outside the subject:

- **porting** — moving a number between operators (MNP), keeping it when switching;
- **unlocking** — a phone locked to an operator;
- **products** — what the operator sells beyond the line (phones, modems, home internet and phones, TV,
  instalments, SIM delivery) and its promotions (cashback, discounts, promo codes);
- **coverage** — whether the network reaches a place;
- **prices abroad** — what calls, texts or data cost in another country (calling support from there is
  covered: the roaming line);
- more it does not describe: speeds and their limits, SIMs and bank cards from abroad, numbers left
  unused, the brand, phone wallets, settings on the phone (APN, MMS, VoLTE, hotspot), 2G/5G, numbers for
  sale, business plans and dealers, children's SIMs and watches, bonuses and exchanges and rollover,
  eSIM on a given device, a new number on the same SIM, credit history; a translation asked for; dialling another
  country, emergency numbers, moving house, the voice menu's language, the age for a contract, sending balance
  to another number, the app on a given device, recording calls; the SMS centre, Apple's own services, emergency
  alerts, the company's own details (head office, tax number, shares), finding a phone, calls from a computer,
  which network a number is on, the app's language, the press, security reports, crypto, developers' APIs,
  whether messages are read, booking a visit, the number's previous owner, how long a call may last, deleted messages
  brought back, who put money on the number, how much data an activity takes, confirming the number on Gosuslugi; and another
  company's own service (a bank's app, a shop's hours, a marketplace's order);
- **tariff offer** — what a named tariff (or "your plans") includes or costs, or which to choose; the base describes how
  to see and change the subscriber's own tariff, not the operator's price list.
"""

from __future__ import annotations

import re

from knowledge.model import Entry

from .problems import BROKEN
from .stories import LEFT_BEHIND, STOLEN

_OPERATORS = r"(?:мтс|mts|билайн\w*|beeline|мегафон\w*|megafon|йот\w*|yota|теле\s?2\w*|tele\s?2|t2|т2|ростелеком\w*)"
_ANOTHER_RU = r"(?:друг\w+\s+(?:оператор\w*|сет\w*|компани\w*)|оператор\w*\s+\w*\s*)"

PORTING = re.compile(
    # "перенос номера", "перенести номер из мтс", "портирование", "MNP"
    r"перенос\w*\s+(?:\w+\s+){0,2}номер|номер\w*\s+(?:\w+\s+){0,2}перенос|портир\w*|\bmnp\b|"
    r"перенести\s+(?:\w+\s+){0,2}номер\w*\s+(?:\w+\s+){0,2}(?:в|к|из|от|на)\s+" + _OPERATORS + "|"
    # "сохранить номер при переходе", "перейти в мтс с сохранением номера", "уйти от вас и оставить номер"
    r"(?:сохран\w*|оставить|остави\w*|забрать)\s+(?:\w+\s+){0,2}номер\w*.{0,40}(?:переход|перейд|перейти|уйти|уйд|ухож|сменить\s+оператор)|"
    r"(?:переход|перейд|перейти|уйти|уйд|ухож|сменить\s+оператор).{0,60}(?:сохран\w*|оставить|остави\w*|забрать|со\s+своим)\s+(?:\w+\s+){0,2}номер|"
    r"(?:переход|перейти|перейд)\w*\s+(?:с|со|от|к|в|на)\s+(?:" + _OPERATORS + "|" + _ANOTHER_RU + r").{0,40}номер|"
    # "keep my number if I switch", "port my number", "transfer my number from MegaFon"
    r"\bkeep\s+(?:\w+\s+){0,3}number.{0,60}(?:switch|move|leave|leaving|change|port|go\s+to|join|transfer|carrier|operator)|"
    r"(?:switch|move|moving|leave|leaving|change|go|going)\s+(?:\w+\s+){0,3}(?:to|from|for)\s+(?:" + _OPERATORS +
    r"|another\s+(?:carrier|operator|network)|a\s+different\s+(?:carrier|operator|network)).{0,60}(?:keep|take|bring|port|transfer)\s+"
    r"(?:\w+\s+){0,2}number|"
    r"\bport(?:ing|ed)?\s+(?:\w+\s+){0,2}number|number\s+port(?:ing|ability)|"
    r"(?:transfer|move|bring)\s+(?:\w+\s+){0,2}number\s+(?:\w+\s+){0,2}(?:from|to)\s+(?:" + _OPERATORS +
    r"|(?:another|other|a\s+different)\s+(?:carrier|operator|network|provider))",
    re.IGNORECASE)

UNLOCKING = re.compile(
    r"(?:разблокир\w*|отвяз\w*|разлоч\w*)\s+(?:\w+\s+){0,3}(?:телефон|смартфон|айфон|iphone|аппарат)\w*.{0,60}"
    r"(?:оператор|сим\w*|sim)|телефон\w*\s+(?:\w+\s+){0,2}(?:залочен|привязан\w*\s+к\s+оператор)|залочен\w*\s+(?:под|на)\s+оператор|"
    r"\bunlock\s+(?:\w+\s+){0,3}(?:phone|iphone|handset|device).{0,40}(?:carrier|operator|network|sim)|"
    r"(?:carrier|network|sim)[\s-]+locked",
    re.IGNORECASE)

_TARIFF_NAME = (r"(?:тари\w*|plan|tariff)\s+(?:[\"“']?\s*(?:мой\s+(?:онлайн|разговор|безлимит|теле\s?2|tele\s?2)|"
                r"ч[её]рн\w*|классическ\w*|игров\w*|везде\s+онлайн|премиум|premium|супер\s+онлайн|"
                r"my\s+(?:online|conversation|unlimited|tele\s?2)|«[^»]{2,30}»))")
_PLANS = (r"(?:как\w*|сам\w+|лучш\w*|выгодн\w*|дешев\w*|дешёв\w*)\s+(?:\w+\s+)?тариф\w*\s*(?:есть|у\s+вас|бывают)?|"
          r"тариф\w*\s+(?:у\s+вас|есть|бывают)|(?:есть|бывает|бывают)\s+(?:ли\s+)?(?:у\s+вас\s+)?(?:так\w+\s+)?тариф\w*|"
          r"\b(?:is\s+there|do\s+you\s+have)\s+(?:a\s+|any\s+)?(?:\w+\s+)?(?:plans?|tariffs?)\b|"
          r"(?:best|cheapest|which|what)\s+(?:\w+\s+){0,2}(?:plans?|tariffs?)\b|(?:plans?|tariffs?)\s+(?:do\s+)?you\s+(?:have|offer)")
_PRICE_OR_CONTENT = (r"посовет\w*|подбер\w*|подобрать|порекоменд\w*|suggest|recommend|advise|"
                     r"сколько\s+(?:стоит|стоят|будет\s+стоить|в\s+месяц|гиг\w*|гб|минут\w*|смс|sms)|цен\w*|стоимост\w*|"
                     r"абонентск\w*|абонентк\w*|что\s+входит|входит\s+ли|что\s+(?:даёт|дает|включ\w*)|how\s+much|price|cost|"
                     r"what'?s\s+included|include[sd]?|per\s+month|a\s+month")
TARIFF_OFFER = re.compile(rf"\A(?=.*(?:{_TARIFF_NAME}|{_PLANS}))(?=.*(?:{_PRICE_OR_CONTENT}))", re.IGNORECASE | re.DOTALL)
# what the operator sells beyond the line itself: phones, modems, home internet, instalments; and its promotions
PRODUCTS = re.compile(
    r"(?:купить|куплю|покупк\w*|продаёте|продаете|продают|продаются|продаётся|продается|в\s+продаже)\s+(?:\w+\s+){0,6}"
    r"(?:телефон|смартфон|айфон|iphone|модем|роутер|"
    r"планшет|часы)\w*|рассрочк\w*|домашн\w+\s+интернет|оптоволок\w*|(?:wi-?fi\s+)?роутер\w*|"
    r"\b(?:buy|get|sell|selling)\s+(?:\w+\s+){0,3}(?:phone|smartphone|iphone|modem|router|tablet|smartwatch)s?\b|"
    r"instal?ments?|home\s+(?:fib(?:re|er)|internet|broadband|wi-?fi)|\bfib(?:re|er)\s+(?:internet|optic)|\brouter|"
    r"(?:подключ\w*|установ\w*|провести|провед\w*|get|install|set\s+up)\s+(?:\w+\s+){0,3}(?:домашн\w+\s+телефон\w*|"
    r"стационарн\w+\s+телефон\w*|городск\w+\s+(?:номер|телефон)\w*|landline|home\s+phone)|"
    r"телевидени\w*|(?:теле\s?2|tele\s?2)\s*(?:тв|tv)\b|\b(?:тв|tv)[\s-]+канал\w*|\btv\s+channels?|"
    r"(?:доставк\w*|достав\w+|курьер\w*)\s+(?:\w+\s+){0,3}(?:сим\w*|sim)|deliver\w*\s+(?:\w+\s+){0,2}sim|sim\w*\s+deliver\w*|"
    r"кэшб[эе]к\w*|cash\s?back|промокод\w*|promo\s?codes?|\bакци[ияйюе]\w*|скидк\w*|discounts?|special\s+offers?|promotions?|"
    # insurance, and data some apps do not count ("чтобы трафик в игре не тратил гигабайты", "zero-rated")
    r"трейд-?ин\w*|\btrade[\s-]?in\b|сдать\s+(?:\w+\s+){0,3}в\s+зач[её]т|"
    r"безлимитн\w+\s+(?:\w+\s+)?(?:мессенджер|соцсет|видео|музык)\w*|\bunlimited\s+(?:messengers?|social|video|music)\b|"
    r"(?<![а-я])не\s+(?:расходу|трат|съеда)\w*\s+(?:\w+\s+)?(?:гигабайт|гиг|трафик|мегабайт)\w*|"
    r"страховк\w*|страховани\w*|\binsurance\b|\bnb-?iot\b|\biot\b|\bm2m\b|умн\w+\s+сч[её]тчик\w*|\bsmart\s+(?:water\s+)?meters?\b|"
    r"(?:чтобы|чтоб)\s+(?:\w+\s+){0,5}не\s+(?:тратил|расходовал|списывал|съедал|ел)\w*\s+(?:\w+\s+)?(?:гигабайт|гиг|трафик|"
    r"мегабайт|пакет)\w*|\bzero[\s-]?rat\w*|\b(?:doesn'?t|don'?t|won'?t)\s+(?:count|eat|use)\s+(?:\w+\s+)?(?:against\s+)?"
    r"(?:my\s+)?(?:data|gigs|gb|traffic)\b",
    re.IGNORECASE)
# whether the network reaches a place ("теле2 работает в Беларуси?", "есть ли связь на Байкале", "coverage on the M11")
COVERAGE = re.compile(
    r"(?:работает|ловит|будет\s+работать)\s+ли\s+(?:\w+\s+){0,2}(?:теле\s?2|tele\s?2|т2|связь|сеть|интернет|4g|5g|lte|"
    r"симк\w*|сим-карт\w*)\s+(?:в|на)\s+\w+|есть\s+ли\s+(?:\w+\s+)?(?:связь|сеть|4g|5g|lte|покрыти\w*)\b|"
    r"покрыти\w+|coverage\s+(?:in|on|at|along|like|map|area)|(?:have|is\s+there|any|5g|4g|lte)\s+(?:\w+\s+){0,2}coverage|"
    r"does\s+(?:tele\s?2|the\s+sim|my\s+sim|the\s+network)\s+work\s+(?:in|on|at)\b|"
    r"is\s+there\s+(?:tele\s?2\s+)?(?:signal|network|service|4g|5g|lte)\s+(?:in|on|at|along)\b",
    re.IGNORECASE)
# "теле2 работает в Беларуси?": only of a place the message names
WORKS_THERE = re.compile(r"(?:теле\s?2|tele\s?2|т2)\s+работает\s+(?:в|на)\s+[^?]{2,30}\?|does\s+tele\s?2\s+work\s+in\b",
                         re.IGNORECASE)
# what calls, texts or data cost in another country (not calling support from there: the roaming line's entry)
PRICE = re.compile(r"сколько\s+(?:стоит|стоят|будет\s+стоить|берут|спишут)|почём|почем|цен\w*|стоимост\w*|тариф\w*\s+на\s+|"
                   r"how\s+much|price|cost|rate\b|charged?\b", re.IGNORECASE)
SERVICE_ABROAD = re.compile(r"звон\w*|вызов\w*|минут\w*|смс|sms|сообщени\w*|гигабайт\w*|\bгб\b|интернет\w*|трафик\w*|"
                            r"роуминг\w*|roaming|\bcalls?\b|calling|\btexts?\b|texting|minutes?|\bdata\b|internet|\bgb\b|"
                            r"gigabytes?", re.IGNORECASE)
SUPPORT = re.compile(r"611|поддержк\w*|оператор\w*|справочн\w*|горяч\w+\s+лини\w*|support|operator|helpline|hotline|"
                     r"customer\s+service|tele\s?2|теле\s?2", re.IGNORECASE)
# calling someone in another country (not support: the roaming line's entry)
CALLING_THERE = re.compile(r"(?:позвонить|звонить|дозвониться|набрать|набирать)\s+(?:\w+\s+){0,2}(?:в|во|на)\s+\w+|"
                           r"\b(?:call|ring|phone|dial)(?:ing)?\s+(?:\w+\s+){0,3}(?:in|to)\s+\w+", re.IGNORECASE)
SUPPORT_LINE = re.compile(r"611|поддержк\w*|оператор\w*|справочн\w*|горяч\w+\s+лини\w*|support|operator|helpline|hotline|"
                          r"customer\s+service|\bagent|(?:в|во|to)\s+(?:теле\s?2|tele\s?2)|(?:reach|call|ring)\s+(?:\w+\s+)?tele\s?2",
                          re.IGNORECASE)
# and more the base does not describe: speeds and their limits, SIMs and cards from abroad, numbers left unused,
# the brand, phone wallets, eSIM on a given device
MORE = {
    "speed": re.compile(
        r"как\w*(?:-то)?\s+(?:\w+\s+)?скорост\w*|скорост\w*\s+(?:\w+\s+)?(?:после|когда|при|на\s+тариф|в\s+сети)|"
        r"ограничени\w+\s+скорост\w*|максимальн\w+\s+скорост\w*|what\s+(?:\w+\s+)?speeds?\b|"
        r"speed\s+(?:after|when|limit|cap)|(?:max|maximum|top)\s+speed|"
        r"how\s+fast\s+(?:is|are|will\s+be)\s+(?:the\s+|your\s+)?(?:4g|5g|lte|internet|data|network|mobile\s+data)|"
        r"спидтест\w*|speed\s*test|(?:замер|измер)\w*\s+скорост\w*",
        re.IGNORECASE),
    # paying with a card of a foreign bank ("can I link a foreign bank card to autopay?")
    "foreign cards": re.compile(
        r"foreign\s+(?:[\w()-]+\s+){0,3}card|(?:non-russian|international)\s+(?:\w+\s+)?card|"
        r"зарубежн\w+\s+(?:\w+\s+)?карт\w*|карт\w*\s+(?:\w+\s+)?иностранн\w+\s+банк\w*|иностранн\w+\s+(?:\w+\s+)?карт\w*",
        re.IGNORECASE),
    "from abroad": re.compile(
        r"\btourists?\b|foreigners?\b|foreign\s+(?:\w+\s+){0,2}(?:passport|citizen|national)|non-russian|"
        r"турист\w*|иностран\w+",
        re.IGNORECASE),
    "unused number": re.compile(
        r"(?:unused|inactive|dormant)\s+(?:\w+\s+)?(?:number|sim)|"
        r"(?:number|sim)\s+(?:\w+\s+){0,3}(?:deactivated|taken\s+back|cancell?ed)\s+(?:if|after|when|before)|"
        r"(?:don'?t|do\s+not|never)\s+use\s+(?:\w+\s+)?(?:number|sim)|"
        r"не\s+пользова\w*\s+(?:\w+\s+)?(?:номер\w*|симк\w*|сим-карт\w*)|"
        r"(?:заберут|отключат|аннулир\w*)\s+(?:\w+\s+)?номер\w*,?\s+(?:если|при|через|после)|"
        r"номер\w*\s+(?:\w+\s+){0,2}(?:заберут|отключат|аннулируют)\s+(?:если|при|через|после)",
        re.IGNORECASE),
    "the brand": re.compile(r"ребрендинг\w*|переименова\w*|rebrand\w*|renam\w*|(?:теперь|now)\s+(?:называ\w*|called)\s+t2",
                            re.IGNORECASE),
    "phone wallets": re.compile(
        r"(?:apple|google|samsung|mir|мир|wechat|we\s?chat)\s*pay|\balipay\b|\bpaypal\b|\bnfc\b|бесконтакт\w*|contactless|(?:мир|mir)\s+(?:или|or)\s+visa|"
        r"visa\s+(?:или|or)\s+(?:мир|mir|mastercard)",
        re.IGNORECASE),
    "phone settings": re.compile(
        r"\bapn\b|\bmms\b|\bvolte\b|wi-?fi\s+call\w*|вызов\w*\s+(?:по|через)\s+wi-?fi|точк\w+\s+доступа|режим\w*\s+модема|"
        r"hotspot|tethering|раздач\w+\s+(?:\w+\s+)?интернет\w*|разда(?:ть|вать)\s+(?:\w+\s+)?(?:интернет|wi-?fi|вай-?фай)|"
        r"share\s+(?:my\s+)?(?:mobile\s+)?data",
        re.IGNORECASE),
    "network generations": re.compile(r"\b[25]\s?g\b|\b[25]\s?г\b", re.IGNORECASE),
    "numbers for sale": re.compile(r"красив\w+\s+номер\w*|золот\w+\s+номер\w*|vanity\s+number|(?:beautiful|easy|nice)\s+number|"
                                   # a free or short number of one's own ("свой номер 8-800 для нашей школы", "короткий номер
                                   # из четырёх цифр для горячей линии")
                                   r"(?:сво\w+|собственн\w+)\s+(?:номер\s+)?8[\s-]?800|(?:короткий|четыр[её]хзначн\w*)\s+номер\w*\s+"
                                   r"(?:\w+\s+){0,3}для|\b(?:our|my)\s+own\s+(?:toll[\s-]?free|8[\s-]?800|short)\s+number",
                                   re.IGNORECASE),
    "business": re.compile(r"для\s+бизнеса|корпоративн\w*|юр\w*\s*лиц\w*|юрлиц\w*|\bип\b|business\s+(?:plan|tariff|account|sim)|"
                           r"for\s+(?:my|our)\s+(?:company|business)|\bdealer|дилер\w*", re.IGNORECASE),
    "children and watches": re.compile(r"детск\w+\s+(?:тариф\w*|часы|час\w+)|умн\w+\s+час\w*|смарт-?час\w*|smart\s?watch\w*|"
                                       r"(?:kid|child)(?:'?s|ren'?s)?\s+(?:watch|plan)", re.IGNORECASE),
    "loyalty and exchanges": re.compile(
        r"бонус\w*|балл\w*|loyalty|reward\s+points|обмен\w*\s+(?:\w+\s+)?(?:минут|гигабайт|гиг)\w*|обменять\s+минуты|"
        r"(?:exchange|swap|convert)\s+(?:\w+\s+)?minutes|перенос\w*\s+(?:\w+\s+)?остатк\w*|остатк\w*\s+(?:\w+\s+)?(?:перенос|сгора)\w*|"
        r"roll\s?over|(?:unused|leftover)\s+(?:data|gigs|minutes)\s+(?:\w+\s+){0,2}(?:carry|roll|next\s+month)",
        re.IGNORECASE),
    "a new number": re.compile(
        r"(?:change|switch)\s+(?:my\s+)?(?:phone\s+)?number\s+(?:\w+\s+)?to\s+(?:a\s+)?(?:new|different|another)\b|"
        r"new\s+number\s+(?:\w+\s+){0,3}(?:but|and)\s+keep\s+(?:the\s+|my\s+)?(?:same\s+)?sim|"
        r"(?:сменить|поменять|изменить)\s+(?:сам\s+|свой\s+)?номер\s+(?:телефона\s+)?на\s+(?:друг|нов)\w*",
        re.IGNORECASE),
    "credit history": re.compile(r"кредитн\w+\s+истори\w*|credit\s+(?:history|score|rating|record)", re.IGNORECASE),
    "translation": re.compile(
        r"how\s+do\s+you\s+say\b|\btranslate\b|как\s+(?:будет|сказать|переводится)\s+.{1,40}\s+по-\w+|"
        r"(?:переведи\w*|перевод\w*)\s+(?:\w+\s+)?(?:на|с)\s+(?:английск|русск|немецк|французск|испанск|китайск|итальянск|турецк)\w*",
        re.IGNORECASE),
    # calling another country, or how to dial a number across a border (calling support from abroad is the roaming
    # line's entry; `abroad` is checked by `uncovered_subject`)
    "dialling abroad": re.compile(
        r"код\w*\s+страны|country\s+code|international\s+(?:call\w*|dialling|dialing|format)|"
        r"международн\w+\s+(?:звон\w*|вызов\w*|формат\w*|код\w*)|"
        r"(?:что|как)\s+(?:\w+\s+)?набирать\s+(?:\w+\s+)?перед|\+7\s+(?:или|or)\s+8\b|\b8\s+(?:или|or)\s+\+7|"
        r"dial\w*\s+(?:a\s+|an?\s+)?(?:russian|foreign|uk|us|british|german|kazakh)\s+(?:\w+\s+){0,2}number",
        re.IGNORECASE),
    "emergency numbers": re.compile(
        r"(?<![(?<!\d)\d+])(?<!сч[её]ту\s)(?<!балансе\s)(?<!осталось\s)112(?!\d)(?!\s*(?:руб|р\b|₽|rub))|экстренн\w+\s+(?:служб|номер|вызов|звон)\w*|скор(?:ую|ой)\s+помощ\w*|"
        r"emergency\s+(?:number|services?|line|calls?)|(?:call|dial)\s+(?:911|999|112)",
        re.IGNORECASE),
    "moving home": re.compile(
        r"(?:переезж\w*|переезд\w*|переед\w*|переехал\w*|\bmov(?:e|ing)\s+(?:\w+\s+){0,2}(?:to|from)|relocat\w*)"
        r".{0,80}(?:номер\w*\s+(?:\w+\s+)?сохран|сохран\w*\s+(?:ли\s+)?(?:\w+\s+)?номер|тариф\w*\s+(?:\w+\s+)?(?:поменя|измен|смен)|"
        r"keep\s+(?:my\s+|the\s+)?number|(?:plan|tariff)\s+(?:\w+\s+)?chang)",
        re.IGNORECASE | re.DOTALL),
    "the voice menu's language": re.compile(
        r"(?:voice\s+menu|\bivr\b|automated\s+menu|robot|автоответчик\w*|голосов\w+\s+меню|меню\s+611|робот\w*)"
        r".{0,40}(?:english|английск\w*|другом\s+язык\w*|another\s+language)|"
        r"(?:english|английск\w*)\s+(?:\w+\s+){0,2}(?:voice\s+menu|menu|меню|автоответчик\w*)",
        re.IGNORECASE | re.DOTALL),
    "contracts and age": re.compile(
        r"(?:минимальн\w+\s+)?возраст\w*\s+(?:\w+\s+){0,3}(?:договор|сим|номер|оформ)|с\s+какого\s+возраста|"
        r"несовершеннолетн\w*|minimum\s+age|age\s+limit|how\s+old\s+(?:do\s+(?:i|you)|must|should|does)|under\s+18|"
        r"(?:ребён\w*|ребен\w*|подрост\w*|сын\w*|доч\w*)\s+(?:\w+\s+){0,2}(?:14|16|(?<!\d)\d+\s+лет)\b.{0,40}(?:оформ|договор|на\s+себя)",
        re.IGNORECASE | re.DOTALL),
    # other bills paid from the phone's balance ("оплатить коммуналку или штраф с баланса телефона")
    "paying bills from the balance": re.compile(
        r"(?:оплат|плат|заплат)\w*\s+(?:\w+\s+){0,4}(?:коммуналк\w*|жкх|штраф\w*|налог\w*|парковк\w*|госпошлин\w*|кредит\w*|"
        r"проезд\w*)\s+(?:\w+\s+){0,5}(?:с|со)\s+(?:\w+\s+)?(?:баланс|сч[её]т|телефон|номер)\w*|"
        r"\bpay\s+(?:for\s+)?(?:my\s+|the\s+)?(?:utilities|utility\s+bills?|fines?|parking|taxes|tickets?)\s+(?:\w+\s+){0,3}"
        r"(?:from|with|using)\s+(?:my\s+|the\s+)?(?:phone\s+)?(?:balance|credit|account)",
        re.IGNORECASE),
    # a free "call me back" text at zero ("как отправить бесплатную смску «перезвони мне»")
    "call me back": re.compile(r"[«\"']перезвони(?:\s+мне)?|(?:смс\w*|sms|смск\w*|сообщени\w*)\s+(?:\w+\s+){0,2}перезвони|"
                               r"\bcall\s+me\s+back[\"'”’]?\s+(?:sms|text|message)|(?:sms|text|message)\s+[\"'“]?call\s+me\b|"
                               r"маячок\w*|\bbeacon\b", re.IGNORECASE),
    # what was paid for and not used, paid back ("перехожу на другой тариф, а осталось 15 гигов — их компенсируют?")
    "unused allowance": re.compile(
        r"(?:компенс\w*|верн\w+\s+(?:\w+\s+)?деньги|возмест\w*|пересчит\w*|перерасч\w*)\s+(?:\w+\s+){0,4}(?:за\s+)?неиспользованн\w*|"
        r"неиспользованн\w+\s+(?:\w+\s+){0,3}(?:компенс|верн|возмест)\w*|(?:их|это)\s+(?:как-?то\s+)?(?:компенсир|возмест)\w*|"
        r"\b(?:refund|compensat\w*|money\s+back|reimburs\w*)\s+(?:\w+\s+){0,3}(?:for\s+)?(?:the\s+|my\s+)?(?:unused|leftover)\s+"
        r"(?:data|gigs?|gb|minutes|package|allowance|traffic)\b",
        re.IGNORECASE),
    # others' free numbers ("звонки на номера 8-800 других компаний с Теле2 бесплатные?")
    "other free numbers": re.compile(
        r"8[\s-]?800\s+(?:\w+\s+){0,1}(?:других|чужих|банк\w*|компани\w*|магазин\w*|госуслуг\w*)|"
        r"(?:других|чужих)\s+(?:\w+\s+)?(?:номер\w*\s+)?8[\s-]?800|\b8[\s-]?800\s+numbers?\s+(?:of\s+)?(?:other|banks?|compan\w*|shops?)",
        re.IGNORECASE),
    # a tariff no longer sold ("смогу вернуться на свой архивный тариф?")
    "archived tariff": re.compile(r"архивн\w+\s+(?:\w+\s+)?тариф\w*|тариф\w*\s+(?:\w+\s+){0,4}архивн\w*|(?<![а-я])он\s+архивн\w*|"
                                  r"\b(?:archived?|discontinued|legacy)\s+(?:plan|tariff)s?\b|"
                                  r"\b(?:plan|tariff)\W+(?:[\w']+\s+){0,4}(?:discontinued|archived|no\s+longer\s+(?:sold|offered|available))",
                                  re.IGNORECASE),
    "balance transfers": re.compile(
        r"(?:перевести|перевод\w*|перекин\w*|скин\w*|отправ\w*|подел\w*)\s+(?:\w+\s+){0,3}(?:с|со)\s+(?:сво\w+\s+|мо\w+\s+)?"
        r"(?:баланс|сч[её]т)\w*\s+(?:\w+\s+){0,2}на\s+(?:\w+\s+){0,2}(?:номер|телефон|друг\w*|подруг\w*|мам\w*|пап\w*|сын\w*|доч\w*|"
        r"жен\w*|муж\w*|брат\w*|сестр\w*)|(?:с|со)\s+(?:сво\w+\s+|мо\w+\s+)?(?:баланс|сч[её]т)\w*\s+на\s+(?:друг\w+|чуж\w+)\s+номер|"
        r"(?:send|transfer|give|share|move)\s+(?:\w+\s+){0,3}(?:balance|credit|airtime)\s+(?:\w+\s+){0,3}to\b|"
        r"(?:straight|directly|right)\s+from\s+(?:my\s+)?balance|from\s+my\s+balance\s+to\b",
        re.IGNORECASE),
    "the app on a device": re.compile(
        r"(?:приложени\w*|\bapp\b|мой\s+теле\s?2|my\s+tele\s?2).{0,60}(?:huawei|хуав\w*|хонор\w*|honor|google\s+play|"
        r"гугл\s*плей\w*|app\s*gallery|rustore|рустор\w*|app\s*store|apple\s+watch|smart\s?tv|планшет\w*|tablet)",
        re.IGNORECASE | re.DOTALL),
    "call recording": re.compile(
        r"запис\w+\s+(?:\w+\s+)?(?:разговор\w*|звонк\w*)|(?:разговор\w*|звонк\w*)\s+(?:\w+\s+)?запис\w*|"
        r"call\s+recording|record(?:ing)?\s+(?:my\s+|the\s+|all\s+|work\s+|phone\s+)?(?:calls|conversations?)\b",
        re.IGNORECASE),
    "sms centre": re.compile(r"(?:смс|sms)[\s-]*центр\w*|\bsmsc\b|sms[\s-]*cent(?:re|er)|message\s+cent(?:re|er)\s+number",
                             re.IGNORECASE),
    "apple's own services": re.compile(r"\bi-?message\b|\bfacetime\b|\bimessage\w*|аймесседж\w*|фейстайм\w*",
                                        re.IGNORECASE),
    "emergency alerts": re.compile(
        r"(?<![а-я])мчс(?![а-я])|emergency\s+(?:alert|warning|broadcast)s?|(?:civil\s+defen[cs]e|amber|weather|government)\s+alerts?|"
        r"(?:экстренн|чрезвычайн)\w+\s+(?:оповещени|предупреждени|рассылк)\w*|оповещени\w+\s+(?:о\s+)?(?:чс|опасност|угроз)\w*",
        re.IGNORECASE),
    "the company's details": re.compile(
        r"юридическ\w+\s+адрес\w*|головн\w+\s+офис\w*|центральн\w+\s+офис\w*|реквизит\w*\s+(?:компании|теле\s?2|tele\s?2|оператора|"
        r"организаци)|\b(?:инн|огрн|кпп)\b|head\s+office|headquarters|\bhq\b|legal\s+address|registered\s+(?:office|address)|"
        r"tax\s+(?:number|id)|company'?s?\s+(?:bank\s+)?details|(?:акци[ия]|shares?|stock)\s+(?:\w+\s+)?(?:теле\s?2|tele\s?2)",
        re.IGNORECASE),
    "finding a phone": re.compile(
        r"\bimei\b|(?:найти|отследить|вычислить|определить\s+местоположени\w*|отследят|найдут|найдёте|найдете)\s+(?:\w+\s+){0,3}"
        r"(?:телефон|смартфон|айфон|аппарат|мобильн)\w*|(?:геолокаци|местоположени)\w*\s+(?:\w+\s+){0,2}(?:телефон|номер|абонент)\w*|"
        r"(?:track|locate|trace)\s+(?:\w+\s+){0,3}(?:phone|handset|device|location)|find\s+(?:\w+\s+){0,3}location|"
        r"find\s+(?:out\s+)?where\s+(?:my|his|her|the|it|a)\b|where\s+(?:my|his|her|the)\s+phone\s+is",
        re.IGNORECASE),
    "calls from a computer": re.compile(
        r"(?:с|через|на)\s+(?:\w+\s+)?(?:ноутбук|ноута|ноуте|компьютер|компа|компе|пк|планшет)\w*.{0,50}звон|"
        r"звон\w*\s+(?:\w+\s+){0,4}(?:с|через|на)\s+(?:\w+\s+)?(?:ноутбук|ноута|ноуте|компьютер|компа|компе|пк)\w*|"
        r"(?:calls?|calling|texts?|texting)\s+(?:\w+\s+){0,5}(?:from|on)\s+(?:my\s+|a\s+|the\s+)?(?:laptop|computer|pc|mac|tablet|ipad)\b|"
        r"(?:laptop|computer|pc)\s+(?:\w+\s+){0,2}(?:calls?|calling)",
        re.IGNORECASE | re.DOTALL),
    "whose network a number is on": re.compile(
        r"(?:как(?:ой|ого|ому)|чей|чьего)\s+оператор\w*\s+(?:\w+\s+){0,2}номер|номер\w*\s+(?:\w+\s+){0,3}(?:как(?:ой|ого|ому)|чей)\s+оператор|"
        r"(?:определить|узнать|понять|проверить)\s+(?:\w+\s+){0,2}оператор\w*\s+(?:по\s+)?(?:\w+\s+)?номер|"
        r"(?:which|what|whose)\s+(?:network|carrier|operator|provider)\s+(?:\w+\s+){0,3}(?:number|it)\s+(?:is|belongs)|"
        r"(?:which|what|whose)\s+(?:network|carrier|operator|provider)\s+is\s+(?:this|that|the|a|my\s+\w+'?s?)\s+number|"
        r"(?:tell|know|check|see|find\s+out)\s+(?:\w+\s+){0,2}(?:if|whether|which)\s+(?:a\s+|the\s+|this\s+)?number\s+is\s+"
        r"(?:on|with)\b",
        re.IGNORECASE),
    "the app's language": re.compile(
        r"(?:приложени\w*|\bapp\b|мой\s+теле2|my\s+tele2|личн\w+\s+кабинет\w*|personal\s+account|website|сайт\w*).{0,50}"
        r"(?:english|английск\w*|another\s+language|другой\s+язык|на\s+другом\s+языке|in\s+russian|на\s+русском)|"
        r"(?:english|английск\w*)\s+(?:\w+\s+){0,2}(?:version|верси\w*)",
        re.IGNORECASE | re.DOTALL),
    "press and research": re.compile(
        r"спонсор\w*|sponsor\w*|партн[её]рств\w*|partnership|"
        r"press\s+(?:office|service|team|contact)|пресс-?служб\w*|журналист\w*|journalist|media\s+(?:inquir\w*|contact|relations)|"
        r"\binvestor\s+relations|интервью", re.IGNORECASE),
    "security reports": re.compile(r"bug\s+bounty|баг-?баунти|security\s+(?:bug|hole|flaw|issue\s+in)|vulnerabilit\w*|"
                                   r"уязвимост\w*", re.IGNORECASE),
    "the app's looks and assistants": re.compile(
        r"т[её]мн\w+\s+тем\w*|dark\s+(?:mode|theme)|автозамен\w*|autocorrect|(?<![а-я])алис[аеуы]\b|\balexa\b|\bsiri\b|сири\b|"
        r"маруся",  # (the "voice assistant" of 611 is its voice menu, ours)
        re.IGNORECASE),
    "debt collection": re.compile(r"коллектор\w*|collector\w*|debt\s+collect\w*", re.IGNORECASE),
    "crypto": re.compile(r"crypto\w*|bitcoin|btc\b|usdt|биткоин\w*|крипт\w*", re.IGNORECASE),
    "developers": re.compile(r"\bapi\b|\bsdk\b|\b(?:from|in|with)\s+(?:my\s+own\s+|a\s+)?(?:script|code|program)\b|"
                             r"(?:свой|своего|своей)\s+(?:скрипт|программ|бот)\w*|webhook", re.IGNORECASE),
    "privacy of messages": re.compile(
        r"(?:читать|читают|прочитать|прочесть|слушать|слушают|прослушива\w*)\s+(?:\w+\s+){0,2}(?:смс|sms|смски|переписк\w*|сообщени\w*|"
        r"звонк\w*|разговор\w*)|прослушк\w*|(?:read|listen\s+to)\s+(?:my\s+)?(?:texts|sms|messages|calls|conversations)|"
        # (seen by someone else: "how do i see my calls" is the call details)
        r"\b(?:you|they|tele2|operators?|staff|employees?|any\s?one|some\s?one|somebody|police)\s+(?:\w+\s+){0,2}see\s+(?:my\s+)?"
        r"(?:texts|sms|messages|calls|conversations)|"
        r"wiretap\w*", re.IGNORECASE),
    "booking a visit": re.compile(
        r"запис\w+\s+(?:\w+\s+){0,2}(?:в\s+салон|на\s+(?:определ\w+\s+|конкретн\w+\s+)?время|на\s+при[её]м)|"
        r"(?:book|schedule|make|reserve)\s+(?:an?\s+)?(?:appointment|slot|time\s+slot|visit)",
        re.IGNORECASE),
    "the number's previous owner": re.compile(
        r"(?:предыдущ|прошл|прежн|бывш)\w+\s+(?:владел|хозя)\w*|(?:previous|former|old)\s+owner", re.IGNORECASE),
    "call length": re.compile(
        r"(?:limit|maximum|max|cap)\s+(?:\w+\s+){0,4}(?:one\s+|a\s+|each\s+|single\s+)?(?:call|conversation)\b|"
        r"how\s+long\s+(?:can\s+)?(?:one|a|each|single)\s+(?:call|conversation)\s+(?:last|be|go)|"
        r"(?:длительност|продолжительност)\w+\s+(?:\w+\s+)?(?:звонка|разговора|вызова)|"
        r"(?:сколько|как\s+долго)\s+(?:\w+\s+)?(?:может\s+)?длит\w+\s+(?:один\s+)?(?:звонок|разговор)",
        re.IGNORECASE),
    "devices": re.compile(
        r"(?:esim|е-?сим)\s+(?:\w+\s+){0,2}(?:on|for|в|на|with)\s+(?:\w+\s+){0,2}(?:pixel|iphone|айфон\w*|samsung|galaxy|"
        r"xiaomi|redmi|huawei|honor|часа\w*|часы|watch\w*|планшет\w*|ipad|tablet)|qr[\s-]*(?:код|code)",
        re.IGNORECASE),
    # a caller kept from calling one ("can Tele2 block one number from calling me"; the catalogue's blacklist service
    # is connected by the service actions)
    "blocking a caller": re.compile(
        r"\bblock\s+(?:a|one|this|that|his|her|their|the|certain|specific|an?\s+\w+)\s+"
        r"(?:\w+\s+)?(?:number|caller|person|contact)\s+(?:\w+\s+){0,3}(?:from\s+)?calling|\bstop\s+(?:\w+\s+){0,3}from\s+calling\s+me|"
        r"(?:заблокир\w*|блокир\w*)\s+(?:\w+\s+){0,2}(?:номер|абонент\w*|контакт\w*)\s+(?:\w+\s+){0,3}(?:чтобы|чтоб)\s+(?:\w+\s+){0,2}"
        r"(?:не\s+)?(?:звонил|дозвонил|мог\s+звонить|названивал)\w*",
        re.IGNORECASE),
    # data the app or this chat uses ("приложение само трафик жрёт?", "does this bot use my data")
    "data the app uses": re.compile(
        r"\A(?=.*(?:приложени|(?<![а-я])бот|\bapp\b|\bbot\b|\bchat))(?=.*(?:(?:(?<![а-я])(?:тратит|ест|жр[её]т|расходует|съедает|"
        r"потребляет|тратить)|\b(?:use|uses|eat|eats|consume|consumes|using)\b)\s+(?:\w+\s+){0,3}(?:трафик|гигабайт|гиг|мегабайт|"
        r"интернет|(?:my\s+)?data|(?:my\s+)?gigs)|(?:трафик|гигабайт\w*|гиг\w*|мегабайт\w*)\s+(?:\w+\s+)?(?:тратит|ест|жр[её]т|"
        r"расходует|съедает|потребляет)))", re.IGNORECASE | re.DOTALL),
    # how much data an activity takes ("сколько гигов съедает час видеозвонка", "how many GB does an hour of video calling
    # eat"): an estimate the base does not give (how much is left on the line is the account's)
    "data an activity takes": re.compile(
        r"\A(?=.*(?:час|минут|фильм|видео|звон|сери[ия]|стрим|игр|\bhour|\bminute|\bmovie|\bvideo|\bcall|\bstream|\bgam|"
        r"\bepisode|\bshow))(?:.*(?:сколько\s+(?:\w+\s+){0,2}(?:гб|гиг\w*|мб|мегабайт\w*|гигабайт\w*|трафик\w*)\s+(?:\w+\s+){0,3}"
        r"(?<![а-я])(?:ест|съедает|тратит|уходит|расходует|потребляет|жр[её]т|нужно\s+на|надо\s+на)|"
        r"how\s+(?:many|much)\s+(?:gb|mb|gigs?|data|megabytes?|gigabytes?)\s+(?:(?:does|do|will|would|can)\s+(?:\w+\s+){0,8}?)?"
        r"(?:eats?|uses?|takes?|consumes?|burns?|needs?)\b))", re.IGNORECASE | re.DOTALL),
    # the number confirmed through the state services portal ("надо ли подтверждать номер через Госуслуги по новому
    # закону"): the law's procedure, which the base does not describe
    "confirming the number on Gosuslugi": re.compile(
        r"(?=.*(?:госуслуг\w*|gosuslugi|gosuslugi\.ru|state\s+services\s+portal))"
        r"(?=.*(?:подтвер\w*|верифи\w*|confirm\w*|verif\w*))", re.IGNORECASE | re.DOTALL),
    # a text to a landline ("можно отправить смс на городской номер?")
    "sms to a landline": re.compile(r"(?:смс|sms|сообщени\w*)\s+(?:\w+\s+){0,2}на\s+(?:городско\w*|стационарн\w*|домашн\w*)|"
                                    r"\b(?:text|sms)\s+(?:\w+\s+){0,2}(?:to\s+)?(?:a\s+)?landline", re.IGNORECASE),
    # messages the phone deleted, brought back ("можете восстановить удалённые смс?")
    "deleted messages": re.compile(
        r"(?:восстанов|вернуть|верн[её]т|достать)\w*\s+(?:\w+\s+){0,2}(?:удал[её]нн|стерт|стёрт)\w*\s+(?:\w+\s+)?(?:смс|sms|смск|"
        r"сообщени|переписк|чат)\w*|(?:удалил\w*|стер\w*|стёр\w*)\s+(?:\w+\s+){0,3}(?:смс|sms|смск|сообщени|переписк)\w*.{0,60}"
        r"(?:восстанов|вернуть)|\b(?:recover|restore|retrieve|get\s+back)\s+(?:\w+\s+){0,2}deleted\s+(?:\w+\s+)?(?:texts?|messages?|"
        r"sms|chats?)\b", re.IGNORECASE | re.DOTALL),
    # who put money on the number ("мне кто-то положил 1000, как узнать кто?", "who topped up my number")
    "the payer": re.compile(
        r"\A(?=.*(?:положил|пополнил|закинул|перев[её]л|оплатил|кинул|topped|put\s+money|sent\s+(?:me\s+)?money|paid))"
        r"(?=.*(?:(?:узнать|выяснить|понять|посмотреть)\s+(?:\w+\s+){0,2}кто(?![а-я])|кто\s+именно|кто\s+это\s+(?:был|сделал)|"
        r"\b(?:find\s+out|see|know|tell\s+me)\s+who\b|\bwho\s+(?:did\s+it|it\s+was|was\s+it)))",
        re.IGNORECASE | re.DOTALL),
}
# subjects whose words also ask how to reach support ("как позвонить в поддержку с компьютера": the web chat)
ABOUT_SUPPORT_TOO = frozenset({"calls from a computer"})
# another company's own service: a bank's app, a shop's hours, a marketplace's or a taxi's order ("во сколько
# открывается Пятёрочка", "reset my Sberbank online password") — paying for the line through them, or their
# texts and codes reaching the phone, are the line's business (OUR_LINE)
OTHER_COMPANY = re.compile(
    r"\b(?:сбер(?:бан\w*|онлайн\w*|а|е|у|ом)?|sber(?:bank)?|тинькофф\w*|tinkoff|т-банк\w*|t-bank|втб|vtb|альфа-?банк\w*|"
    r"alfa-?bank|газпромбанк\w*|озон\w*|ozon|wildberries|вайлдберриз\w*|в[ао]лдбер+из\w*|авито|avito|"
    r"яндекс[\s.]*(?:такси|ед[аыу]|маркет\w*|лавк\w*|доставк\w*)|yandex\s*(?:taxi|go|eats|market)|uber|"
    r"пят[её]рочк\w*|перекр[её]ст\w*|ашан\w*|auchan|вкусвилл\w*|сдэк\w*|cdek|почт\w+\s+росси\w*|ржд|аэрофлот\w*|aeroflot|"
    r"netflix|spotify|steam|playstation|xbox|amazon|ikea|икеа|aliexpress|алиэкспресс\w*|золот\w+\s+корон\w*|western\s+union|"
    # public places and services of the state, whose hours and rules are theirs
    r"музе\w*|эрмитаж\w*|hermitage|museums?|louvre|аптек\w*|pharmac\w*|театр\w*|theat(?:re|er)s?|кинотеатр\w*|cinemas?|"
    r"зоопарк\w*|zoo|библиотек\w*|librar(?:y|ies)|мфц|загс\w*|"
    r"налогов\w+\s+(?:инспекци|служб)\w*|post\s+office)\b", re.IGNORECASE)
OUR_LINE = re.compile(
    r"пополн\w*|оплат\w*|оплач\w*|заплат\w*|плат[её]ж\w*|баланс\w*|сч[её]т\w*|списа\w*|спис[ыа]ва\w*|автоплат\w*|смс|sms|"
    r"карт\w*|перев[еоё]\w*|\bкод\w*|номер\w*|сим\w*|\bsim\b|тариф\w*|трафик\w*|интернет\w*|звон\w*|подписк\w*|теле\s?2|tele\s?2|"
    r"top[\s-]?up|\bpay\w*|auto-?pay\w*|\bcards?\b|transfer\w*|balance|charg\w*|\bcodes?\b|number|tariff|\bplan\b|\bdata\b|internet|\bcall\w*|subscri\w*|"
    r"связ\w*|(?<![а-я])сет[ьи]\b|ловит|сигнал\w*|signal|network|coverage|reception",
    re.IGNORECASE)
# the home's utilities ("куда жаловаться на энергосбыт", "управляющая компания не чинит лифт"): their bills and
# complaints are theirs, whatever a bill or a complaint has in common with ours
UTILITY = re.compile(r"(?<![а-я])(?:(?<!\w)\w*энергосбыт\w*|жкх|жкх\w+|управляющ\w+\s+компани\w*|водоканал\w*|теплосет\w*|"
                     r"газов\w+\s+служб\w*|горгаз\w*|за\s+(?:электричество|свет|газ|воду|отопление|квартплату|коммуналку))(?![а-я])|"
                     r"\b(?:electricity|water|gas|heating)\s+(?:bill|company|supplier)|\butility\s+(?:bill|company)\b",
                     re.IGNORECASE)
# a page or an account of one's own in a social network or on the state services portal, hacked or to be recovered
# ("взломали страницу вконтакте", "восстановить доступ к госуслугам"): the network's own support, not ours
_SOCIAL = (r"(?:вк|вконтакте|vk|инстаграм\w*|instagram|телеграм\w*|telegram|whatsapp|ватсап\w*|вотсап\w*|госуслуг\w*|"
           r"facebook|фейсбук\w*)")
SOCIAL_ACCOUNT = re.compile(
    rf"(?:взлом\w*|hack\w*|восстанов\w*|recover\w*|забыл\w*\s+пароль)\s+(?:\w+\s+){{0,3}}(?:страниц\w*|аккаунт\w*|профил\w*|"
    rf"доступ\w*|page|account|profile|access)\s+(?:\w+\s+){{0,2}}(?:в\s+|к\s+|on\s+|to\s+|in\s+)?{_SOCIAL}|"
    rf"(?:страниц\w*|аккаунт\w*|профил\w*|page|account|profile)\s+(?:\w+\s+){{0,2}}(?:в\s+|on\s+|in\s+)?{_SOCIAL}\s+"
    rf"(?:\w+\s+){{0,2}}(?:взлом\w*|hacked)|{_SOCIAL}\s+(?:\w+\s+){{0,2}}(?:взлом\w*|hacked)|"
    rf"(?:взлом\w*|hack\w*|восстанов\w*|recover\w*)\s+(?:\w+\s+){{0,2}}{_SOCIAL}\s+(?:страниц\w*|аккаунт\w*|профил\w*|page|account|profile)",
    re.IGNORECASE)
# the subscriber's own tariff is the account's business ("сколько стоит мой тариф", "what's my plan")
MY_TARIFF = re.compile(r"\bмо[йеё]\s+(?:текущ\w+\s+|нынешн\w+\s+)?тариф|тариф\w*\s+у\s+меня|у\s+меня\s+(?:\w+\s+)?тариф|"
                       r"\bmy\s+(?:current\s+)?(?:plan|tariff)\b|(?:plan|tariff)\s+(?:\w+\s+){0,3}(?:put|signed|set)\s+me\s+(?:on|up)|"
                       r"(?:plan|tariff)\s+(?:i'?m|i\s+am)\s+on|(?:plan|tariff)\s+i\s+(?:have|got)\b|"
                       r"тариф\w*\s+(?:\w+\s+)?(?:мне\s+)?(?:подключил|поставил|оформил)\w*|"
                       r"тариф\w*\s+(?:я|мы)\s+(?:\w+\s+)?(?:подключен\w*|сижу|сидим|нахожусь)", re.IGNORECASE)
# entries that do answer about tariffs from the price list's side: changing to one
TARIFF_CHANGE_ACTIONS = frozenset({"change_tariff"})


# a phone stolen or left behind is the line's business, whatever bank's app was on it ("украли телефон, там сбер")
LOST_PHONE = re.compile(f"{STOLEN.pattern}|{LEFT_BEHIND.pattern}", re.IGNORECASE)


def uncovered_subject(text: str, abroad: bool = False, place: bool = False) -> str | None:
    """The uncovered subject the message asks about ("porting", "unlocking", "products", "coverage", "prices
    abroad", "tariff"), or None. `abroad`: the message names another country; `place`: a country or a region."""
    if PORTING.search(text):
        return "porting"
    if UNLOCKING.search(text):
        return "unlocking"
    if PRODUCTS.search(text):
        return "products"
    if COVERAGE.search(text) or (place and WORKS_THERE.search(text)):
        return "coverage"
    for subject, pattern in MORE.items():
        if pattern.search(text) and not (subject in ABOUT_SUPPORT_TOO and SUPPORT_LINE.search(text)):
            return subject
    if ((OTHER_COMPANY.search(text) and not OUR_LINE.search(text) and not LOST_PHONE.search(text)) or SOCIAL_ACCOUNT.search(text)
            or (UTILITY.search(text) and not re.search(r"теле\s?2|tele\s?2", text, re.IGNORECASE))):
        return "another company"
    if abroad and PRICE.search(text) and SERVICE_ABROAD.search(text) and not SUPPORT.search(text):
        return "prices abroad"
    if abroad and CALLING_THERE.search(text) and not SUPPORT_LINE.search(text):
        return "dialling abroad"  # "как позвонить в Казахстан", "how do I call my mum in Russia from Turkey"
    if TARIFF_OFFER.match(text) and not MY_TARIFF.search(re.sub(_TARIFF_NAME, " ", text, flags=re.IGNORECASE)):
        return "tariff"
    return None


# services of the operator's catalogue that share their names with such subjects ("Раздача интернета", "Перенос
# остатков", "SMS и MMS"): connecting, disconnecting or listing them is the account's business
SERVICE_ACTIONS = frozenset({"connect_service", "disconnect_service", "services"})
CATALOGUE_SUBJECTS = frozenset({"phone settings", "loyalty and exchanges", "blocking a caller"})


def answers(entry: Entry, subject: str) -> bool:
    """Whether the entry can answer a message on the uncovered subject: only the ways to a person do, for
    tariffs the change of tariff, and for what the service catalogue names the service actions."""
    if entry.handoff or entry.out_of_scope or entry.group == "handoff":
        return True
    if entry.group == "complaints":  # a complaint about us on any subject; about another company, theirs to hear
        return subject != "another company"
    if subject in CATALOGUE_SUBJECTS and entry.action in SERVICE_ACTIONS:
        return True
    if subject == "tariff" and entry.action in TARIFF_CHANGE_ACTIONS:
        return True
    # a tourist's or a foreigner's own line, account and balance are as anyone's ("tourist from Kazakhstan here, how do I
    # see how much money I have left?"); only a SIM for them, its papers and prices are not described
    if subject == "from abroad" and (entry.group in ("account", "actions") or entry.action):
        return True
    # an entry editors wrote on the subject covers it ("как перенести eSIM на новый айфон" once the base has one)
    return any(uncovered_subject(text, True, True) == subject for _, text in entry.examples.all())


# Details of a covered subject that an entry may or may not give: a limit, an app's version, a file or a photo
# sent, a recording or the history of a conversation, a receipt, a stamp, the premises of a shop, the time zone
# of a statement, the file format. A message asking one is answered by an entry only when the entry's answer or
# examples speak of it too ("какая максимальная сумма одного пополнения" is no question the top-up entry
# answers; once editors add the limit to it, it is).
DETAILS: dict[str, re.Pattern[str]] = {
    # what becomes of something once something else is done ("если я заблокирую симку, автоплатёж продолжит списываться?",
    # "если переоформить номер на жену, тариф у неё останется мой?"): answered only where the entry says so
    "what then": re.compile(r"(?<![а-я])(?:если|когда|после\s+того\s+как)\s[^.!?]{3,80}?(?:,\s*|\s)(?:\w+\s+){0,6}?"
                            r"(?:продолжит\w*|останов\w*|сохранит\w*|сохранятся|остан(?:ется|утся)|перенесут\w*|сгор\w*|"
                            r"поменяют|пропуст\w*)(?![а-я])", re.IGNORECASE),
    "limit": re.compile(r"(?<![а-я])(?:максим\w*|миним\w*|лимит\w*|предел\w*)|\bmax(?:imum)?\b|\bminimum\b|"
                        r"\blimits?\b|\bat\s+most\b|\bcap\b|"
                        # how many tries ("сколько раз можно ввести PUK неправильно", "how many attempts do I get")
                        r"сколько\s+(?:раз|попыток)\s+(?:можно|даётся|дается|есть)|\bhow\s+many\s+(?:times|attempts|tries)\b|"
                        # a bigger amount than one is given ("дают только 100 рублей, как сделать чтоб больше давали?")
                        r"(?:чтоб\w*|как)\s+(?:\w+\s+){0,2}больше\s+(?:\w+\s+)?(?:давали|дали|давать|одобр\w*)|"
                        r"(?:увелич\w*|повы\w*|подня\w*)\s+(?:\w+\s+){0,2}(?:сумм\w*|лимит\w*)|"
                        r"\b(?:raise|increase)\s+(?:\w+\s+){0,2}(?:amount|limit)\b|\b(?:get|give\s+me)\s+more\s+than\b",
                        re.IGNORECASE),
    # a trial period ("услуга с бесплатным пробным периодом — потом станет платной?")
    "trial": re.compile(r"(?<![а-я])(?:пробн\w+|тестов\w+|ознакомительн\w+)\s+(?:\w+\s+)?период\w*|\bfree\s+trial\b|"
                        r"\btrial\s+(?:period|month|week)s?\b", re.IGNORECASE),
    # the currency of a payment ("с немецкой карты спишут в евро или в рублях", "is there a conversion fee")
    "currency": re.compile(r"(?<![а-я])(?:в\s+евро|в\s+долларах|в\s+валюте|конвертаци\w*|валютн\w*|курс\w*\s+валют\w*)|"
                           r"\bin\s+(?:euros?|dollars|usd|eur)\b|\bconversion\b|\bcurrenc\w*|\bexchange\s+rates?\b",
                           re.IGNORECASE),
    # whether someone's consent is needed ("can they see my call details without asking me", "можно ли без его согласия");
    # something told done without it ("switched my plan without asking me") is a complaint, not this question
    "consent": re.compile(r"(?:\bcan|\bcould|\bmay|\ballowed\s+to|можно|могут|может|имеют\s+право|вправе)\s+(?:\S+\s+){0,8}?"
                          r"(?:без\s+(?:моего|его|её|ее|их|вашего)?\s*(?:согласия|разрешения|ведома|спроса)|"
                          r"without\s+(?:my\s+|his\s+|her\s+|their\s+)?(?:permission|consent|knowledge)\b|"
                          r"without\s+asking\s+(?:me|him|her|them)\b)|"
                          r"\b(?:do|does)\s+(?:they|he|she|it)\s+need\s+(?:my|his|her|their)\s+(?:permission|consent)\b",
                          re.IGNORECASE),
    # a code or a message another way than by SMS ("login code as a voice call instead of SMS")
    "instead of sms": re.compile(r"(?<![а-я])вместо\s+(?:смс|sms|эсэмэс\w*)(?![а-я])|\binstead\s+of\s+(?:an?\s+)?(?:sms|text)\b",
                                 re.IGNORECASE),
    "version": re.compile(r"(?<![а-я])верси\w+|\bversions?\b|(?:андроид\w*|android|ios|айос)\s*\d", re.IGNORECASE),
    # (a photo only when sent or shown: "uploading my Baikal photos" is the data it took)
    "attachment": re.compile(r"(?<![а-я])(?:скрин\w*|прикреп\w*|вложени\w*)|\bscreen\s?shots?\b|\battach\w*|"
                             r"(?<![а-я])(?:отправ\w*|присла\w*|пришл\w*|скин\w*|скида\w*|прилож\w*|показа\w*|send\w*|share|show|"
                             r"email|text)\s+(?:\w+\s+){0,3}(?:фото\w*|фотк\w*|photos?|pictures?|pics?)(?![а-я\w])|"
                             r"(?<![а-я])(?:фото\w*|фотк\w*)\s+(?:паспорт\w*|документ\w*|чек\w*|квитанци\w*|экран\w*)|"
                             r"\b(?:photos?|pictures?)\s+of\s+(?:my\s+|the\s+)?(?:passport|document|id|receipt|screen)",
                             re.IGNORECASE),
    "recording": re.compile(r"(?<![а-я])(?:аудио)?запис[ьи]\s+(?:\w+\s+){0,2}(?:разговор|звонк|беседы)\w*|аудиозапис\w*|"
                            r"\brecordings?\b|\btranscripts?\b|\bchat\s+history\b|истори\w+\s+переписк\w*|"
                            r"(?:скачать|выгрузить|сохранить)\s+(?:\w+\s+)?переписк\w*", re.IGNORECASE),
    "receipt": re.compile(r"(?<![а-я])(?:кассов\w+\s+)?чек(?:а|и|ов|ом)?(?![а-я])|квитанци\w*|\breceipts?\b|\binvoices?\b|"
                          r"закрывающ\w+\s+документ\w*|сч[её]т-фактур\w*", re.IGNORECASE),
    "stamp": re.compile(r"(?<![а-я])с\s+печатью|печат\w+\s+(?:оператор|компани|салон)\w*|завер(?:ен|ит|ять|ял|ка|ку|к)\w*|"
                        r"\bstamp\w*|\bcertified\b",
                        re.IGNORECASE),
    "premises": re.compile(r"(?<![а-я])(?:пандус\w*|коляск\w*|парковк\w*|лифт\w*\s+в\s+(?:салон|офис)|с\s+собак\w*|"
                           r"с\s+(?:кошк\w*|питомц\w*|животн\w*))|\b(?:with|bring)\s+(?:my\s+|a\s+)?(?:dog|pet|cat)s?\b|\bwheelchair\w*|"
                           r"\bstep-?free\b|\baccessib\w*|\bparking\b", re.IGNORECASE),
    "time zone": re.compile(r"часов\w+\s+пояс\w*|\btime\s*-?zones?\b|московск\w+\s+или\s+(?:по\s+)?местн\w*|"
                            r"местн\w+\s+или\s+(?:по\s+)?московск\w*", re.IGNORECASE),
    "code list": re.compile(r"(?:список|перечень)\s+(?:\w+\s+){0,2}(?:ussd|команд|кодов|комбинаци)\w*|"
                            # … or of a voice menu's items ("перечислите все пункты меню 611")
                            r"(?:все|всех|весь)\s+(?:\w+\s+)?(?:пункт\w*|раздел\w*)\s+(?:голосового\s+)?меню|"
                            r"\ball\s+(?:the\s+)?(?:voice\s+)?menu\s+(?:options|items)\b|"
                            r"\blist\s+of\s+(?:all\s+)?(?:the\s+)?(?:ussd\s+)?(?:codes|commands)\b|\ball\s+(?:the\s+)?ussd\b",
                            re.IGNORECASE),
    "forum": re.compile(r"(?<![а-я])форум\w*|\bforums?\b", re.IGNORECASE),
    "beta": re.compile(r"(?<![а-я])бета\w*|тестировщик\w*|\bbeta\b", re.IGNORECASE),
    # the music itself asked after ("что за мелодия играет на линии", "what's the song on hold"), not heard while waiting
    "music": re.compile(r"(?:что\s+за|как\w*|\bwhat(?:'?s)?|\bwhich)\s+(?:\w+\s+){0,2}(?:мелоди\w*|песн[яиюе]\w*|музык\w*|"
                        r"songs?\b|music\b)", re.IGNORECASE),
    # (a courier brings or is waited for; "я курьер" tells a job)
    "delivery": re.compile(r"(?<![а-я])(?:доставк\w*|доставя\w*|доставит\w*|курьер(?:ом|а|ской|ская|скую)(?![а-я]))|"
                           r"\bdeliver(?:y|ed|s)?\b|\bby\s+courier\b",
                           re.IGNORECASE),
    "age": re.compile(r"с\s+(?:какого|скольки)\s+(?:лет|возраст\w*)|как(?:ой|ого)\s+возраст\w*|\bminimum\s+age\b|"
                      r"\bhow\s+old\s+(?:do|does|must|should)\b|\bage\s+(?:limit|requirement)\w*", re.IGNORECASE),
    "particular person": re.compile(r"(?<![а-я])(?:тому\s+же|той\s+же|того\s+же|та\s+же|тот\s+же)\s+"
                                    r"(?:самому\s+|самой\s+|самого\s+)?(?:оператор|девушк|сотрудни|специалист|консультант|человек)\w*|"
                                    r"личн\w+\s+номер\w*\s+(?:\w+\s+)?(?:оператор|сотрудник|специалист)\w*|"
                                    r"(?:оператор|сотрудник|специалист)\w*\s+по\s+имени|"
                                    r"\bsame\s+(?:agent|operator|person|girl|guy|lady|rep|consultant)\b|"
                                    r"\b(?:agent|operator)\s+by\s+name\b", re.IGNORECASE),
    "format": re.compile(r"(?<![а-я])формат\w*|\bformats?\b|\bexcel\b|\bxlsx?\b|\bcsv\b", re.IGNORECASE),
    # an answer or a contact by e-mail ("ответ на форму прислали на почту", "is there an e-mail address for support")
    "e-mail": re.compile(r"(?<![а-я])(?:e-?mail|имейл\w*|емейл\w*|мейл\w*|электронн\w+\s+почт\w*|на\s+почту|почтой|"
                         r"почтовый\s+ящик)|\be-?mail\w*|\bemail\s+address", re.IGNORECASE),
    # staff speaking another language ("is there a shop where the staff speak English", "оператор на английском")
    "language": re.compile(r"(?<![а-я])(?:англоязычн\w*|на\s+английском|по-?английски|на\s+казахском|на\s+узбекском|"
                           r"на\s+таджикском|на\s+другом\s+языке)|\b(?:english|russian|kazakh|uzbek)[\s-]+speak\w*|"
                           r"\bspeaks?\s+english\b", re.IGNORECASE),
    # a phone charged or a socket ("в салоне можно телефон зарядить?")
    "charging": re.compile(r"(?<![а-я])(?:зарядить|подзарядить|розетк\w*|павербанк\w*)|\bcharge\s+(?:my\s+|the\s+)?"
                           r"(?:phone|battery|mobile)\b|\bcharging\b|\bpower\s*bank|\bsocket\b", re.IGNORECASE),
    # another way to confirm a login ("Google Authenticator instead of SMS codes", "по отпечатку пальца или Face ID")
    "authenticator": re.compile(r"(?<![а-я])(?:аутентификатор\w*|authenticator\w*|отпечат\w+\s+пальц\w*|биометри\w*)|"
                                r"\bauthenticator\b|\btotp\b|\b(?:security|hardware)\s+key\b|\byubikey\b|\bface\s*id\b|"
                                r"\btouch\s*id\b|\bfingerprint\b|\bbiometric\w*", re.IGNORECASE),
    # a reserve way back in ("a backup code if I lose the phone", "резервный код")
    "backup code": re.compile(r"(?<![а-я])(?:резервн\w+|запасн\w+)\s+(?:код\w*|способ\w*)|\b(?:backup|recovery)\s+codes?\b",
                              re.IGNORECASE),
    # the PUK itself asked after, where the entry never names it ("после замены сим-карты PUK-код остаётся прежним?")
    "puk": re.compile(r"(?<![а-я])пук|\bpuk\b", re.IGNORECASE),
    # money inherited ("могу ли я как наследник получить эти деньги")
    "inheritance": re.compile(r"(?<![а-я])(?:наследств\w*|наследник\w*|наследниц\w*|по\s+наследству)|\binherit\w*|\bestate\b",
                              re.IGNORECASE),
    # cash ("снять нал в банкомате", "пополнить на почте наличными")
    "cash": re.compile(r"(?<![а-я])(?:наличн\w*|нал(?![а-я])|налом|банкомат\w*|на\s+почте|почт\w+\s+отделени\w*)|"
                       # (money short is no cash asked after: "out of cash till friday", "strapped for cash")
                       r"(?<!out\sof\s)(?<!short\son\s)(?<!low\son\s)(?<!tight\son\s)(?<!for\s)(?<!no\s)\bcash\b|"
                       r"\batms?\b|\bpost\s+office\b", re.IGNORECASE),
    # the money on the number when it changes hands or plans ("переоформляю номер на дочь — деньги на счету останутся ей
    # или сгорят?")
    "balance kept": re.compile(r"(?<![а-я])(?:деньги|денег|баланс\w*|остат\w*|средства)\s+(?:\w+\s+){0,5}?(?:останутся|останется|"
                               r"сгорят|сгорит|сгорают|пропадут|пропад[её]т|перейдут|перейд[её]т|перенесут\w*)(?![а-я])|"
                               r"(?<![а-я])(?:останутся|сгорят|сгорит|пропадут|перейдут)\s+(?:ли\s+)?(?:\w+\s+){0,2}"
                               r"(?:деньги|баланс|остаток|средства)|\b(?:money|balance|credit)\s+(?:\w+\s+){0,4}?(?:stays?|"
                               r"carry\s+over|carries\s+over|transfers?\s+(?:over|to)|be\s+lost|burn)\b", re.IGNORECASE),
    # at once, from two places ("заходить в один кабинет с двух телефонов одновременно")
    "simultaneous": re.compile(r"(?<![а-я])одновременно|в\s+одно\s+(?:и\s+то\s+же\s+)?время|\bat\s+the\s+same\s+time\b|"
                               r"\bsimultaneous\w*", re.IGNORECASE),
    # a contract or a paper in another language ("Is your SIM contract available in Chinese language?")
    "document language": re.compile(r"(?:договор\w*|документ\w*|contract|document|paperwork|terms)\s+(?:\w+\s+){0,3}?"
                                    r"(?:in|на)\s+(?:chinese|english|arabic|hindi|turkish|german|french|spanish|korean|japanese|"
                                    r"китайск\w*|английск\w*|арабск\w*|турецк\w*|немецк\w*|французск\w*|испанск\w*|корейск\w*|"
                                    r"японск\w*|другом\s+язык\w*|another\s+language)", re.IGNORECASE),
    # a way to send money that is no payment of ours ("like western union but to the phone")
    "money transfer": re.compile(r"western\s+union|moneygram|золот\w+\s+коро\w+|юнистрим|unistream|\bria\s+money\b",
                                 re.IGNORECASE),
    # a caller who hid the number ("в распечатке будут видны номера тех, кто звонил со скрытого номера?")
    "hidden number": re.compile(r"(?<![а-я])скрыт\w+\s+(?:номер\w*|номеров)|(?<![а-я])(?:со\s+)?скрытого(?![а-я])|"
                                r"антиопределител\w*|(?<![а-я])номер\s+(?:\w+\s+)?не\s+(?:высвечивал|определял|отображал|показывал)\w*|"
                                r"\bhide\s+my\s+(?:number|caller\s+id)\b|"
                                r"\b(?:hidden|private|withheld|blocked)\s+(?:caller\s+)?(?:numbers?|ids?)\b|\bno\s+caller\s+id\b",
                                re.IGNORECASE),
    # a widget of the app on the phone's screen ("есть виджет баланса на рабочий стол?")
    "widget": re.compile(r"(?<![а-я])виджет\w*|\bwidgets?\b", re.IGNORECASE),
    # a card of a payment system seldom taken here ("Can I link UnionPay card so money go to my number")
    "card system": re.compile(r"union\s?pay|юнион\s?п[еэ]й|\bamex\b|american\s+express|\bjcb\b|\bdiners\b|"
                              r"пушкинск\w+\s+карт\w*|\bpushkin\s+card", re.IGNORECASE),
    # how often figures refresh ("остатки обновляются в реальном времени?")
    "refresh": re.compile(r"в\s+реальном\s+времени|(?:как|насколько)\s+(?:\w+\s+)?(?:часто|быстро)\s+(?:\w+\s+)?обновля\w*|"
                          r"\breal[\s-]?time\b|\bhow\s+often\s+(?:\w+\s+){0,3}(?:update|refresh)", re.IGNORECASE),
    # an alert of something ("приходит ли уведомление, если кто-то зашёл с нового устройства")
    "alerts": re.compile(r"(?<![а-я])(?:уведомлени\w*|оповещени\w*)|\bnotif\w*|\balerts?\b|"
                         # the texts sent about something ("отключить смски про автоплатёж")
                         r"(?<![а-я])(?:смс\w*|sms|эсэмэс\w*)\s+(?:про|о|об)\s+(?:автоплат\w*|списани\w*|пополнени\w*|платеж\w*|платёж\w*)|"
                         r"\b(?:texts|sms|messages)\s+about\s+(?:the\s+|my\s+)?(?:autopay\w*|payments?|charges?|top-?ups?)|"
                         r"\b(?:get|send\s+me)\s+(?:a\s+)?(?:text|sms|message|warning|heads[\s-]up)\s+(?:when|if|once)\b|"
                         r"\b(?:text|sms|message)\s+every\s+(?:morning|day|evening|week)\b|(?<![а-я])ежедневн\w+\s+(?:смс|sms|сообщени)\w*|"
                         r"(?:смс|sms|сообщени\w*)\s+(?:\w+\s+){0,3}(?:каждый\s+день|каждое\s+утро|ежедневно)",
                         re.IGNORECASE),
    # an extension or a delay ("обещанный платёж можно продлить?")
    "extension": re.compile(r"(?<![а-я])(?:продлит\w*|продлен\w*|продлева\w*|отсрочк\w*)|\bextend\w*|\bextension\b|"
                            r"\bpostpone\w*", re.IGNORECASE),
    # the monthly fee itself asked after ("абонентская плата, пока симка заблокирована, списывается?")
    "monthly fee": re.compile(r"(?<![а-я])абонентск\w+\s+плат\w*|(?<![а-я])абонентк\w*|"
                              r"(?<![а-я])плат\w+\s+за\s+(?:\w+\s+)?обслуживани\w*|\b(?:service|maintenance|annual)\s+fees?\b|\bmonthly\s+(?:fee|charge|payment)s?\b|"
                              r"\bsubscription\s+fee\b", re.IGNORECASE),
    # what a message said ("в детализации будет видно сам текст смс?")
    "message text": re.compile(r"(?<![а-я])(?:текст\w*|содержани\w*)\s+(?:\w+\s+)?(?:смс|sms|сообщени\w*|переписк\w*)|"
                               r"\b(?:text|content|contents|wording)\s+of\s+(?:the\s+|my\s+)?(?:sms|texts|messages)\b",
                               re.IGNORECASE),
    # how far back ("за какой самый давний период можно заказать детализацию")
    "how far back": re.compile(r"(?<![а-я])(?:самый|самого|самую)\s+(?:давн|ранн|стар)\w*|как\s+далеко\s+назад|"
                               r"\bhow\s+far\s+back\b|\b(?:earliest|oldest)\s+(?:\w+\s+)?(?:period|month|date|year|records?)\b",
                               re.IGNORECASE),
    # without one's name ("можно отправить форму анонимно?")
    "anonymity": re.compile(r"(?<![а-я])анонимн\w*|без\s+(?:указания\s+)?(?:своего\s+)?(?:имени|номера)|\banonymous\w*",
                            re.IGNORECASE),
    # carried on elsewhere ("начать чат на ноутбуке и продолжить на телефоне")
    "another device": re.compile(r"(?:на|с)\s+друго[мй]\s+устройств\w*|(?:продолжить|continue)\s+(?:\w+\s+){0,4}"
                                 r"(?:на\s+телефоне|on\s+(?:my\s+)?(?:phone|laptop|another|other)|на\s+ноутбуке)|"
                                 r"\b(?:another|other|second)\s+device\b", re.IGNORECASE),
    # the voice menu's items ("перечислите все пункты меню 611")
    "menu items": re.compile(r"пункт\w*\s+(?:голосового\s+)?меню|(?:все|всё)\s+(?:пункты|разделы)\s+меню|"
                             r"\bmenu\s+(?:items|options)\b|\ball\s+(?:the\s+)?(?:menu\s+)?options\b", re.IGNORECASE),
    # a past record of something ("историю смены тарифов за последние годы")
    "history": re.compile(r"(?<![а-я])истори\w+\s+(?:смен\w*|изменени\w*|переход\w*|подключени\w*|тариф\w*)|"
                          r"\b(?:tariff|plan|change)\s+history\b|\bhistory\s+of\s+(?:my\s+)?(?:tariff|plan|change)",
                          re.IGNORECASE),
    # staff coming to one ("может ли сотрудник приехать ко мне домой")
    "home visit": re.compile(r"(?:приехать|прийти|приехал|пришёл|пришел|выезд\w*)\s+(?:\w+\s+){0,2}(?:ко\s+мне|домой|на\s+дом)|"
                             # "на дому" asked of a service ("можно ли оформить на дому"), not told of one's work ("шью на дому")
                             r"(?:можно|оформ\w*|подключ\w*|замен\w*|поменя\w*|обслуж\w*|сделать|сделают|услуг\w*)\s+"
                             r"(?:[\w-]+\s+){0,3}на\s+дому|на\s+дому\s+(?:[\w-]+\s+){0,2}(?:можно|оформ\w*|подключ\w*|замен\w*|обслуж\w*)|"
                             r"\bhome\s+visit\b|\bcome\s+to\s+(?:my\s+)?(?:home|house|flat|apartment)\b",
                             re.IGNORECASE),
    # how a list shows one kind of thing ("траты в роуминге показываются отдельной строкой?", "a separate line")
    "separate line": re.compile(r"(?<![а-я])отдельн\w+\s+(?:строк\w*|графо\w*|пункт\w*|позици\w*)|"
                                r"\b(?:separate|own)\s+(?:line|item|row|entry)s?\b|\bitemi[sz]ed\s+separately\b", re.IGNORECASE),
    # interest on the money kept on the number ("проценты на остаток капают, как в банке?")
    "interest": re.compile(r"(?<![а-я])процент\w*\s+(?:[\w-]+\s+){0,2}(?:на\s+остат\w*|капа\w*|начисля\w*)|"
                           r"начисля\w*\s+(?:\w+\s+)?процент\w*|\binterest\s+(?:on|rate)\b|\bearn\s+interest\b", re.IGNORECASE),
    # what was opened on the internet ("в детализации будет видно, какие сайты открывались?")
    "sites": re.compile(r"(?<![а-я])(?:как\w+\s+(?:именно\s+)?сайт\w*|сайт\w*\s+(?:\w+\s+)?(?:открывал|посещал|заходил)\w*|"
                        r"посещ\w+\s+сайт\w*)|\b(?:which|what)\s+(?:web)?sites\b|\bbrowsing\s+history\b", re.IGNORECASE),
    # a number to follow a request by ("do I get a ticket number?", "номер обращения придёт?")
    "ticket number": re.compile(r"(?<![а-я])номер\w*\s+(?:обращени|заявк|тикет)\w*|"
                                r"\b(?:ticket|reference|tracking|case|request)\s+(?:number|id)\b", re.IGNORECASE),
    # the hours something works ("городской номер круглосуточно работает или по графику?", "is the chat open at night")
    "hours": re.compile(r"(?<![а-я])(?:круглосуточн\w*|по\s+графику|(?:часы|время|график|режим)\s+работы|"
                        r"до\s+скольки\s+(?:работа\w*|отвеча\w*|открыт\w*)|(?:ночью|по\s+ночам|в\s+выходные)\s+(?:\w+\s+)?"
                        r"(?:работа\w*|отвеча\w*)|(?:работа\w*|отвеча\w*)\s+(?:ли\s+)?(?:ночью|по\s+ночам|в\s+выходные))|"
                        r"\b(?:24/7|around\s+the\s+clock|opening\s+hours|working\s+hours|business\s+hours|"
                        r"(?:open|answer\w*|work\w*)\s+(?:at\s+night|on\s+weekends|24\s+hours))\b", re.IGNORECASE),
    # a time of day ("пакет инета только на ночь")
    "night": re.compile(r"(?<![а-я])(?:только\s+)?на\s+ночь|ночн\w+\s+(?:пакет|тариф|трафик|интернет|безлимит|гигабайт)\w*|"
                        r"\bnight[\s-]+only\b|\bnight(?:[\s-]?time)?\s+(?:package|bundle|data|plan|tariff)s?\b|\bonly\s+at\s+night\b",
                        re.IGNORECASE),
    # where the calls went through ("через какие вышки шли звонки", "cell tower locations")
    "towers": re.compile(r"(?<![а-я])вышк\w*|базов\w+\s+станци\w*|\bcell\s+towers?\b|\bbase\s+stations?\b|\bcell\s+sites?\b|"
                         r"\bmasts?\b|(?<![а-я])антенн\w+\s+(?:оператор|теле2|tele2|сотов)\w*", re.IGNORECASE),
    # calls over a messenger ("if I call someone on WhatsApp, will it show in my call details")
    "messenger calls": re.compile(r"(?:whatsapp|вотсап\w*|ватсап\w*|вацап\w*|telegram|телеграм\w*)\s+(?:calls?|звон\w*)|"
                                  r"(?:call\w*|звон\w*)\s+(?:\w+\s+){0,3}(?:on|in|over|через|по|в)\s+(?:whatsapp|вотсап\w*|ватсап\w*|"
                                  r"вацап\w*|telegram|телеграм\w*)", re.IGNORECASE),
    # a second card, or another try ("link two bank cards to autopay", "автоплатёж потом сам повторит попытку?")
    "second card": re.compile(r"(?<![а-я])(?:две|двух|2)\s+(?:банковск\w+\s+)?карт\w*|(?:запасн|резервн|втор)\w+\s+карт\w*|"
                              r"\b(?:two|2)\s+(?:bank\s+)?cards\b|\b(?:backup|second|spare)\s+card\b", re.IGNORECASE),
    "retry": re.compile(r"повтор\w*\s+(?:\w+\s+)?попытк\w*|повторн\w+\s+(?:списани|попытк)\w*|\bretr(?:y|ies|ied)\b|"
                        r"\btry\s+again\b", re.IGNORECASE),
    # something done on a later date ("чтобы тариф поменялся с первого числа следующего месяца")
    "scheduled": re.compile(r"с\s+(?:первого|1-?го|начала)\s+(?:числа\s+)?(?:следующего\s+)?месяца|со\s+следующего\s+месяца|"
                            r"\bfrom\s+(?:the\s+)?(?:1st|first|start)\s+of\s+(?:next\s+)?(?:the\s+)?month|\bfrom\s+next\s+month\b|"
                            r"\bschedul\w*", re.IGNORECASE),
}


# details whose answer is worded otherwise than their question: how long something takes is answered "within an hour",
# "instantly"; what it costs "free", "50 ₽"; when it runs out "the term", "until"
ASKED_OTHERWISE: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "duration": (
        re.compile(r"как\s+долго|сколько\s+(?:времени|дней|часов|ждать)|(?:через|за)\s+сколько\s+(?:дней|часов|минут|времени)|"
                   r"в\s+течение\s+какого|когда\s+(?:\w+\s+)?(?:придёт|придет|вернут|зачисл\w*|поступ\w*|будет\s+готов\w*)|"
                   r"\bhow\s+long\s+(?:does|will|do|would|until|till|before|is\s+the\s+wait)|\bhow\s+many\s+days\s+(?:does|will|until|till)|"
                   r"\bhow\s+soon\b|\bwhen\s+will\s+(?:it|they|the\s+\w+|i\s+get|my)\b", re.IGNORECASE),
        re.compile(r"(?<!\d)\d+\s*(?:-\s*(?<!\d)\d+\s*)?(?:мин|час|дн|сут|недел|рабоч|minutes?|hours?|days?|weeks?|business)|сразу|моментальн|"
                   r"мгновенн|в\s+течение|срок\w*|\binstantly\b|\bimmediately\b|\bright\s+away\b|\bwithin\b|\bterm\b",
                   re.IGNORECASE)),
    "price": (
        re.compile(r"сколько\s+(?:\w+\s+)?(?:стоит|стоят|будет\s+стоить|берут|возьмут)|платн\w*\s+(?:ли|это|или)|"
                   r"(?:это|он|она|оно|услуга)\s+платн\w*|бесплатн\w*\s+(?:ли|или)|(?:это|он|она|оно)\s+бесплатн\w*\s*\?|"
                   r"\bhow\s+much\s+(?:is|does|will|do|would)|\b(?:is|it'?s)\s+(?:it|this|that)?\s*free\b|"
                   r"\b(?:any|a)\s+fee\b|\bcost\s+(?:anything|money|extra)|\bcharge\s+(?:for|extra)", re.IGNORECASE),
        re.compile(r"руб|₽|(?<![а-я])р\.|бесплатн|платн|стоимост|стоит|комисси|\bfree\b|\bfees?\b|\bcosts?\b|\bcharge|"
                   r"\bpaid\b|\bprice", re.IGNORECASE)),
    # how soon something takes effect ("how fast it is blocked? immediately or after some hours?")
    "how soon": (
        re.compile(r"(?<![а-я])(?:как\s+быстро|через\s+сколько|сразу\s+или)\s+(?:\w+\s+){0,3}"
                   r"(?:заблок|подключ|отключ|сработа|пройд|придут|придёт|придет|зачисл|ответ|отвеча)\w*|"
                   r"\bhow\s+(?:fast|quickly|soon)\s+(?:\w+\s+){0,4}(?:blocked|connected|disconnected|credited|active|reply|"
                   r"respond|answer)\w*|\bimmediately\s+or\b", re.IGNORECASE),
        re.compile(r"сразу|мгновенно|минут|час|в\s+течение|immediately|instantly|at\s+once|minutes?|hours?|within",
                   re.IGNORECASE)),
    "expiry": (
        re.compile(r"(?<![а-я])сгора\w*|(?<![а-я])сгор(?:ят|ит|ел\w*)(?![а-я])|срок\w*\s+действи\w*|истека\w*|сколько\s+(?:\w+\s+)?действу\w*|\bexpir\w*|"
                   r"\bvalid\s+(?:for|until|till)\b|\bhow\s+long\s+is\s+(?:\w+\s+){0,3}valid", re.IGNORECASE),
        re.compile(r"сгора|срок|действ|истек|\bexpir|\bvalid|\bterm\b|\buntil\b", re.IGNORECASE)),
    # something sent or done by itself every month ("чтобы детализация сама приходила каждый месяц")
    "recurring": (
        re.compile(r"(?:каждый|раз\s+в)\s+месяц\w*\s+(?:\w+\s+)?(?:сам\w*|автоматически)|(?:сам\w*|автоматически)\s+"
                   r"(?:\w+\s+){0,4}(?:каждый|раз\s+в)\s+месяц|\bautomatically\s+(?:\w+\s+){0,3}(?:every|each)\s+month|"
                   r"\b(?:every|each)\s+month\s+(?:\w+\s+){0,2}automatically", re.IGNORECASE),
        re.compile(r"автомат|регулярн|расписани|ежемесячн|(?:каждый|раз\s+в)\s+месяц|\bautomatic|\bschedule|\bmonthly|"
                   r"\b(?:every|each)\s+month", re.IGNORECASE)),
    # what happens when one does not ("если обещанный платёж не вернул вовремя что будет? штраф?")
    "consequences": (
        re.compile(r"(?:что\s+будет|что\s+случится|какие\s+последстви\w*),?\s+(?:\w+\s+){0,3}если\s+(?:\w+\s+){0,3}не\b|"
                   r"если\s+(?:\w+\s+){0,4}не\s+(?:\w+\s+){0,4}(?:что\s+будет|что\s+случится)|"
                   r"(?:будет|есть|берут|начисл\w+)\s+(?:ли\s+)?(?:штраф|пени)|(?<![а-я])штраф\w*\s*(?:или\b|\?)|"
                   r"\bwhat\s+happens\s+if\s+(?:\w+\s+){0,3}(?:don'?t|do\s+not|can'?t|miss|fail)|"
                   r"\b(?:any|is\s+there\s+a)\s+(?:penalty|fine)\b",
                   re.IGNORECASE),
        re.compile(r"если\s+(?:\w+\s+){0,4}не\s|иначе|штраф|пени|блокир|отключ|\bif\s+(?:\w+\s+){0,3}(?:don'?t|do\s+not|not)\b|"
                   r"\botherwise\b|\bpenalt|\bblock", re.IGNORECASE)),
    # for another person's number ("обещанный платёж на номер мамы", "детализацию по номеру жены")
    "another's card": (
        re.compile(r"(?<![а-я])карт\w*\s+(?:мужа|жены|мамы|папы|сына|дочери|дочки|брата|сестры|бабушки|дедушки|друга|подруги|"
                   r"родственник\w*|другого\s+человека)|чуж\w+\s+карт\w*|\b(?:my\s+)?(?:mom|mum|mother|dad|father|wife|husband|son|"
                   r"daughter|brother|sister|friend|partner)'?s\s+(?:bank\s+)?card\b|\bsomeone\s+else'?s\s+card\b",
                   re.IGNORECASE),
        re.compile(r"чуж\w+\s+карт|любой\s+карт|карт\w*\s+друг\w+\s+человек|\bany\s+(?:bank\s+)?card|\bsomeone\s+else'?s\s+card|"
                   r"\banother\s+person'?s\s+card", re.IGNORECASE)),
    "another's number": (
        re.compile(r"(?:на|по|для)\s+номер[уа]?\s+(?:мамы|мамин\w*|мужа|жены|сына|дочери|дочки|брата|сестры|папы|отца|бабушки|"
                   r"дедушки|друга|подруги|родственник\w*|другого\s+человека)|чуж\w+\s+номер\w*|"
                   r"\b(?:for|on|of)\s+(?:my\s+)?(?:mom|mum|mother|dad|father|wife|husband|son|daughter|brother|sister|friend)'?s\s+"
                   r"number|\bsomeone\s+else'?s\s+number", re.IGNORECASE),
        re.compile(r"друг\w+\s+(?:абонент|номер|человек)|чуж\w+|родственник|близк\w+|мои\s+номера|\banother\s+(?:subscriber|number|"
                   r"person)|\bsomeone\s+else|\bfamily|\bfriend", re.IGNORECASE)),
}


# a question of its own beside the detail ("где поменять симку, и сколько это стоит", "какой у меня тариф?
# 2. сколько стоит перейти на другой"): the detail comes with the subject, whose answer is what is wanted
# (a comma before "а", "but", "чтобы" keeps the piece with its question: "не себе, а на номер мамы?")
_CLAUSES = re.compile(r"[.?!;\n]+|,(?!\s*(?:а|но|but|rather|чтобы|чтоб|so\s+that)\s)|\s+(?:и|также|and|also|plus)\s+",
                      re.IGNORECASE)
_OTHER_QUESTION = re.compile(r"^\W*(?:\d+\W+)?(?:(?:и|а|так|ну|also|and|so)\s+)?(?:(?:ещё|еще)\s+)?"
                             r"(?:(?:хотел\w*|хочу|want(?:ed)?\s+to)\s+(?:спросить|узнать|уточнить|ask|know)\s+)?"
                             r"(?:где|как\w*|можно|куда|когда|почему|зачем|сколько|скок\w*|"
                             r"what|where|how|can|which|when|why|could)\b", re.IGNORECASE)


# details often asked beside the question itself ("my texts aren't sending; and is there an English-speaking operator?")
ASIDE = frozenset({"language", "charging", "e-mail", "towers"})


def only_asked(text: str, question: re.Pattern[str]) -> bool:
    """The detail is all the message asks: no clause of it asks something else, nor tells a fault."""
    return not any((_OTHER_QUESTION.search(c) or BROKEN.search(c)) and not question.search(c)
                   for c in _CLAUSES.split(text) if c.strip())


def missing_detail(text: str, entry: Entry) -> str | None:
    """The detail the message asks that the entry never speaks of (its answers and examples), or None."""
    asked = [name for name, pattern in DETAILS.items()
             if pattern.search(text) and (name not in ASIDE or only_asked(text, pattern))]
    otherwise = [name for name, (question, _) in ASKED_OTHERWISE.items() if question.search(text) and only_asked(text, question)]
    if not asked and not otherwise:
        return None
    said = " ".join([entry.answer.get("ru"), entry.answer.get("en"), *(t for _, t in entry.examples.all())])
    return next((name for name in asked if not DETAILS[name].search(said)), None) or next(
        (name for name in otherwise if not ASKED_OTHERWISE[name][1].search(said)), None)
