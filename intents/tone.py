"""How a message is said: anger, urgency, and asking for a person.

`tone(raw, read)` looks at the message as typed (`raw`: shouting, "!!!") and as read after
repair (`read`: words). It never decides what the message is about — that is understanding's
job — only how to answer it: an upset subscriber gets one empathetic line and the operator
offered; someone who asks for a person in any words ("позовите кого-нибудь из людей", "can I
speak to someone") is put through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# asking for a human: a person word …
_PERSON_RU = (r"(?:челове(?:к|ка|ку|ком)|люд(?:ей|ям|и|ьми)|жив(?:ой|ого|ым|ому|ая|ую|ые|ых)|сотрудни(?:к|ка|ку|цу|ца|ком)|"
              r"специалист(?:а|у|ом)?|консультант(?:а|у|ом)?|оператор(?:а|у|ом)?|менеджер(?:а|у|ом)?|"
              r"руководств(?:о|а|у|ом)|начальств(?:о|а|у|ом)|начальник(?:а|у|ом)?|старш(?:его|ему|им|ий)|"
              r"кого-?(?:нибудь|то)|кто-?(?:нибудь|то))")
_PERSON_EN = (r"(?:human|person|people|someone|somebody|agent|representative|rep|operator|live\s+chat|real\s+(?:person|human)|"
              r"manager|supervisor)")
# … with a request for one, or the complaint that there is none
HUMAN_RU = re.compile(
    rf"(?:позов\w*|позвать|дай(?:те)?|соедин\w*|переключ\w*|подключ\w*|свяж\w*|нуж(?:ен|на|ны|но)|хочу|давай(?:те)?|"
    rf"позвони\w*|перевед\w*|где|зов\w*)\s+(?:(?:мне|меня|с|со|на|к|бы|уже|пожалуйста|нормальн\w+|настоящ\w+|"
    rf"живо\w*|хоть)\s+)*{_PERSON_RU}\b"
    rf"|\b{_PERSON_RU}\s+(?:мне|нужен|нужна|дайте|позовите|давайте|пожалуйста|плиз)\b"
    rf"|^\W*(?:челове\w+|жив\w+\s+челове\w+|оператор\w*)\W*(?:мне|давай\w*|пожалуйста|плиз|please|pls)?\W*$"
    rf"|не\s+(?:с\s+)?бот\w*|вы\s+(?:там\s+)?(?:вообще\s+)?живые",
    re.IGNORECASE)
HUMAN_EN = re.compile(
    rf"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|some\s+)?(?:real\s+|live\s+|actual\s+)?{_PERSON_EN}"
    rf"|(?:get|give|want|need|connect)\s+(?:me\s+)?(?:to\s+)?(?:a\s+|an\s+)?(?:real\s+|live\s+|actual\s+)?"
    rf"(?:human|person|agent|representative|operator|someone)"
    rf"|\b(?:human|real\s+person|live\s+agent|operator|agent)\s*(?:please|pls|plz|now|!)"
    rf"|not\s+(?:a\s+|the\s+)?bot|is\s+(?:there\s+)?anyone\s+(?:there|alive|real)",
    re.IGNORECASE)

ANGER_RU = re.compile(
    r"задолба|достал[иа]?\b|надоел|беси[тш]|бесят|ужас|кошмар|безобрази|отвратител|бесполезн|туп(?:ой|ишь|ит|ые|ая)|"
    r"издеваетесь|сколько\s+можно|хватит|невозможно|позор|развод(?:ил|ят|илово)?\b|обман|мошенни|беспредел|бешенств|"
    r"возмут|возмущ|задрал|обнаглел|офигел|охренел|достало|фигн|хрен|чёрт|черт\b|дурдом|идиот|дебил|отстой|ненавиж|"
    r"жесть|капец|грабёж|грабеж|воруете|ворюг|кидал|вымогат|сил\s+(?:моих\s+)?нет|в\s+ярости|взбеш|злой|зол\b|"
    r"роспотребнадзор|прокуратур|в\s+суд|"
    r"(?:третий|пятый|десятый|который|сотый|второй)\s+раз|(?:не)?сколько\s+раз|уже\s+(?:неделю|месяц|второй\s+день)|"
    r"опять|снова\s+(?:не|то\s+же)|никто\s+не\s+(?:отвечает|может|знает|помогает)|ничего\s+не\s+(?:работает|понимает)|"
    r"шаблон",
    re.IGNORECASE)
ANGER_EN = re.compile(
    r"\bwtf\b|\bffs\b|what\s+the\s+(?:hell|heck|f)|useless|garbage|ridiculous|terrible|awful|pathetic|stupid|fed\s+up|"
    r"sick\s+of|sick\s+and\s+tired|furious|angry|pissed|annoyed|frustrat|outrage|disgrace|rip-?off|robbery|thie(?:f|ves)|"
    r"incompetent|enough\s+is\s+enough|nightmare|horrible|damn|\bhell\b|"
    r"worst|unacceptable|disgusting|\bjoke\b|seriously|scam|hate|(?:third|fifth|tenth|million)\s+time|again\s+and\s+again|"
    r"nobody\s+(?:answers|helps|knows)|doesn'?t\s+help|not\s+helping|same\s+answer|for\s+days|for\s+a\s+week",
    re.IGNORECASE)
# fed up with support itself: asked again and again, the bot does not understand, nobody answers
FED_UP = re.compile(
    r"(?:третий|четв[её]ртый|пятый|десятый|который|сотый|второй|энный)\s+раз|(?:не)?сколько\s+(?:можно|раз)|"
    r"уже\s+(?:неделю|месяц|второй\s+день|полдня)|никто\s+не\s+(?:отвечает|может|знает|помогает)|"
    r"ничего\s+не\s+(?:понимает|помогает)|бот\w*\s+(?:туп|ничего|бесполез)|шаблон|одно\s+и\s+то\s+же|"
    r"(?:third|fifth|tenth|million|umpteenth)\s+time|again\s+and\s+again|nobody\s+(?:answers|helps|knows)|"
    r"doesn'?t\s+help|not\s+helping|same\s+(?:answer|thing)|useless|garbage|stupid\s+bot|for\s+(?:days|a\s+week)",
    re.IGNORECASE)
HYPOTHETICAL = re.compile(r"^\W*(?:а\s+)?(?:если|что\s+если|and\s+if|what\s+if|if)\b", re.IGNORECASE)
# a complaint about how one was served (the bot files it), said outright or described
COMPLAINT = re.compile(r"жалоб|пожаловат|жалуюсь|претензи|complain|complaint", re.IGNORECASE)
MISTREATED = re.compile(
    r"нахамил|нагрубил|хамств|хамил|хамск|хамк|груб(?:ил|ый|ая|о|ит)|накричал|наорал|послал\w*\s+(?:меня|нас)|"
    r"бросил\w*\s+трубку|не\s+представил|обманул|навязал|впарил|втюхал|обсчитал|отфутболи|футбол(?:ят|ите|или)|"
    r"игнорир|некомпетент|непрофессионал|недовол|неуважени|неприемлем|отказал\w*\s+(?:обслуж|помо)|"
    r"(?:плох|ужасн|отвратительн|некачественн)\w*\s+обслуживани|не\s+понравил\w*\s+как|опозда\w*|позже\s+обещанного|"
    r"rude|unprofessional|hung\s+up|refused\s+to\s+help|yelled|shouted\s+at|ignored\s+me|unhelpful|lied\s+to\s+me|"
    r"overcharged|disrespect|treated\s+(?:me\s+)?(?:badly|poorly)|(?:bad|poor|awful|terrible)\s+(?:service|experience)",
    re.IGNORECASE)
# thanks for the staff (not for the bot): praise for the team
GRATITUDE = re.compile(r"спасиб|благодар|молод(?:ец|цы)|умниц|похвал|отличн|вежлив|помогл|выручил|thank|kudos|great\s+job|"
                       r"awesome|amazing|well\s+done|helpful|praise|excellent|compliment", re.IGNORECASE)
STAFF = re.compile(r"оператор|сотрудни|консультант|девушк|парн|менеджер|специалист|поддержк|продав|салон|офис|колл-?центр|"
                   r"горяч\w+\s+лини|agent|staff|employee|team|support|operator|consultant|assistant|store|shop|guy|lady|girl",
                   re.IGNORECASE)
URGENT = re.compile(
    r"срочн|немедленн|очень\s+нужно|помогите|спасите|\bsos\b|urgent|\basap\b|emergency|desperate|please\s+help|"
    r"help\s*!|help\s+me",
    re.IGNORECASE)
# "how do I call an operator" asks for the phone number, not for a person here and now
CALLING = re.compile(r"позвонить|звонить|дозвон|набрать|набира|номер|телефон|611|нажать|нажима|кнопк|\bcall|\bdial|phone|"
                     r"number|ring\b|press|key\b", re.IGNORECASE)
SHOUT_MIN_LETTERS = 8


@dataclass(frozen=True)
class Tone:
    angry: bool = False
    urgent: bool = False
    wants_person: bool = False
    fed_up: bool = False  # with support itself: the operator is offered rather than another answer
    complaint: bool = False  # says it is a complaint ("хочу пожаловаться", "complaint")
    mistreated: bool = False  # describes being badly served ("мне нахамили", "hung up on me")
    praise: bool = False  # thanks the staff ("спасибо девушке из поддержки")

    @property
    def upset(self) -> bool:
        return self.angry or self.urgent


def shouting(raw: str) -> bool:
    letters = [c for c in raw if c.isalpha()]
    return len(letters) >= SHOUT_MIN_LETTERS and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


def tone(raw: str, read: str | None = None) -> Tone:
    """The tone of a message as typed (`raw`) and as read after repair (`read`)."""
    text = read if read is not None else raw
    wants = bool(HUMAN_RU.search(text) or HUMAN_EN.search(text)) and not CALLING.search(text)
    worded = len(re.findall(r"[^\W\d_]{2,}", raw)) >= 2  # "!!!" alone says nothing
    angry = bool(ANGER_RU.search(text) or ANGER_EN.search(text)) or shouting(raw) or (worded and ("!!!" in raw or "?!" in raw))
    urgent = bool(URGENT.search(text))
    fed_up = bool(FED_UP.search(text)) and not HYPOTHETICAL.search(text)
    complaint, mistreated = bool(COMPLAINT.search(text)), bool(MISTREATED.search(text))
    praise = bool(GRATITUDE.search(text) and STAFF.search(text)) and not (complaint or mistreated or angry)
    return Tone(angry or fed_up, urgent, wants, fed_up, complaint, mistreated, praise)
