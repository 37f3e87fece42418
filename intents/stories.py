"""Situations told at length that name one topic of the base in words its examples rarely use.

A long message about a SIM that drowned with the phone, a grandmother's rotary-style landline, or
leaving the country with money left on the number is read as a whole and often not understood
surely: the story's words outweigh the question. These are a few such situations, each tied to the
topic of the base that answers it; the core uses one only when nothing else was understood surely
(or, for a broken SIM, when the reading was the lost or blocked SIM's).
"""

from __future__ import annotations

import re

_SIM_RU = r"(?:сим\w*|симк\w*|sim(?:-?карт\w*)?)"
# a SIM that is broken, unreadable, drowned, worn out or the wrong size: a shop replaces it, the number kept
BROKEN_SIM = re.compile(
    rf"{_SIM_RU}\s+(?:[^.!?\s]+\s+){{0,8}}?(?:сломал\w*|переломил\w*|переломал\w*|разломал\w*|сдохл\w*|не\s+чита\w*|не\s+определя\w*|повреж\w*|намок\w*|"
    rf"треснул\w*|погнул\w*|испорт\w*|стар\w*\s+больш\w*|не\s+(?:лезет|влезает|подходит|помещается|вста[её]т))|"
    rf"(?:поменять|заменить|обменять|сменить)\s+(?:\w+\s+){{0,2}}на\s+(?:нано|микро|nano|micro|маленьк|esim|есим)\w*|"
    rf"(?:сломал\w*|переломил\w*|переломал\w*|разломал\w*|повредил\w*|испортил\w*)\s+(?:\w+\s+)?{_SIM_RU}|"
    rf"(?:не\s+видит|не\s+читает|не\s+определяет)\s+(?:\w+\s+)?{_SIM_RU}|нет\s+sim|нет\s+сим-?карт\w*|"
    rf"(?:упал\w*|уронил\w*|утопил\w*|утонул\w*)\s+.{{0,60}}(?:в\s+(?:реку|речку|воду|озеро|море|унитаз|ванну|болот\w*|пруд\w*|луж\w*))|"
    rf"(?:телефон|смартфон|сим\w*|симк\w*)\s+(?:\w+\s+){{0,3}}утонул\w*|"
    rf"(?:слот|лоток)\w*\s+.{{0,40}}(?:маленьк|нано|nano|микро|micro)|обрез\w*\s+(?:\w+\s+)?{_SIM_RU}|"
    r"\bsim\s+(?:card\s+)?(?:is\s+|got\s+|was\s+|has\s+)?(?:broken|damaged|dead|bent|cracked|ancient|worn|"
    r"not\s+(?:detected|recogni[sz]ed|reading|working))|"
    r"\b(?:no|invalid)\s+sim\b|\bsim\s+(?:card\s+)?errors?|"
    r"(?:doesn'?t|won'?t|can'?t|does\s+not|will\s+not)\s+(?:read|detect|see|recogni[sz]e)\s+(?:the\s+|my\s+|his\s+|her\s+)?sim|"
    r"(?:dropped|fell)\s+.{0,60}(?:in|into)\s+(?:the\s+|a\s+)?(?:river|water|lake|sea|toilet|bath)|"
    r"(?:smaller|nano|micro)[\s-]+sim|cut\s+(?:down\s+)?(?:my\s+|the\s+)?sim",
    re.IGNORECASE | re.DOTALL)
# a landline or desk phone whose keys the voice menu does not hear: tone dialling
OLD_PHONE = re.compile(
    r"(?:домашн\w+|стационарн\w+|городск\w+|рабоч\w+|офисн\w+|дисков\w+|кнопочн\w+|стар\w+)\s+(?:\w+\s+)?телефон\w*.{0,120}"
    r"(?:нажима\w*|нажать|жму|кнопк\w*|меню|тон\w*)|"
    r"(?:нажима\w*|нажать|жму|кнопк\w*|меню)\s.{0,120}(?:домашн\w+|стационарн\w+|дисков\w+|кнопочн\w+)\s+(?:\w+\s+)?телефон\w*|"
    r"дисков\w+|"
    r"(?:landline|desk\s+phone|office\s+phone|home\s+phone|old\s+phone|rotary).{0,120}(?:press|key|button|menu|tone)|"
    r"(?:press|key|button|menu|tone).{0,120}(?:landline|desk\s+phone|office\s+phone|home\s+phone|rotary)",
    re.IGNORECASE | re.DOTALL)
# money left on the number wanted back (closing the number, leaving the country): the refund
MONEY_BACK = re.compile(
    r"верн(?:уть|ите|и)\s+(?:\w+\s+){0,3}(?:деньги|остат\w*|средства|оставш\w*)|(?:деньги|остат\w*|средства)\s+(?:\w+\s+){0,4}"
    r"(?:вернуть|забрать|вывести|получить\s+обратно|отдать|выдать)|(?:вывести|забрать|снять|отдать|выдать)\s+(?:\w+\s+){0,2}(?:деньги|остат\w*|оставш\w*)|"
    r"верн(?:уть|ите|и)\s+(?:\w+\s+){0,3}(?:с|со)\s+(?:баланс|сч[её]т|номер)\w*|"
    r"(?<![а-я])(?:их|это|всё|все)\s+(?:\w+\s+)?(?:вернуть|забрать|вывести)|(?:вернуть|забрать|вывести)\s+(?:их|это|всё)(?![а-я])|"
    r"\b(?:take|get|withdraw)\s+(?:back\s+)?(?:my\s+|the\s+)?(?:money|balance|credit|funds|cash)\s+(?:back\s+)?(?:from|off|on)\s+"
    r"(?:my\s+|the\s+)?(?:number|sim|account|balance|phone)|"
    r"\bget\s+back\s+(?:what'?s\s+left|whats\s+left|the\s+rest|my\s+money|the\s+money|the\s+balance|my\s+balance)|"
    r"(?:get|have)\s+(?:it|that|them|the\s+money|my\s+money|the\s+rest|the\s+balance|what'?s\s+left|"
    r"(?:my\s+)?(?:\$+|cash|bucks|funds))\s+back",
    re.IGNORECASE)
MONEY = re.compile(r"руб|деньг|денег|баланс|остат|\d|ruble|rouble|\brub\b|money|balance|funds|credit|\$|cash|bucks|"
                   r"\bleft\s+on\s+(?:my\s+|the\s+)?(?:acc|account|number|sim)\b",
                   re.IGNORECASE)

# no money on the line and a call to make ("zero balance and I need to call my host family", "на счету минус 30,
# а мне сегодня надо на созвон"): the promised payment
NO_MONEY = re.compile(
    r"(?:zero|0|no\s+money|nothing)\s+(?:left\s+)?(?:on\s+(?:my\s+|the\s+)?)?(?:balance|account|phone)|"
    r"balance\s+(?:is\s+|of\s+)?(?:zero|0|empty|negative|minus|-\s?\d)|\bbroke\b|out\s+of\s+(?:money|credit)|"
    r"\b(?:phone|balance|account|app)\s+(?:\w+\s+)?(?:says?|shows?)\s+(?:minus|negative|zero|0|-\s?\d)|"
    r"can'?t\s+(?:afford|pay)|на\s+нуле|минус\s+на\s+(?:балансе|сч[её]те|счету|телефоне)|(?:на\s+)?(?:сч[её]т[уе]|балансе|телефоне)\s+(?:\w+\s+)?(?:ноль|0|минус|пусто)|"
    r"баланс\w*\s+(?:\w+\s+)?(?:ноль|нулев\w*|0|минус|отрицат\w*)|денег\s+(?:\w+\s+){0,2}нет|нет\s+денег|в\s+минусе|"
    r"не\s+могу\s+(?:заплатить|оплатить|пополнить)",
    re.IGNORECASE)
# a call to be made (concretely), or the question what to do
CALL_TO_MAKE = re.compile(
    r"(?:need|have|got)\s+to\s+(?:call|make\s+a\s+call|phone|ring|get\s+through)|need\s+(?:to\s+)?(?:make\s+)?a\s+call|"
    r"(?:надо|нужно|необходимо|срочно)\s+(?:\w+\s+){0,2}(?:позвонить|дозвониться|на\s+созвон|созвониться)|"
    r"(?<![а-я])мне\s+(?:\w+\s+)?(?:звонить|позвонить)\s+(?:в|на|по|маме|врачу)(?![а-я])",
    re.IGNORECASE)
NEED_CALL = re.compile(
    rf"{CALL_TO_MAKE.pattern}|what\s+(?:can|should)\s+i\s+do|any\s+way|(?:don'?t|do\s+not)\s+cut\s+me\s+off|"
    r"что\s+(?:мне\s+)?(?:делать|можно\s+сделать)|как\s+(?:мне\s+)?быть|не\s+отключайте|"
    r"как\s+(?:же\s+)?(?:мне\s+)?(?:\w+\s+)?(?:позвонить|звонить|дозвониться)|\bloan\b|\bborrow|(?<![а-я])в\s+долг|заня(?:ть|ли)|"
    r"\bpay\s+(?:it\s+)?(?:back\s+)?(?:later|after)|\btake\s+(?:some\s+)?money\s+(?:before|now|first)",
    re.IGNORECASE)

# … unless it is a charge disputed ("списали 500 непонятно за что, верните на счёт"): that is checked, not refunded
CHARGED = re.compile(r"(?<![а-я])(?:сня|снима|списа|списыва|содра|сдира)\w*|подписк\w*|"
                     r"верн\w+\s+(?:\w+\s+){0,3}на\s+(?:сч[её]т|баланс)(?![а-я])|"
                     r"\bcharg\w*|\bbilled\b|subscri\w*|\btook\b|\btaken\b", re.IGNORECASE)

# a family member's number managed from one's own account, or the e-mail the bills go to: the profile
FAMILY = re.compile(r"\b(?:kids?|child(?:ren)?|son|daughter|mum|mom|mother|dad|father|wife|husband|family|"
                    r"grand(?:ma|pa|mother|father)|parents?)(?:'?s)?\b|"
                    r"(?<![а-я])(?:сын|доч|мам|пап|муж|жен|реб[её]н|дет|бабушк|дедушк|родител)\w*", re.IGNORECASE)
MY_ACCOUNT = re.compile(r"\bmy\s+(?:own\s+)?(?:acc|account|login|profile)\b|(?:привязан|привяза|подвязан)\w*\s+(?:\w+\s+)?"
                        r"к\s+(?:моему|своему|моей|своей)|\blinked\s+to\s+(?:mine|my\s+(?:number|account))\b|(?:сво|мо)(?:его|ём|ем|й|ему)\s+(?:личн\w+\s+)?"
                        r"(?:кабинет|аккаунт|профил)\w*|(?:под|из)\s+(?:сво|мо)\w+\s+(?:аккаунт|логин|вход)\w*|одного\s+входа",
                        re.IGNORECASE)
MANAGE = re.compile(r"\b(?:add|link|attach|manage|see|view|control|top\s+up|switch)\b|(?<![а-я])(?:добав|привяз|видеть|видел|"
                    r"управля|пополня|смотреть|посмотреть|переключ)\w*", re.IGNORECASE)
BILLS_EMAIL = re.compile(r"(?:change|update|switch|поменять|изменить|сменить|обновить)\s+.{0,40}(?:e-?mail|почт\w*)",
                         re.IGNORECASE | re.DOTALL)

# money to go onto the number by itself, from a card ("сделай, чтоб само списывалось с карты", "каждый месяц хожу
# класть деньги", "I always forget to top up"): the autopayment
BY_ITSELF = re.compile(
    r"(?<![а-я])(?:само|сами|сам|автоматом|автоматически)\s+(?:\w+\s+){0,4}?(?:списыва|списал|кида|кинул|закид|закин|приход|пополня|"
    r"пополнял|переводи|переводил|снима|снимал|поступа|капа|падал)\w*|"
    r"(?:списыва|кида|закид|пополня|переводи|снима|поступа|капа|падал)\w*\s+(?:\w+\s+){0,3}(?:сам[оаи]?|автоматом|автоматически)(?![а-я])|"
    r"(?:каждый|раз\s+в)\s+месяц\s+(?:\w+\s+){0,3}(?:ходить|хожу|класть|кладу|пополнять|кидать|закидывать)|"
    r"(?:вечно|всегда|постоянно|часто)\s+забыва\w*\s+(?:\w+\s+){0,2}(?:платить|заплатить|пополн\w*|класть|оплачивать)|"
    r"\btop\s*(?:s|ped)?\s*(?:itself|up\s+(?:by\s+)?itself)|\b(?:refill|recharge|reload|top)s?\s+(?:up\s+)?(?:by\s+)?itself\b|"
    r"\b(?:so\s+)?i\s+(?:can\s+)?stop\s+forgetting\b|\b(?:always|keep|constantly)\s+forget(?:ting)?\s+to\s+"
    r"(?:top\s+up|pay|put\s+money)",
    re.IGNORECASE)

# someone else in one's personal account ("someone logged into my Tele2 account and changed the email", "взломали
# личный кабинет"): its security — the password, two-step login, blocking the SIM
ACCOUNT_TAKEN = re.compile(
    r"\b(?:someone|somebody|a\s+stranger)\s+(?:\w+\s+){0,2}(?:logged\s+in(?:to)?|accessed|got\s+into|broke\s+into|hacked)\s+"
    r"(?:\w+\s+){0,2}(?:account|profile|app)\b|\b(?:account|profile)\s+(?:\w+\s+){0,2}(?:was\s+|got\s+|has\s+been\s+)?"
    r"(?:hacked|compromised|broken\s+into)\b|"
    r"(?<![а-я])(?:кто-?то|посторонн\w+|чужой)\s+(?:\w+\s+){0,2}(?:зашёл|зашел|вош[её]л|залез|входил|заходил)\s+(?:\w+\s+){0,2}"
    r"(?:личн\w+\s+кабинет|кабинет|аккаунт|приложени)\w*|(?:взломал\w*|взломан\w*)\s+(?:\w+\s+){0,2}(?:личн\w+\s+)?"
    r"(?:кабинет|аккаунт)\w*|(?:личн\w+\s+)?(?:кабинет|аккаунт)\w*\s+(?:\w+\s+){0,2}(?:взломал\w*|взломан\w*)",
    re.IGNORECASE)

# a number wanted in one's own name ("хочу чтобы номер был на меня", "переписать симку мужа на себя", "put my late dad's
# number in my name"): the change of owner
_KIN = (r"(?:брата|сестру|мужа|жену|сына|дочь|дочку|маму|мать|папу|отца|бабушку|дедушку|внука|внучку|друга|подругу|"
        r"другого\s+человека|родственника)(?![а-я])")
OWN_NAME = re.compile(
    # the number made another's own ("my mate uses my sim now, how do we make the number officially his", "чтобы номер был
    # официально её")
    r"\bmake\s+(?:the\s+|my\s+|this\s+)?(?:number|sim|line)\s+(?:officially\s+|legally\s+)?(?:his|hers|theirs)\b|"
    r"\bsign\s+(?:my\s+|the\s+|this\s+)?(?:number|sim|line)\s+over\s+to\b|"
    r"\b(?:number|sim|line)\s+(?:officially\s+|legally\s+)?(?:in|under)\s+(?:his|her|their)\s+(?:own\s+)?name\b|"
    r"(?<![а-я])(?:номер|симк\w*|сим-?карт\w*)\s+(?:был\w*|стал\w*)\s+(?:официально\s+)?(?:его|её|ее|на\s+него|на\s+неё|на\s+нее|на\s+н[её]м|на\s+ней)(?![а-я])|"
    r"(?:номер|сим\w*|симк\w*)\s+(?:\w+\s+){0,2}(?:был|была|стал|стала)\s+(?:оформлен\w*\s+|записан\w*\s+)?на\s+(?:меня|себя)(?![а-я])|"
    r"(?:переоформ|переписа|перепис)\w*\s+(?:\w+\s+){0,3}на\s+(?:меня|себя)(?![а-я])|"
    # … or in a relative's ("как переделать на брата номер", "хочу перевести номер на мужа")
    r"(?:переоформ\w*|переписа\w*|перепис\w*|передела\w*|перевести|перевед\w*)\s+(?:\w+\s+){0,2}на\s+" + _KIN + r"|"
    r"(?:номер|симк\w*|сим-?карт\w*)\s+на\s+" + _KIN + r"\s+(?:\w+\s+)?(?:переоформ|переписа|перепис|передела|перевести)\w*|"
    r"\b(?:put|transfer|register|move|switch|change)\s+(?:\w+\s+){0,4}(?:number|sim|line)\s+(?:\w+\s+){0,2}(?:in|into|to|under|onto)"
    r"\s+my\s+(?:own\s+)?name\b|\b(?:number|sim|line)\s+(?:\w+\s+){0,2}(?:put|transferred|registered|moved|switched)\s+"
    r"(?:in|into|to|under|onto)\s+my\s+(?:own\s+)?name\b",
    re.IGNORECASE)

# a phone or SIM stolen ("из кармана вытащили телефон вместе с симкой"): the SIM to block first
STOLEN = re.compile(
    r"(?<![а-я])(?:украли|укради|вытащили|стащили|своровали|спёрли|сперли|отобрали|выхватили)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:телефон|смартфон|мобильн|айфон|сотов|симк|сим-?карт)\w*|(?<![а-я])(?:телефон|смартфон|айфон|симк|сим-?карт)\w*\s+"
    r"(?:\w+\s+){0,2}?(?:украли|вытащили|стащили|своровали|украден\w*)|\b(?:phone|sim|mobile)\s+(?:was\s+|got\s+|has\s+been\s+)?"
    r"(?:stolen|nicked|pickpocketed|snatched)\b|\bstole\s+my\s+(?:phone|sim|mobile)\b",
    re.IGNORECASE)

# money to put on a number, said with the sum or whose number ("can u put 300 on my gf's number", "закинуть 500 на номер
# мамы"): the top-up
TOP_UP_SAID = re.compile(
    r"\b(?:put|add|load|throw|drop|send|transfer)\s+(?:\d+\s*(?:rub\w*|roubles?|rur|₽)?|some\s+(?:money|cash|credit)|money|cash|credit)\s+"
    r"(?:from\s+(?:my\s+)?(?:bank\s+)?(?:card|account)\s+)?"
    r"(?:on|onto|to|into)\s+(?:my\s+|the\s+|his\s+|her\s+|their\s+|[\w]+'s\s+|my\s+\w+'s\s+)?(?:own\s+)?"
    r"(?:number|phone|account|balance|sim|line|tele\s?2)\b|"
    r"(?<![а-я])(?:положить|закинуть|кинуть|скинуть|накинуть|положи|закинь|кинь)\s+(?:\d+\s*(?:руб\w*|р\.?|₽)?\s+)?"
    r"(?:денег\s+|деньги\s+)?на\s+(?:\w+\s+)?(?:номер|телефон|сч[её]т|баланс|симк)\w*",
    re.IGNORECASE)

DROWNED = re.compile(r"утонул\w*|утопил\w*|(?:в\s+(?:реку|речку|воду|озеро|море|болот\w*|пруд\w*))", re.IGNORECASE)
# a subscription or service that takes money, and it to be gone ("какая-то подписка снимает по 15 руб в день, как её
# убрать?", "some subscription keeps charging me, how do i cancel it"): disconnecting it
PAID_EXTRA = re.compile(
    r"(?<![а-я])платн\w+\s+(?:\w+\s+)?(?:фигн|штук|хрен|ерунд|подписк|услуг|опци|гадост)\w*|\bpaid\s+(?:stuff|junk|extras)\b|"
    r"(?:подписк\w*|услуг\w*|опци\w*|\bsubscription\w*|\bservice)\s+(?:[\w'-]+\s+){0,6}?(?:сним\w*|снима\w*|списыва\w*|спис\w*|"
    r"бер[её]т|charg\w*|tak\w*|eat\w*)|(?:сним\w*|снима\w*|списыва\w*)\s+(?:\w+\s+){0,4}?(?:за\s+)?(?:подписк|услуг|опци)\w*",
    re.IGNORECASE)
GONE_WANTED = re.compile(r"(?<![а-я])(?:убрать|убери|уберите|отключить|отключи|отключите|отписаться|отказаться|избавиться|"
                         r"вырубить)(?![а-я])|\b(?:get\s+rid\s+of|cancel|turn\s+(?:it\s+|that\s+)?off|unsubscribe|stop)\b",
                         re.IGNORECASE)
BLOCK_ASKED = re.compile(r"блок|блочь|\bblock", re.IGNORECASE)
# a phone left behind somewhere ("оставила телефон в такси", "left my phone in a taxi"): lost, for all one knows
LEFT_BEHIND = re.compile(
    r"(?<![а-я])(?:оставил|оставила|забыл|забыла|посеял|посеяла|выронил|выронила|обронил|обронила)\s+(?:\w+\s+){0,2}?"
    r"(?:телефон|смартфон|мобильн|айфон|сотов|симк|сим-?карт|сумк|рюкзак)\w*\s+(?:\w+\s+){0,2}?(?:в|на)\s+\w+|"
    r"\b(?:left|forgot|dropped)\s+my\s+(?:phone|sim|mobile|bag)\s+(?:\w+\s+){0,2}?(?:in|on|at)\s+(?:a|an|the|my)?\s*\w+",
    re.IGNORECASE)

STORIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (BROKEN_SIM, "sim-replacement"),
    (OLD_PHONE, "tone-dialling"),
    (BY_ITSELF, "lk-autopay"),
    (ACCOUNT_TAKEN, "lk-security"),
    (OWN_NAME, "change-owner"),
)


def story_topic(text: str) -> str | None:
    """The topic a situation told in the message points to, or None."""
    for pattern, entry_id in STORIES:
        if pattern.search(text) and not (entry_id == "sim-replacement" and DROWNED.search(text) and BLOCK_ASKED.search(text)):
            return entry_id  # (a phone drowned and the SIM to block: the block, as read)
    if (FAMILY.search(text) and MY_ACCOUNT.search(text) and MANAGE.search(text)) or BILLS_EMAIL.search(text):
        return "lk-profile"
    if MONEY_BACK.search(text) and MONEY.search(text) and not CHARGED.search(text):
        return "refund"
    if NO_MONEY.search(text) and NEED_CALL.search(text):
        return "do-promised-payment"
    if PAID_EXTRA.search(text) and GONE_WANTED.search(text):
        return "do-disconnect-service"
    if TOP_UP_SAID.search(text) and not CHARGED.search(text):
        return "do-top-up"
    if STOLEN.search(text) or LEFT_BEHIND.search(text):
        # asked to block it: the block itself ("оставила телефон в такси, как заблокировать симку, пока никто не
        # воспользовался"); otherwise what to do when a SIM is lost
        return "do-block-sim" if BLOCK_ASKED.search(text) else "lost-sim"
    return None
