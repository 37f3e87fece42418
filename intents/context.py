"""Short follow-ups read against the conversation's last topic.

After "как позвонить в поддержку", the message "а из-за границы?" means "how do I call support
from abroad": it is read together with the last question. "нет, я про другое" says the last
answer missed: the bot asks what was meant instead of guessing again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

TOPIC_TTL = timedelta(minutes=30)  # a follow-up refers to a question asked this recently

# "а ночью?", "а из-за границы тоже?", "and for free?", "what about roaming", "а его можно отключить?"
ELLIPTICAL = re.compile(
    r"^\W*(?:а|и|ну\s+а|а\s+вот|а\s+если|а\s+как|тоже|ещё|еще|также|and|what\s+about|how\s+about|also|but|"
    r"so|same|what\s+if|and\s+if|is\s+it|can\s+i\s+do\s+it|does\s+it|do\s+they|какие\s+именно)\b|^\W*which\s+ones?\W*$",
    re.IGNORECASE)
REFERENCE = re.compile(r"\b(?:он|она|оно|они|его|её|ее|это|этот|эта|эту|этим|там|туда|тут|него|нее|неё|ним|ней|"
                       r"it|that|this|there|them|they|he|she|one)\b",
                       re.IGNORECASE)
SHORT_WORDS = 6
# a pronoun standing for the thing just talked about, as the object of a verb ("how long do I have to pay it back",
# "можно его отключить"): a follow-up at a little more length
OBJECT_POINTER = re.compile(r"\b(?:[a-z]+\s+(?:it|them)\b|(?:его|её|ее|их)\s+[а-яё]{3,})", re.IGNORECASE)
# … or opening with it as the subject ("а она на почту придёт?", "will they come to my email?")
SUBJECT_POINTER = re.compile(r"^\W*(?:(?:а|и|ну|но|and|but|so|ok|okay)\W+)?(?:(?:will|do|does|would|can|is|are)\s+)?"
                             r"(?:она|он|оно|они|it|they|he|she)\b(?!\s+(?:is|'s)\s+(?:ok|fine))", re.IGNORECASE)
POINTER_WORDS = 10
SUBJECT_POINTER_WORDS = 14
# "нет, я про другое", "не то", "no, I meant something else": the last answer missed
_NO = r"(?:нет|не|неа|no|nope|nah)"
REJECTION = re.compile(
    rf"^\W*(?:да\s+)?(?:{_NO}(?:\W+{_NO})*\W+)?(?:(?:подожди|подождите|погоди|погодите|стоп|wait|hold\s+on)\W+)?(?:(?:же|ведь|ж)\W+)?(?:я\s+)?"
    r"(?:(?:вообще|совсем|же|ведь|ж)\W+)?(?:"
    # "вопрос другой", "у меня был другой вопрос", "вопрос вообще не об этом"
    r"(?:у\s+меня\s+)?(?:вопрос\s+(?:был\s+)?(?:(?:вообще|совсем)\s+)?друг\w+|(?:был\s+)?друг\w+\s+вопрос)|"
    # "про другое", "не то", "не про это", "я не об этом", "не тот ответ"
    r"(?:про|о|об)\s+друго[ем]|не\s+(?:то|про\s+(?:то|это)|об?\s+(?:этом|том)|это)|другое|не\s+т(?:от|у)\s+ответ|"
    r"я\s+не\s+(?:об?\s+)?(?:этом|том|это|про\s+это)(?:\s+спрашива\w*)?|"
    # "я спрашивала совсем не это", "имел в виду другое"
    r"(?:спрашива\w*|имел\w*\s+в\s+виду|хотел\w*\s+(?:спросить|узнать))\s+(?:(?:совсем|вообще|же|ведь|ж)\s+)?"
    r"(?:не\s+(?:это|то|об?\s+(?:этом|том)|про\s+(?:это|то))|(?:про|о|об)\s+друго[ем]|другое)|"
    r"(?:вы\s+)?(?:меня\s+)?(?:не\s+так|неправильно|не\s+правильно)\s+понял\w*|(?:you\s+)?misunderstood(?:\s+me)?|"
    r"(?:вы\s+)?(?:меня\s+)?не\s+понял\w*(?:\s+меня)?|(?:you\s+)?(?:don'?t|didn'?t|do\s+not|did\s+not)\s+(?:get|understand)\s+me|"
    # "я спрашивала не про салон", "не про салон": not the topic just answered
    r"(?:спрашива\w*\s+)?не\s+(?:про|о|об)\s+(?!это\b|том\b|то\b)[а-яё]+|"
    r"(?:i\s+)?meant\s+something\s+else|something\s+else|(?:мне\s+)?(?:другое|не\s+это)\s+(?:надо|нужно)|"
    r"(?:мне\s+)?(?:надо|нужно)\s+другое|not\s+(?:that|this|what\s+i\s+(?:asked|meant|need))|"
    r"(?:that'?s|that\s+is|it'?s|it\s+is)\s+not\s+(?:it|what\s+i\s+(?:asked|meant))|wrong\s+(?:answer|topic|one)|"
    r"(?:a\s+)?different\s+(?:question|thing|topic))\b"
    r"(?:\W+(?:я\s+)?(?:(?:вообще|совсем)\s+)?(?:друго[ей]|не\s+(?:это|то))?\s*(?:имел[аи]?\s+в\s+виду|спрашива\w*|"
    r"хотел\w*\s+(?:спросить|узнать)))?[\W]*",
    re.IGNORECASE)
# the same said after something else ("не, салон мне не нужен, я другое имела в виду"), in a short message
MEANT_ELSE = re.compile(
    r"(?:друго[ей]|не\s+(?:это|то))\s+(?:\w+\s+)?имел\w*\s+в\s+виду|имел\w*\s+в\s+виду\s+(?:совсем\s+|вообще\s+)?(?:друго[ей]|не\s+(?:это|то))|"
    r"\bi\s+meant\s+(?:something|a\s+different|another)|not\s+what\s+i\s+(?:meant|asked|wanted|need)|"
    r"(?:вопрос|спрашива\w*)\s+(?:был\s+)?(?:совсем\s+|вообще\s+)?(?:о|об|про)\s+друго[ем]|"
    # "не, мне не этот нужен", "nope, wrong thing, i was asking something else"
    r"(?<![а-я])не\s+(?:этот|тот|эта|та|это|то)\s+(?:мне\s+)?нуж(?:ен|на|но|ны)|"
    r"\bwas\s+asking\s+(?:about\s+)?something\s+else|\bwrong\s+thing\b|\bi\s+mean\s+(?:something|a\s+different|another)\b|"
    r"(?<![а-я])я\s+(?:про|о|об)\s+друго[ем]|(?<![а-я])друго[ей]\s+(?:\w+\s+)?(?:спросить|узнать)(?:\s+хотел\w*)?|"
    r"хотел\w*\s+(?:спросить|узнать)\s+(?:\w+\s+)?друго[ей]",
    re.IGNORECASE)
MEANT_ELSE_WORDS = 12
# "forget it", "never mind" said along with it ("no, not that, forget it, different question")
# … and a word only stressing it ("no no, not that, something else entirely")
STRESS = re.compile(r"^\W*(?:entirely|altogether|completely|totally|at\s+all|совсем|вообще|абсолютно)\b\W*$", re.IGNORECASE)
FORGET = re.compile(r"^\W*(?:forget\s+(?:it|that|about\s+it)|never\s*mind|nvm|забудь(?:те)?(?:\s+(?:это|про\s+это))?|"
                    r"проехали|неважно|не\s+важно)\b\W*", re.IGNORECASE)
NO_FIRST = re.compile(r"^\W*(?:нет|неа|no|nope|nah)\W+", re.IGNORECASE)
BARE_NO = re.compile(r"^\W*(?:нет|неа|не|no|nope|nah)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    """The last question answered: its entry and its text (as read)."""

    entry_id: str
    text: str
    at: datetime
    others: tuple[str, ...] = ()  # the entries it nearly was

    def to_state(self) -> dict[str, object]:
        return {"entry": self.entry_id, "text": self.text, "at": self.at.isoformat(), "others": list(self.others)}

    @classmethod
    def from_state(cls, raw: object, now: datetime) -> Topic | None:
        if not isinstance(raw, dict):
            return None
        try:
            at = datetime.fromisoformat(str(raw["at"]))
            topic = cls(str(raw["entry"]), str(raw["text"]), at, tuple(str(x) for x in raw.get("others", [])))
        except (KeyError, ValueError, TypeError):
            return None
        return topic if timedelta(0) <= now - topic.at <= TOPIC_TTL else None


def words(text: str) -> list[str]:
    return re.findall(r"[0-9a-zа-яё']+", text.lower())


def is_followup(text: str) -> bool:
    """A message that reads as a continuation ("а ночью?", "and is it free?")."""
    if ELLIPTICAL.search(text):
        return True
    n = len(words(text))
    return ((0 < n <= SHORT_WORDS and bool(REFERENCE.search(text)))
            or (0 < n <= POINTER_WORDS and bool(OBJECT_POINTER.search(text)))
            or (0 < n <= SUBJECT_POINTER_WORDS and bool(SUBJECT_POINTER.match(text))))


def rejection(text: str) -> tuple[bool, str]:
    """(True, the rest) when the message says the last answer missed: "нет, я про другое" →
    (True, ""); "нет, не то, мне нужен оператор" → (True, "мне нужен оператор")."""
    match = REJECTION.match(text)
    if not match:
        if len(words(text)) <= MEANT_ELSE_WORDS and MEANT_ELSE.search(text):
            return True, ""
        rest = FORGET.sub("", NO_FIRST.sub("", text))
        if rest != text and REJECTION.match(rest):  # "nah forget that, different question": the same, "forget" first
            return rejection(rest)
        return False, text
    rest = STRESS.sub("", FORGET.sub("", text[match.end():])).strip(" ,.;:-—!?")
    while rest:
        if len(words(rest)) <= MEANT_ELSE_WORDS and MEANT_ELSE.search(rest):
            return True, ""  # "nah that's not it, i mean something else", "не про тариф, другое спросить хотел"
        again = REJECTION.match(rest)
        if not again or again.end() == 0:
            break
        # "нет, я не про это, я про другое": said twice
        rest = STRESS.sub("", FORGET.sub("", rest[again.end():])).strip(" ,.;:-—!?")
    return True, rest


def bare_no(text: str) -> bool:
    return bool(BARE_NO.match(text))


# "номер для роуминга какой? а второй — он бесплатный?", "two things: how do I … and how do I …"
QUESTION_BREAK = re.compile(r"\?+\s*|(?:^|\s+)\d{1,2}\)\s+|(?<!\s)\s+(?:и\s+ещ[её]|а\s+также|а\s+ещ[её]|и\s+также|кроме\s+того|"
                            r"and\s+also|also|plus)\s+|"
                            r"(?<!\s)\s+and\s+(?=(?:how|where|what|when|can|could|is|do|does)\b)|(?<!\s)\s+и\s+(?=(?:как|где|что|когда|можно|сколько)\b)",
                            re.IGNORECASE)
LEAD_IN = re.compile(r"^\W*(?:two\s+(?:things|questions)|у\s+меня\s+(?:два|пара)\s+вопрос\w*|два\s+вопроса|"
                     r"первый|второй|во-первых|во-вторых|first(?:ly)?|second(?:ly)?)\W*", re.IGNORECASE)


def questions(text: str) -> list[str]:
    """The questions in one message, when there are several (each of at least two words)."""
    parts = [LEAD_IN.sub("", p).strip(" ,.;:-—") for p in QUESTION_BREAK.split(text)]
    parts = [p for p in parts if len(words(p)) >= 2]
    return parts if len(parts) >= 2 else []


def asked(text: str, part: str) -> bool:
    """The part of `text` (one of its `questions`) ends with a question mark there."""
    at = text.find(part)
    return at >= 0 and text[at + len(part):].lstrip(" ,.;:-—").startswith("?")


CLAUSE_BREAK = re.compile(r"[.!?;…]+\s*|(?<!\s)\s+[—–]\s+")


def clauses(text: str) -> list[str]:
    """The sentences of a message (of at least two words each)."""
    return [c.strip(" ,") for c in CLAUSE_BREAK.split(text) if len(words(c)) >= 2]


# a follow-up that only names a period ("а за прошлый месяц?", "and for last week?")
PERIOD_ONLY = re.compile(
    r"^\W*(?:(?:а|и|ну\s+а|and|what\s+about|how\s+about)\s+)?(?:(?:за|на|в|for|in|over|from)\s+)?(?:прошл\w+|позапрошл\w+|эт\w+|"
    r"текущ\w+|последн\w+|предыдущ\w+|вчерашн\w+|last|previous|this|past)\s+(?:\d+\s+)?(?:месяц\w*|недел\w*|год\w*|дн\w*|"
    r"month|week|year|days?)(?:\s+(?:тоже|too|also))?\W*$", re.IGNORECASE)


# a follow-up that only asks the price ("а он бесплатный?", "is it free?", "does calling it cost anything?")
COST_ONLY = re.compile(
    r"^\W*(?:а|и|ну\s+а|and|but|so)?\s*"
    # from one's mobile ("а с сотового Теле2 туда звонить платно?", "and from my cell, is it free?"); from a landline
    # is a question of the landline's ("а с домашнего тоже бесплатно?")
    r"(?:(?:с|со)\s+(?:сотового|мобильного|моего|своего)(?:\s+(?:телефона|теле\s?2))?,?\s+|"
    r"from\s+(?:a\s+|my\s+)?(?:mobile|cell)(?:\s+phone)?,?\s+)?"
    r"(?:(?:он|она|оно|это|звонок|туда|на\s+него|звонить|позвонить|it|that|this|calling\s+(?:it|them)|the\s+call)\s+){0,3}"
    r"(?:тоже\s+|also\s+)?(?:(?:бесплатн|платн)\w*|за\s+деньги|сколько\s+(?:стоит|это\s+стоит)|free|paid|toll[\s-]?free|"
    r"(?:is|are)\s+(?:it|that|calling\s+it|the\s+call)\s+(?:free|paid|charged)|"
    r"(?:does|will)\s+(?:it|calling\s+it|that)\s+cost\s+(?:anything|money|me\s+anything)|how\s+much\s+(?:is\s+it|does\s+it\s+cost)|"
    # a fee asked of it ("is there a fee for it?", "а комиссия есть?", "есть ли за это комиссия?")
    r"(?:is\s+there\s+)?(?:a\s+|any\s+)?(?:fee|commission|charge)s?(?:\s+for\s+(?:it|that|this))?|"
    r"(?:есть\s+(?:ли\s+)?)?(?:за\s+(?:это|него|неё|нее)\s+)?комисси\w*(?:\s+(?:есть|берут|будет))?)"
    r"(?:\s+(?:тоже|или\s+нет|too|or\s+not))?\W*$", re.IGNORECASE)


# a follow-up asking the bot to do what the last answer explained ("can you just do it for me?", "а сами
# подключить можете?", "сделайте это за меня"): the account action of that topic
DO_IT = re.compile(
    r"^\W*(?:(?:ok|okay|ну|а|и|so|then|ладно|хорошо)\W+)?(?:"
    r"(?:can|could|would|will)\s+you\s+(?:just\s+|please\s+)?(?:do|set|turn|switch|sort|connect|activate)\b(?:\s+(?:it|that|this|up|on|out))*"
    r"(?:\s+for\s+me)?|(?:just\s+|please\s+)?do\s+it\s+(?:for\s+me|yourself|here)|"
    r"(?:а\s+)?(?:сами|сам|сама|ты|вы)\s+(?:\w+\s+)?(?:можете|можешь|сможете|сможешь)\s+(?:\w+\s+)?"
    r"(?:сделать|подключить|настроить|включить|оформить)|"
    r"(?:сделай|сделайте|подключи|подключите|настрой|настройте|включи|включите|оформи|оформите)\s+(?:\w+\s+)?(?:за\s+меня|сами|сам|мне)|"
    r"(?:можете|можешь|сможете)\s+(?:\w+\s+)?(?:это\s+)?(?:сделать|подключить|настроить)\s+(?:за\s+меня|сами|сам|вместо\s+меня)|"
    # "давай оформим", "оформляйте", "let's do it", "go ahead and set it up"
    r"давай(?:те)?\s+(?:(?:его|её|ее|это|тогда|уже)\s+)?(?:оформим|подключим|сделаем|возьм[её]м|настроим|включим|оформляй\w*|подключай\w*)"
    r"(?:\s+(?:его|её|ее|это|тогда|мне))?|(?:оформляй|подключай|оформи|подключи|настрой)(?:те)?\s+(?:его|её|ее|это|тогда)|"
    r"оформляй(?:те)?|подключай(?:те)?|let'?s\s+(?:do|set\s+up|get)\s+(?:it|that|one)(?:\s+(?:then|now|up))?|"
    r"(?:давай(?:те)?\W+)?(?:подключи|оформи|сделай|включи|настрой)(?:те)?(?:\s+(?:пожалуйста|плиз|сам|сами))?|"
    r"go\s+ahead(?:\s+and\s+(?:do|set\s+up|activate|connect)\s+(?:it|that))?|"
    # "а можно прямо тут?", "can you do it here?": here, in this chat
    r"(?:а\s+)?(?:можно|можете|сможете)\s+(?:это\s+)?(?:прямо\s+)?(?:тут|здесь|в\s+(?:этом\s+)?чате)|(?:прямо\s+)?(?:тут|здесь)\s+можно|"
    r"(?:can\s+(?:i|you|we)\s+(?:do\s+(?:it|that)\s+)?)?(?:right\s+)?here(?:\s+in\s+(?:the|this)\s+chat)?"
    r")\W*$", re.IGNORECASE)


def do_it(text: str) -> bool:
    """The follow-up asks the bot to do it."""
    return bool(DO_IT.match(text))


def period_only(text: str) -> bool:
    """A follow-up that only names another period: the last question again, for that period."""
    return bool(PERIOD_ONLY.match(text))


def cost_only(text: str) -> bool:
    """A follow-up that only asks what it costs: the price of the last topic."""
    return bool(COST_ONLY.match(text))


# a condition of the writer's own, not a fault: no internet, no way into the account or the app at hand
LACKING = re.compile(
    r"(?:нет|без|не\s+будет)\s+(?:\w+\s+)?(?:интернета|инета|доступа|приложени\w*|смартфона|компьютера)|"
    r"(?:интернета|инета|доступа|приложени\w*)\s+(?:\w+\s+)?нет|в\s+(?:личный\s+)?кабинет\s+не\s+(?:зайти|войти|попасть)|"
    r"(?:don'?t|do\s+not|dont)\s+have\s+(?:any\s+)?(?:internet|data|access|the\s+app|a\s+smartphone)|"
    r"(?:have|got)\s+no\s+(?:internet|data|access)|\bno\s+(?:internet|data|access)\b|without\s+(?:the\s+)?(?:internet|data|app)|"
    r"can'?t\s+(?:log\s*in|get\s+into\s+(?:the|my)\s+account)",
    re.IGNORECASE)


# "а гигов?", "and texts?": one word after "and"
ONE_WORD = re.compile(r"^\W*(?:(?:а|и|ну\s+а|and|what\s+about|how\s+about)\s+)?[a-zа-яё]+\W*$", re.IGNORECASE)
# "а через чат можно это сделать?", "can I do that online?": the same thing another way
THAT_VIA = re.compile(r"(?:через|в|по)\s+(?:чат\w*|приложени\w*|сайт\w*|интернет\w*|телефон\w*|онлайн)\s+(?:\w+\s+){0,2}"
                      r"(?:это|его|её|ее)\s+(?:\w+\s+)?(?:сделать|оформить)|(?:это|его|её|ее)\s+(?:\w+\s+){0,2}(?:сделать|оформить)\s+"
                      r"(?:через|в|по)\s+(?:чат\w*|приложени\w*|сайт\w*|интернет\w*|телефон\w*)|(?:сделать|оформить)\s+(?:это\s+)?онлайн|"
                      r"do\s+(?:it|that|this)\s+(?:online|(?:via|through|in|over|by)\s+(?:the\s+)?(?:chat|app|website|site|phone))",
                      re.IGNORECASE)
# "а без похода в салон?", "can I do it without going to a store?": whether it needs a visit
NO_VISIT = re.compile(r"без\s+(?:похода\s+|визита\s+|посещения\s+)?(?:в\s+)?(?:салон\w*|офис\w*)|"
                      r"без\s+(?:второго\s+|другого\s+|нового\s+)?(?:человека|владельца|паспорта|него|неё|нее|мужа|жены)|"
                      r"without\s+(?:the\s+other\s+person|him|her|them|my\s+passport|the\s+(?:new|old)\s+owner)|не\s+(?:ходя|выходя|приходя)\s+"
                      r"(?:в\s+салон|из\s+дома)|"
                      r"without\s+(?:going\s+(?:in)?to|visiting|a\s+trip\s+to)\s+(?:a\s+|the\s+|your\s+)?(?:shop|store|office)|"
                      r"without\s+leaving\s+(?:home|the\s+house)", re.IGNORECASE)


def lacking(text: str) -> bool:
    """The message names something the writer has not got (internet, access to the account) as a condition."""
    return bool(LACKING.search(text))


def one_word(text: str) -> bool:
    """One word after "and" ("а гигов?"): the last question of another thing."""
    return bool(ONE_WORD.match(text))


def same_thing_otherwise(text: str) -> bool:
    """The follow-up asks whether the same thing can be done another way or without something ("а без
    похода в салон?", "а через чат можно это сделать?")."""
    return bool(NO_VISIT.search(text) or THAT_VIA.search(text))



# the number itself wanted back or kept ("а номер мой сохранить можно?", "а номер мне теперь как вернуть?", "how do I get
# my number back"): after a lost, stolen or blocked SIM, its replacement with the same number
NUMBER_BACK = re.compile(
    r"(?:номер|симк\w*|сим-?карт\w*)(?:-то)?\s+(?:\w+\s+){0,3}(?:вернуть|верн[её]т\w*|сохранить|сохранят|сохранится|восстановить|"
    r"восстановят|оставить|получить\s+обратно)|(?:вернуть|сохранить|восстановить|оставить\s+себе)\s+(?:\w+\s+){0,2}"
    r"(?:номер|симк\w*|сим-?карт\w*)|\b(?:keep|get\s+back|restore|recover|retrieve)\s+(?:\w+\s+){0,2}(?:number|sim)\b|"
    r"(?:получить|забрать)\s+(?:\w+\s+){0,2}(?:номер|симк\w*|сим-?карт\w*)\s+(?:\w+\s+)?обратно|"
    r"\b(?:number|sim)\s+back\b|\bsame\s+number\b|(?:тот\s+же|прежний|свой\s+же)\s+номер", re.IGNORECASE)


def number_back(text: str) -> bool:
    """The message asks to get back or keep the number itself."""
    return bool(NUMBER_BACK.search(text))


# a follow-up that only names a day or a time ("а в субботу утром?", "а ночью?", "and on sundays?")
_DAY = (r"(?:понедельник|вторник|сред[уа]|четверг|пятниц[уа]|суббот[уа]|воскресень[ея]|выходн\w+|будн\w+|праздник\w*|"
        r"утр\w*|вечер\w*|ноч\w*|днём|днем|обед\w*|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|"
        r"weekdays?|holidays?|mornings?|evenings?|nights?|lunch\w*|afternoons?)s?")
TIME_ONLY = re.compile(
    rf"^\W*(?:а|и|ну\s+а|and|what\s+about|how\s+about)?\s*(?:(?:в|во|по|на|on|in|at|during|the|a)\s+)?{_DAY}"
    rf"(?:\s+(?:(?:в|во|по|on|in|at)\s+)?{_DAY})?(?:\s+(?:тоже|too|also))?\W*$", re.IGNORECASE)


def time_only(text: str) -> bool:
    """A follow-up that only names a day or a time of day."""
    return bool(TIME_ONLY.match(text))


# a follow-up asking only "which ones?" ("а какие?", "which ones exactly? like my email?"): the last answer's list
WHICH_ONES = re.compile(r"^\W*(?:(?:а|и|ну|and|ok|okay|so)\W+)?(?:какие|какие\s+именно|какие\s+конкретно|каких|which\s+ones?|"
                        r"which|what\s+ones)(?:\s+(?:exactly|именно|конкретно|then|тогда|есть))?\W*(?:(?:like|например|типа)\b.{0,40})?$",
                        re.IGNORECASE)
# … or only what to bring ("а паспорт нужен?", "do I need my passport?", "what documents do I need?", "do I need to bring
# anything?"): the same visit's
DOCUMENTS_ONLY = re.compile(
    r"^\W*(?:(?:а|и|ну|and|ok|okay|so)\W+)?(?:(?:а\s+)?паспорт\w*\s+(?:\w+\s+)?(?:нужен|нужно|брать|обязательно)|"
    r"(?:какие|что\s+за)\s+документ\w*|(?:нужны|нужен)\s+(?:ли\s+)?(?:паспорт|документ)\w*|что\s+(?:с\s+собой\s+)?(?:взять|брать|нести)|"
    r"do\s+i\s+need\s+(?:my\s+|a\s+|an\s+|any\s+)?(?:passport|id|documents?|papers)|what\s+(?:documents?|papers|id)\b|"
    r"(?:do\s+i\s+need\s+to\s+)?bring\s+anything|what\s+(?:do\s+i\s+|should\s+i\s+)?(?:need\s+to\s+)?bring)\b"
    # (a purpose named after it is a subject of its own: "what do I need to bring to replace a SIM?")
    r"(?!.*(?:\bto\s+(?!me\b)[a-z]+|\bin\s+order\s+to|чтобы|(?<![а-я])для\s+[а-яё]+))(?:.{0,30})$",
    re.IGNORECASE)


# … or only whose name the number is in ("а номер на отца оформлен, это проблема?", "what if the number is in my mom's
# name"): the same visit's condition
OWNER_ONLY = re.compile(
    r"^\W*(?:(?:а|и|но|and|but|so)\W+)?(?:(?:если|что\s+если|what\s+if|if)\s+)?(?:(?:мой|my|the)\s+)?(?:номер|симк\w*|сим-?карт\w*|"
    r"number|sim)\s+(?:\w+\s+)?(?:(?:на|is\s+in|is\s+under|in|under|registered\s+(?:to|in|under))\s+)(?:[\w'’]+\s+){0,2}?"
    r"(?:оформлен\w*|записан\w*|name)\b.{0,40}$|"
    r"^\W*(?:(?:а|и|но)\W+)?(?:если\s+)?(?:номер|симк\w*|сим-?карт\w*)\s+оформлен\w*\s+на\s+\w+.{0,40}$", re.IGNORECASE)


def owner_only(text: str) -> bool:
    return bool(OWNER_ONLY.match(text))


def which_ones(text: str) -> bool:
    return bool(WHICH_ONES.match(text))


def documents_only(text: str) -> bool:
    return bool(DOCUMENTS_ONLY.match(text))
