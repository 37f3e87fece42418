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

from . import tonemodel

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
    rf"позвони\w*|перевед\w*|где|зов\w*|требую)\s+(?:(?:мне|меня|с|со|на|к|бы|уже|пожалуйста|нормальн\w+|настоящ\w+|"
    rf"живо\w*|хоть|поговорить|пообщаться|переговорить|связаться|поговорю)\s+)*{_PERSON_RU}\b"
    rf"|\b{_PERSON_RU}\s+(?:мне|нужен|нужна|дайте|позовите|давайте|пожалуйста|плиз)\b"
    rf"|^\W*(?:челове\w+|жив\w+\s+челове\w+|оператор\w*)\W*(?:мне|давай\w*|пожалуйста|плиз|please|pls)?\W*$"
    rf"|не\s+(?:с\s+)?бот\w*|вы\s+(?:там\s+)?(?:вообще\s+)?живые"
    # "позовите девушку", "соедините с мужчиной": someone of the staff by who they are
    rf"|(?:позов\w*|позвать|соедин\w*|переключ\w*)\s+(?:(?:мне|меня|с|со|на|к|пожалуйста)\s+)*"
    rf"(?:девушк\w*|парн(?:я|ем)|мужчин\w*|женщин\w*)\b")
HUMAN_EN = re.compile(
    rf"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|some\s+)?(?:real\s+|live\s+|actual\s+)?{_PERSON_EN}"
    rf"|(?:get|give|want|need|connect|put\s+me\s+through|transfer|escalate\s+(?:me|this))\s+(?:me\s+)?(?:to\s+)?"
    rf"(?:a\s+|an\s+|the\s+|your\s+)?(?:real\s+|live\s+|actual\s+)?"
    rf"(?:human|person|agent|representative|operator|someone|supervisor|manager)"
    rf"|\b(?:human|real\s+person|live\s+agent|operator|agent)\s*(?:please|pls|plz|now|!)"
    rf"|not\s+(?:a\s+|the\s+)?bot|is\s+(?:there\s+)?anyone\s+(?:there|alive|real)"
    rf"|\bis\s+there\s+(?:any\s*one|somebody|someone|a\s+person)\s+(?:who\s+can|to)\s+help\b"
    # "please escalate", "escalate this to someone": a person asked to take it on
    rf"|\bplease\s+escalate\b|\bescalate\s+(?:it|this|my\s+(?:issue|case|problem|complaint))\b")

ANGER_RU = re.compile(
    r"задолба|достал[иа]?\b|надоел|беси[тш]|бесят|ужас|кошмар|безобрази|отвратител|бесполезн|туп(?:ой|ишь|ит|ые|ая)|"
    r"издеваетесь|сколько\s+можно|это\s+(?:вообще\s+)?нормально\s+(?:вообще\s*)?\?|(?<!не\s)(?<!не\s\s)хватит(?!\s+(?:ли\s+)?(?:денег|средств|на\s|минут|гигов|трафика|баланса))|невозможно|позор|развод(?:ил|ят|илово)?\b|обман|мошенни|беспредел|бешенств|"
    r"возмут|возмущ|задрал|обнаглел|офигел|охренел|достало|фигн|хрен|чёрт|черт\b|дурдом|идиот|дебил|отстой|ненавиж|"
    r"жесть|капец|грабёж|грабеж|воруете|воровств|ворюг|кидал|вымогат|сил\s+(?:моих\s+)?нет|в\s+ярости|взбеш|злой|зол\b|злост|"
    r"бардак|(?:вы|вы\s+там)\s+вообще\s+помните|"
    r"роспотребнадзор|роскомнадзор|прокуратур|в\s+суд|(?<![а-я])фас(?![а-я])|"
    r"(?:третий|пятый|десятый|который|сотый|второй)\s+раз|несколько\s+раз|сколько\s+раз\s+(?:вам|ещё|еще|уже|мне|повторять|писать|звонить|объяснять)|"
    r"уже\s+(?:неделю|месяц|второй\s+день)|"
    r"опять|снова\s+(?:не|то\s+же)|никто\s+не\s+(?:отвечает|может|знает|помогает|реагирует)|всем\s+(?:на\s+всё\s+)?плевать|всем\s+пофиг|(?<!которая\s)(?<!который\s)ничего\s+не\s+(?:работает|понимает)|"
    r"шаблон|ни\s+ответа,?\s+ни\s+привета|ну\s+и\s+(?:сервис|поддержка|обслуживание|связь)\b|"
    # whole families of everyday swearing and exasperation (stems, so every form counts)
    r"офиге|обалде|охре?не|охуе|оху[ея]|(?<![а-я])ху[йеяи]|пи[зс]дец|пипец|пздц|писец|(?<![а-я])бл(?:я|ять|ин)(?![а-я])|"
    r"(?<![а-я])еб(?:ан|ать|ут|уч|ал)|(?<![а-я])ёб|сук(?:а|и)\b|нахрен|нахер|нафиг|(?:к|ко)\s+черт|трындец|звездец|"
    r"отчаян|в\s+шоке|(?<![а-я])шок\b|возмутительн|бесп?редел|осточерт|сыт\s+по\s+горло|терпени\w*\s+(?:лопнул|кончил)|"
    r"доконал|довели|замучил|хуже\s+некуда|(?<![а-я])худш|позорищ|стыдоба|грабит|обдира|"
    r"(?:ухожу|уйду|перейду|перехожу|сваливаю|свалю)\s+(?:в|к|на)\s+(?:мтс|билайн|мегафон|йот|yota|друг\w+\s+оператор|конкурент)|"
    r"расторгаю|расторгну\b|(?:к|до)\s+конкурентам|от\s+вас\s+ухожу|ухожу\s+от\s+вас|"
    # a service said to be for show ("эти страницы у вас для галочки?", "чат — одно название", "вы там вымерли все?")
    r"для\s+галочки|одно\s+название|вымерли|"
    r"лохотрон|жулик|(?<![а-я])вор(?:ы|ьё)\b|(?<![а-я])кинул[иа]|содрал|сдираете|разводите")
# obscenity typed with a star or two ("бл*", "f*ck", "х**ня"): angry in any language
MASKED = re.compile(r"\b[^\W\d_]{1,4}\*+[^\W\d_]{0,6}")
ANGER_EN = re.compile(
    r"\bwtf\b|\bffs\b|what\s+the\s+(?:hell|heck|f)|useless|garbage|ridiculous|terrible|awful|pathetic|stupid|fed\s+up|"
    r"sick\s+of|sick\s+and\s+tired|furious|angry|pissed|annoyed|frustrat|outrage|disgrace|rip-?off|robbery|thie(?:f|ves)|"
    r"incompetent|enough\s+is\s+enough|nightmare|horrible|damn|\bhell\b|"
    r"worst|unacceptable|disgusting|\bjoke\b|seriously|scam|(?<!i'd\s)(?<!i\swould\s)(?<!would\s)hate|(?:third|fifth|tenth|million)\s+time|again\s+and\s+again|"
    r"(?:nobody|no\s+one)\s+(?:answers|helps|knows|cares)|doesn'?t\s+help|not\s+helping|same\s+answer|for\s+days|for\s+a\s+week|"
    r"\bf+u+c+k|\bshit|\bcrap\b|bullshit|\bbs\b|sucks?\b|\bfml\b|\bsmh\b|kidding\s+me|you\s+(?:kidding|serious)|"
    r"are\s+you\s+serious|unbelievable|outrageous|absurd|infuriat|livid|fuming|desperat|appalling|dreadful|shocking|"
    r"shame\s+on|crooks?\b|(?:to|with)\s+the\s+regulator|ombudsman|"
    r"had\s+enough|(?:i'?m|im)\s+(?:so\s+)?done\b|"
    r"(?:switching|going|moving|leaving)\s+(?:to|for)\s+(?:mts|beeline|megafon|yota|another\s+(?:carrier|operator|provider))|"
    r"cancel\w*\s+my\s+contract|thanks\s+for\s+nothing|"
    r"losing\s+my\s+(?:mind|patience)|driving\s+me\s+(?:crazy|nuts|mad)")
# fed up with support itself: asked again and again, the bot does not understand, nobody answers
FED_UP = re.compile(
    r"(?:третий|четв[её]ртый|пятый|десятый|который|сотый|второй|энный)\s+раз|сколько\s+можно|несколько\s+раз|"
    r"сколько\s+раз\s+(?:вам|ещё|еще|уже|мне|повторять|писать|звонить|объяснять)|"
    r"(?:три|четыре|пять|десять|много|(?<!\d)\d+)\s+раз\w*\s+(?:уже|сегодня|подряд|за\s+(?:день|утро|неделю))|"
    r"(?:three|four|five|ten|several|many|multiple|(?<!\d)\d+)\s+times\s+(?:today|already|now|this\s+(?:week|morning))|"
    r"every\s+single\s+time|"
    # the same failure every time, and nobody there ("И так каждый рейс. Хоть кто-то у вас работает??")
    r"(?<![а-я])и\s+так\s+каждый\s+(?:раз|день|рейс|вечер|месяц)|хоть\s+кто-?(?:то|нибудь)\s+(?:у\s+вас\s+)?(?:работает|"
    r"отвечает|живой|есть)|\bis\s+(?:there\s+)?anyone\s+(?:even\s+)?(?:working|alive|awake)\b|"
    # (a wait for support: "уже час жду", "дозваниваюсь уже полчаса"; "уже час ищу телефон" is another wait)
    r"уже\s+(?:полдня|полчаса|час\b|(?:два|три|пару|несколько|(?<!\d)\d+)\s+(?:час|минут)\w*)\s*,?\s+(?:\w+\s+)?"
    r"(?:жду|жд[её]м|ожида\w*|вишу|висю|висел\w*|пытаюсь|звоню|дозванива\w*|не\s+могу|сижу|на\s+линии|пишу|нет\s+ответа)|"
    r"(?:жду|жд[её]м|ожида\w*|вишу|висю|висит|висел\w*|пытаюсь|звоню|дозвон\w*|дозван\w*|сижу\s+на\s+линии|пишу|не\s+отвеча\w*)\s+"
    r"(?:[^.!?\s]+\s+){0,5}уже\s+"
    r"(?:полдня|полчаса|час\b|(?:два|три|пару|несколько|(?<!\d)\d+)\s+(?:час|минут)\w*)|никто\s+не\s+(?:отвечает|может|знает|помогает)|"
    r"(?<!которая\s)(?<!который\s)ничего\s+не\s+(?:понимает|помогает)|бот\w*\s+(?:туп|ничего|бесполез)|шаблон|одно\s+и\s+то\s+же|"
    # the code to log in never comes: support's own door is shut, a person has to open it
    r"(?<![а-я])(?:не\s+(?:при(?:ход|шл|шел|шёл)|получа|доход|дошл)\w*|нет)\s+(?:\w+\s+){0,2}(?:код\w*|смс\s+с\s+кодом|пароль\s+из\s+смс)|"
    r"(?<![а-я])код\w*\s+(?:\w+\s+){0,6}не\s+(?:при(?:ход|шл|шел|шёл)|доход|дошл)\w*|"
    r"(?:code|otp|passcode)\s+(?:\w+\s+){0,3}(?:never\s+(?:comes|came|arrives|arrived)|(?:is\s+)?not\s+(?:coming|arriving)|"
    r"doesn'?t\s+(?:come|arrive)|didn'?t\s+(?:come|arrive))|"
    r"(?:don'?t|didn'?t|never|can'?t)\s+(?:get|receive)\s+(?:the\s+|a\s+|my\s+|any\s+)?(?:login\s+|sms\s+|verification\s+|one-?time\s+)?"
    r"(?:code|otp|passcode)|"
    r"(?:second|third|fifth|tenth|million|umpteenth)\s+time|time\s+in\s+a\s+row|again\s+and\s+again|nobody\s+(?:answers|helps|knows)|"
    r"doesn'?t\s+help|not\s+helping|same\s+(?:answer|thing)|useless|garbage|stupid\s+bot")
# hours of it ("третий час жду ответа"): fed up with support when it is support that is waited for ("третий час в
# аэропорту, рейс задержали" is another wait)
HOURS = re.compile(r"(?:второй|третий|четв[её]ртый|пятый|который)\s+час")
WAITING = re.compile(r"(?<![а-я])жд[уеёа]\w*|ожидан\w*|на\s+линии|виш[уу]|дозвон\w*|пиш[уе]\w*|звоню|ответ\w*|трубк\w*|"
                     r"на\s+удержани\w*|в\s+очеред\w*|чат\w*|оператор\w*|поддержк\w*")
# a fault that has lasted days ("третий день нет интернета", "уже неделю не могу зайти"): upset, but with the
# fault, not with support — the answer, if there is one, with an empathetic line and the operator at hand
LASTING = re.compile(r"(?:второй|третий|четв[её]ртый|пятый|который)\s+(?:день|недел\w*|месяц)|"
                     r"(?:вторые|третьи|четв[её]ртые|пятые|шестые|которые)\s+сутки|"
                     r"уже\s+(?:неделю|месяц|второй\s+день)|for\s+(?:days|a\s+week)|(?:day|week)\s+in\s+a\s+row")
HYPOTHETICAL = re.compile(r"^\W*(?:(?:а|и|но|and|but|so)\s+)?(?:если|что\s+если|what\s+if|if)\b")
# a complaint about how one was served (the bot files it), said outright or described
# a complaint threatened to someone outside ("I'm filing a complaint with the regulator", "пожалуюсь в
# Роспотребнадзор"): anger at the operator, not a complaint filed with it
ELSEWHERE = re.compile(
    r"(?:complain\w*|complaint)\s+(?:\w+\s+){0,3}(?:to|with)\s+(?:the\s+)?(?:regulator|authorit\w+|police|court|ombudsman|"
    r"consumer\s+\w+|fas|government)|(?:жалоб\w*|пожалуюсь|пожаловаться|заявлени\w*)\s+(?:\w+\s+){0,2}(?:в|во)\s+"
    r"(?:роспотребнадзор|роскомнадзор|прокуратур|суд|фас|полици|минцифр|антимонопольн)\w*")
COMPLAINT = re.compile(r"жалоб|(?<![а-я])(?:по|на)?жаловат|жалуюсь|(?:оставить|написать)\s+(?:\w+\s+)?отзыв|"
                       r"leave\s+(?:a\s+)?review|претензи|complain|complaint|escalat\w*|эскалир\w*|supervisor|"
                       r"\breport\s+(?:an?\s+|the\s+|your\s+|one\s+of\s+your\s+)?(?:employee|staff|agent|operator|worker|consultant|"
                       r"member\s+of\s+staff|sales\s*(?:man|woman|person)|cashier)|"
                       r"(?:к|до)\s+(?:ваш\w+\s+)?(?:руководств|начальств)\w*|вышестоящ\w*|"
                       r"передать\s+(?:\w+\s+){0,2}(?:руководител|начальств|руководств|начальник)\w*|"
                       r"(?:pass|forward|report)\s+(?:this|it)\s+(?:on\s+)?to\s+(?:his|her|their|your)\s+(?:manager|supervisor|boss)|"
                       # a request closed unsolved ("my request was 'resolved'. It is not. Who closed it?", "закрыли заявку, а
                       # ничего не решено")
                       r"(?:закрыл\w*|closed)\s+(?:\w+\s+){0,2}(?:мою\s+|my\s+)?(?:заявк|обращени|ticket|request|complaint)\w*|"
                       r"(?:request|ticket|заявк\w*|обращени\w*)\s+(?:\w+\s+){0,2}(?:was\s+|как\s+)?[\'\"«‘]?(?:resolved|closed|"
                       r"решен\w*|закрыт\w*)[\'\"»’]?[^?!]{0,20}?(?:it\s+is\s+not|it'?s\s+not|isn'?t|не\s+решен\w*|ничего\s+не)")
MISTREATED = re.compile(
    r"нахамил|нагрубил|хамств|хамил|хамск|хамк|груб(?:ил|ый|ая|о|ит)|накричал|наорал|послал\w*\s+(?:меня|нас)|"
    r"(?:бросил|положил|повесил)\w*\s+трубку|перебива\w*|обещал\w*\s+перезвонить|"
    # something done to one without asking ("в салоне без спроса подключили", "signed me up without asking")
    r"(?:подключ|оформ|подписа|добав|навяза|signed|added|enrolled)\w*\s+(?:\w+\s+){0,8}(?:без\s+(?:моего\s+)?(?:спроса|"
    r"согласия|ведома)|without\s+(?:asking|my\s+(?:consent|permission|knowledge)))|без\s+(?:моего\s+)?(?:спроса|согласия|"
    r"ведома)\s+(?:\w+\s+){0,2}(?:подключ|оформ|подписа|добав)\w*|"
    r"кто\s+(?:у\s+вас\s+)?(?:учит|обучает|нанимает|набирает)|не\s+представил|обманул|навязал|впарил|втюхал|обсчитал|отфутболи|футбол(?:ят|ите|или)|"
    # support that read and said nothing, asked after with sarcasm ("прочитано и тишина. Это так у вас поддержка работает?")
    r"(?:прочитан\w*|прочитали)\s+(?:и\s+)?(?:тишина|молч\w*|не\s+ответ\w*|ничего)|"
    # one's details told to someone else, a link instead of an answer, a name written wrong, sent round in circles
    r"(?:продиктовал|рассказал|сообщил|выдал|назвал)\w*\s+(?:\w+\s+){0,3}(?:моему|моей|чужому|чужой|постороннему|"
    r"посторонней|бывшему|бывшей)\s|(?<![а-я])вместо\s+ответа|\binstead\s+of\s+(?:an?\s+)?answer|"
    r"(?:registered|оформил\w*|записал\w*|внес(?:ла|ли)?|вбил\w*)\s+(?:\w+\s+){0,5}?(?:with\s+(?:typos|mistakes|errors)|"
    r"с\s+ошибк\w*)|футбол\s+как\w*|"
    # … or written to days ago and nothing since ("написал во ВКонтакте три дня назад — тишина. Вы там вообще читаете?")
    r"(?:написал\w*|писал\w*|обращал\w*|обратил\w*)\s+[^.!?]{0,60}?\s+назад\s*[—–,.-]*\s*(?:и\s+)?(?:тишина|молчани\w*|"
    r"ни\s+ответа|ответа\s+нет|никто\s+не\s+ответил)|(?<![а-я])вы\s+там\s+(?:вообще\s+)?(?:\w+\s+)?(?:читаете|отвечаете)(?![а-я])|"
    r"(?<![а-я])(?:это|вот)\s+так\s+у\s+вас\s+(?:\w+\s+){0,4}работа\w*|"
    # laughed at, a reprimand asked for, being left without an answer called normal, a breach reported, help not wanted
    r"(?<![а-я])(?:за|рас|по)?смеял\w*|высмеял\w*|насмеха\w*|(?:сделали|сделать|вынести|вынесли)\s+(?:ей\s+|ему\s+|им\s+)?"
    r"замечани\w*|"
    r"(?<![а-я])(?:это|такое)\s+у\s+вас\s+нормально|считаю\s+(?:это\s+|такое\s+)?(?:нарушени|недопустим|возмутительн)\w*|"
    r"прошу\s+разобраться|не\s+захотел\w*\s+(?:мне\s+)?помо\w*|"
    # put through from one department to the next, put on hold again and again, told to call back later
    r"(?:переключал|перекидывал|перебрасывал|переводил|гоняли)\w*\s+(?:\w+\s+){0,3}(?:между|по)\s+(?:отдел|оператор|специалист)\w*|"
    r"(?:кто-?то|кто-?нибудь)\s+разобрал\w*|"
    r"put\s+(?:me\s+)?on\s+hold\s+(?:\d+|two|three|four|five|six|several|many)\s+times|"
    r"(?:told|said)\s+(?:me\s+)?(?:to\s+)?['\"“]?(?:please\s+)?call\s+back\s+later|transferred\s+(?:me\s+)?(?:\d+|three|four|five)\s+times|"
    r"игнорир|некомпетент|непрофессионал|недовол|неуважени|неприемлем|отказал\w*\s+(?:\w+\s+)?(?:обслуж|помо|оформ|"
    r"сделать|принять|выдать|вернуть)|"
    r"(?:плох|ужасн|отвратительн|некачественн)\w*\s+обслуживани|не\s+(?:по)?нрави\w*,?\s+как|опозда\w*|позже\s+обещанного|"
    r"rude|unprofessional|hung\s+up|interrupt\w*|promised\s+(?:me\s+)?(?:a\s+)?(?:call\s*-?back|to\s+call)|"
    r"refused\s+to\s+(?:help|replace|serve|accept|give|sell|return|issue|do\s+it)|yelled|shouted\s+at|ignored\s+me|unhelpful|\blied\s+to\s+me|"
    r"overcharged|disrespect|treated\s+(?:me\s+)?(?:badly|poorly)|(?:bad|poor|awful|terrible)\s+(?:service|experience)|"
    # staff who do not know their job, did the wrong thing, or contradict each other
    r"(?:сотрудник|консультант|оператор|продав|менеджер|специалист)\w*\s+(?:\w+\s+){0,3}не\s+(?:знают|знает|разбира\w*)|"
    r"(?:подключил|оформил|продал|поставил|переоформил)\w*\s+(?:мне\s+)?не\s+т(?:от|у|ой|е|о)\b|гоняют|"
    r"в\s+одном\s+(?:салоне|офисе|чате|месте)\s+.{0,80}в\s+друг\w+|(?:one|the\s+first)\s+(?:agent|operator|shop|store)\s+.{0,80}"
    r"(?:another|the\s+other|the\s+second)\s+(?:one|agent|operator|shop|store)|"
    r"(?:staff|agent|operator|employee)s?\s+(?:\w+\s+){0,3}(?:don'?t|doesn'?t)\s+know|(?:gave|sold|set\s+up|put)\s+me\s+the\s+wrong\b|"
    r"sent\s+me\s+(?:back\s+and\s+forth|around|from\s+one)|passed\s+(?:me\s+)?around|"
    # told the wrong thing, answered days late, "кто так работает"
    r"(?:оператор\w*|сотрудни\w*|консультант\w*|в\s+чате|на\s+сайте|в\s+поддержке)\s+(?:\w+\s+){0,2}(?:сказал\w*|написал\w*|"
    r"обещал\w*|написано|говорил\w*|ответил\w*)[^.!?]{0,100}[.!?,—–-]\s*(?:\w+\s+){0,6}?(?:а\s+(?:там|в\s+салоне|на\s+деле|"
    r"по\s+факту|оказалось)|оказалось|а\s+мне\s+(?:говорят|сказали|отказали))|"
    r"как\s+(?:на\s+сайте|в\s+чате|мне\s+сказали)\s+(?:написано|сказали|обещали)\w*,\s+а\s+(?:там|тут|в\s+салоне)|"
    r"\b(?:agent|operator|chat|website|site)\s+(?:\w+\s+){0,2}(?:told\s+me|said|promised)\b[^.!?]{0,100}\b(?:turned\s+out|"
    r"but\s+(?:the\s+)?(?:shop|store|office)\s+(?:said|told|refused))|"
    r"в\s+заблуждени\w*|дезинформ\w*|(?:неверн|неправильн|ложн)\w+\s+информаци\w*|misinform\w*|misled|mislead\w*|"
    r"wrong\s+information|told\s+me\s+(?:the\s+)?wrong|кто\s+так\s+работает|не\s+наша\s+проблема|not\s+our\s+problem|"
    r"(?:ответил\w*|отвечают|перезвонил\w*)\s+(?:\w+\s+){0,3}через\s+(?:(?<!\d)\d+|два|две|три|четыре|пять|пару|несколько|неделю|месяц)\s*(?:дн\w*|недел\w*|месяц\w*)?|"
    r"(?:replied|answered|responded|got\s+back\s+to\s+me|called\s+(?:me\s+)?back)\s+(?:only\s+)?(?:after|in)\s+(?:(?<!\d)\d+|two|three|four|five|a)\s+(?:days|weeks?)|"
    r"через\s+(?:(?<!\d)\d+|два|две|три|четыре|пять|неделю)\s+(?:дн\w*|недел\w*)?\s*вместо\s+(?:сут|обещанн|24)|"
    r"(?:days|a\s+week)\s+instead\s+of\s+(?:the\s+)?(?:promised|24|a\s+day|one\s+day)")
# thanks for the staff (not for the bot): praise for the team
GRATITUDE = re.compile(r"спасиб|благодар|молод(?:ец|цы)|умниц|похвал|отличн|вежлив|помогл|выручил|респект|thank|kudos|"
                       r"(?<![а-я])огонь(?![а-я])|преми[юя]\s+(?:ей|ему)|(?<![а-я])(?:ей|ему|им)\s+преми[юя]|(?<![а-я])золото(?![а-я])|разобрал\w*\s+с\s+(?:мо\w+\s+)?(?:бед|проблем|вопрос)\w*|(?<!не\s)(?<!не\sсмог\s)(?<!не\sсмогла\s)решил[аи]?\s+"
                       r"(?:мой\s+|мне\s+|мою\s+|все\s+|всё\s+)?(?:вопрос|проблем)\w*|"
                       r"great\s+job|awesome|amazing|well\s+done|helpful|praise|excellent|compliment|shout-?\s?out|\bprops\b|"
                       # "вы мой герой", "отметьте его", "was brilliant", "a real legend", "so patient with me"
                       r"(?<![а-я])геро[йия]\w*|(?<![а-я])(?:отметьте|поощрите)(?![а-я])|терпелив\w*|"
                       r"brilliant|fantastic|wonderful|superb|\blegend\b|\bhero\b|(?:so|very|really|super)\s+(?:kind|patient)")
STAFF = re.compile(r"оператор|сотрудни|консультант|девушк|парн|менеджер|специалист|поддержк|продав|салон|офис|колл-?центр|"
                   r"горяч\w+\s+лини|курьер|(?:из|в)\s+(?:онлайн-?\s*)?чат[аеу]?\b|agent|staff|employee|team|support|operator|consultant|assistant|store|shop|guy|lady|"
                   r"girl|courier|(?:from|in|on)\s+(?:the\s+|your\s+)?(?:online\s+|live\s+|web\s+)?chat\b|whoever\s+(?:answered|replied|helped|was\s+on)|"
                   r"\b(?:person|one|woman|man|lady|guy|gentleman)\s+who\s+(?:answered|replied|helped|picked\s+up|served)",
                   )
# thanks for money taken or for what does not work is sarcasm ("спасибо, что сняли 300 рублей непонятно за что",
# "great job, charging me twice")
TAKEN = re.compile(r"(?<![а-я])(?:сня|снима|списа|списыва|содра|сдира)\w*|непонятно\s+за\s+что|ни\s+за\s+что|"
                   r"подписал\w*\s+(?:меня|нас)|signed\s+me\s+up|blocked\s+my|заблокировал\w*\s+(?:мне\s+)?(?:мой|мою|номер)|"
                   r"\bcharg\w*|\bbilled\b|took\s+my\s+money|for\s+nothing|twice\s+for|"
                   r"не\s+работа\w*|не\s+ловит|сбрасыва\w*|doesn'?t\s+work|not\s+working|cut\s+off")
# support that kept one waiting or cut one off ("двадцать минут висит «оператор подключится»", "45 minutes on hold and
# then the line just died", "приехал — меня в списке нет, уехал ни с чем"): thanks for it is sarcasm, asked or not
LET_WAIT = re.compile(r"(?<![а-я])(?:виси[тм]|висел\w*|вишу)(?![а-я])|\bon\s+hold\b|"
                      r"\bline\s+(?:just\s+)?(?:died|dropped|went\s+dead)|"
                      r"\bhung\s+up\s+on\s+me|(?:сбросил|бросил)\w*\s+трубку|ни\s+с\s+чем|(?:в\s+списке|в\s+записи)\s+нет")
BOT = re.compile(r"(?<![а-я])(?:чат-?)?бот\w*|\b(?:chat\s*)?bot\b")
URGENT = re.compile(
    r"срочн|немедленн|очень\s+нужно|очень\s+надо|помогите|спасите|\bsos\b|urgent|\basap\b|emergency|desperate|please\s+help|"
    r"help\s*!|(?<!can\syou\s)(?<!could\syou\s)(?<!would\syou\s)help\s+me|need\s+help\s+(?:right\s+)?now|нужна\s+помощь\s+(?:прямо\s+)?сейчас|"
    # someone in distress ("она уже плачет", "I'm panicking")
    r"(?<![а-я])плач(?:ет|ем|ут)\b|в\s+слезах|с\s+ума\s+схожу|схожу\s+с\s+ума|going\s+crazy|freaking\s+out|в\s+панике|паникую|\bcrying\b|in\s+tears|\bpanick?\w*|умоляю|\bbegging\b")
# "есть тут вообще живые люди?", "is there a real person here": whatever else the message says
LIVE_PEOPLE = re.compile(r"есть\s+(?:\w+\s+){0,2}жив\w+\s+(?:люди|человек|оператор\w*)|"
                         r"is\s+there\s+(?:\w+\s+)?(?:a\s+)?(?:real|live|actual)\s+(?:person|human|people)|"
                         r"is\s+any(?:one|body)\s+(?:actually\s+|even\s+|still\s+)?(?:working|there|alive|reading\s+this)|"
                         r"(?:does|do|will)\s+any(?:one|body)\s+(?:actually\s+|even\s+|ever\s+)?read|"
                         r"(?:кто-?(?:нибудь|то)|хоть\s+кто-?(?:нибудь|то))\s+(?:\w+\s+)?(?:читает|чита\w+\s+(?:эти\s+)?сообщени)|"
                         # "is there a single human left in the building", "did the robots take over"
                         r"\b(?:any|single|one)\s+(?:real\s+|live\s+|actual\s+)?(?:human|humans|person|people)\s+"
                         r"(?:left|here|around|alive|working)\b|robots?\s+(?:took|take|have\s+taken)\s+over")
# a person summoned in the imperative is wanted here and now, whatever else the message names ("переключите
# меня на старшего … а не кнопки предлагать"): not the question how to call one
SUMMON = re.compile(r"(?<!как\s)\b(?:позовите|позови|переключите|переключи|соедините|соедини|зовите|требую)\b|"
                    r"\b(?:put\s+me\s+through|transfer\s+me|connect\s+me|please\s+escalate)\b|"
                    r"\bis\s+there\s+(?:any\s*one|somebody|someone|a\s+person)\s+(?:who\s+can|to)\s+help\b|"
                    r"(?:есть\s+)?(?:кто-?нибудь|кто-?то|хоть\s+кто-?то)\s+(?:\w+\s+)?(?:кто\s+)?(?:может\s+)?помо(?:чь|жет)")
# "how do I call an operator" asks for the phone number, not for a person here and now; "how do I chat with an
# operator on the website" asks where the site's chat is
CALLING = re.compile(r"позвонить|звонить|дозвон|набрать|набира|номер|телефон|611|нажать|нажима|кнопк|\bcall|\bdial|phone|"
                     r"number|ring\b|press|key\b|на\s+сайте|website|\bon\s+(?:the\s+|your\s+)?(?:tele\s?2\s+)?site\b")
SHOUT_MIN_LETTERS = 8
# asking something (a question word or a request), as opposed to venting ("вы меня за идиота держите?",
# "sick and tired of waiting"): a "?" alone is often rhetorical
ASKING = re.compile(
    r"\b(?:как|где|когда|почему|зачем|сколько|какой|какая|какое|какие|каким|куда|откуда|кто|(?<!,\s)чем|что\s+делать|"
    r"можно|могу|можете|подскажите|подскажи|скажите|объясните|помогите|нужно|надо|хочу|верните|"
    r"заблокируйте|подключите|отключите|проверьте|сделайте|дайте|"
    r"how|what|where|when|why|which|who|can|could|should|is\s+there|are\s+there|do\s+you|does|help\s+me|"
    r"please|need|want|tell\s+me|give\s+me|block|refund|whether|wonder\w*|like\s+to\s+know|интересует|"
    r"(?:хотел\w*|хочется)\s+(?:бы\s+)?(?:узнать|уточнить|спросить))\b(?!-(?:то|нибудь|либо))",  # "какой-то" asks nothing
    re.IGNORECASE)


# everyday exasperation ("cant get any data rn wtf", "блин, опять интернет"): vexed, not angry with anyone
MILD = re.compile(r"\b(?:wtf|smh|ffs|ugh+|omg|bruh|seriously|блин|капец|жесть|опять|снова|again)\b|"
                  r"(?<![а-я])(?:эт[ау]\s+|эти\s+)?(?:хрен[ьи]|фигн[яюеи]|фигов\w+|хренов\w+)(?![а-я])", re.IGNORECASE)


def only_mildly_vexed(raw: str, read: str | None = None) -> bool:
    """The message vents only in everyday exasperation: without "wtf", "smh", "блин" it would not."""
    text = read if read is not None else raw
    if not MILD.search(text):
        return False
    return not tone(MILD.sub(" ", raw), MILD.sub(" ", text)).vents


def only_lasting(raw: str, read: str | None = None) -> bool:
    """The message is upset only in saying how long something has lasted ("кот третий день плохо ест"):
    without that it would be neither angry nor in a hurry."""
    text = read if read is not None else raw
    if not LASTING.search(text.lower()):
        return False
    return not tone(LASTING.sub(" ", raw.lower()), LASTING.sub(" ", text.lower())).upset


def asks_something(text: str) -> bool:
    """The message asks a question or for something (not only venting)."""
    return bool(ASKING.search(text))


# "please pass on my thanks", "передайте ей большое спасибо": the request of praise itself
PASS_ON = re.compile(r"(?:please\s+)?(?:(?:send|give)\s+(?:\w+\s+){0,2}(?:thanks|gratitude|regards)|pass\s+(?:\w+\s+)?on\b)|"
                     r"передайте\s+(?:\w+\s+){0,3}(?:спасибо|благодарност\w*)|"
                     # … and the wish to tell it ("just want to say the lady at the store was amazing")
                     r"\b(?:i\s+)?(?:just\s+)?want(?:ed)?\s+to\s+(?:say|tell\s+you|let\s+you\s+know)\b|"
                     r"(?<![а-я])(?:просто\s+)?(?:хочу|хотел\w*)\s+сказать(?![а-я])", re.IGNORECASE)


# "the young guy at the store who patiently helped my dad": a relative "who" tells who, it asks nothing
RELATIVE_WHO = re.compile(r"\b(?!(?:me|us|to|with|know|tell|ask|asking|wonder|wondering|and|but|or|so|exactly|then|idea)\b)"
                          r"([a-z]+)\s+who\b", re.IGNORECASE)


def asks_beyond_thanks(text: str) -> bool:
    """The message asks something other than passing thanks on."""
    return asks_something(RELATIVE_WHO.sub(r"\1", PASS_ON.sub(" ", text)))


UPSET_LEAN = 0.5  # the tone model's "upset", half sure: enough where the bot has no answer to give anyway


def sounds_upset(text: str) -> bool:
    """The learned tone model leans towards upset ("что за бардак", "вы надо мной смеётесь"), though
    below the threshold at which it calls a message upset on its own (set for precision against
    every ordinary question of the base). Only for a message the bot cannot answer."""
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 2:  # "!!!", "??" or one word: nothing to hear
        return False
    model = tonemodel.shipped()
    return model is not None and model.probabilities(text.lower()).get("upset", 0.0) >= UPSET_LEAN


STORY_MIN_WORDS = 8


def names_staff(text: str) -> bool:
    """The message mentions someone of the staff or the team (not only the bot)."""
    return bool(STAFF.search(text.lower()))


def staff_story(text: str) -> bool:
    """A story of dealings with staff or support that asks nothing and praises nobody ("в салоне
    сказали звонить в поддержку, в поддержке — идти в салон"): when the bot cannot answer it, the
    writer wants a person, not a list of topics."""
    lowered = text.lower()
    return (len(re.findall(r"[^\W\d_]+", lowered)) >= STORY_MIN_WORDS and bool(STAFF.search(lowered))
            and not asks_something(lowered) and not POSITIVE.search(lowered))
# how a member of staff is judged, for the stories the learned model finds (`tonemodel`): good
# words (not negated: "невежливо", "не помог" are not praise) …
POSITIVE = re.compile(
    r"(?<!не)(?<!не )(?<!без)(?:спасиб|благодар|признател|респект|лучш|золот|на\s+высоте|профессионал|молод(?:ец|цы|чин)|"
    r"умни[цч]|вежлив|отзывчив|внимател|грамотн|компетентн|терпел|приятн|помог|выручи|доволен|довольн|понравил|"
    r"чудесн|замечател|прекрасн|отличн|душевн|приветлив|любезн|оперативн|похвал|рекоменд|повыс|преми|"
    r"побольше\s+бы\s+таких)"
    r"|(?<!not )(?<!un)(?<!im)\b(?:thank|grateful|appreciat|props|kudos|shout-?out|outstanding|exceptional|superb|excellent|"
    r"lovely|patient|knowledgeable|polite|kind\b|friendly|helpful|above\s+and\s+beyond|raise\b|star\b|legend|"
    r"top\s+notch|bonus|great|amazing|awesome|fantastic|wonderful|brilliant|happy|pleased|nice|best|praise|"
    r"recommend|(?:fixed|solved|sorted)\b)")
# … unless the story says it came to nothing ("told me it was fixed. It wasn't, and nobody followed up")
LET_DOWN = re.compile(r"\b(?:wasn'?t|weren'?t|isn'?t|didn'?t|never|nobody|no\s+one)\b|никто|так\s+и\s+не|ничего\s+не")
# … and a story that asks about what staff said, rather than complains ("консультант сказал, что
# нужен паспорт, это правда?")
ASKS = re.compile(
    r"^\W*(?:а\s+)?(?:как|где|когда|можно|сколько|как(?:ой|ая|ое|ие)|куда|есть\s+ли|нужн\w*\s+ли|"
    r"how|where|when|can|what|which|is|are|do|does|(?:how|where|when|what)'?s)\b|так\s+ли|правда\s+ли|это\s+правда|is\s+(?:that|it)\s+(?:true|right)")


@dataclass(frozen=True)
class Tone:
    angry: bool = False
    urgent: bool = False
    wants_person: bool = False
    fed_up: bool = False  # with support itself: the operator is offered rather than another answer
    complaint: bool = False  # says it is a complaint ("хочу пожаловаться", "complaint")
    mistreated: bool = False  # describes being badly served ("мне нахамили", "hung up on me")
    praise: bool = False  # thanks the staff ("спасибо девушке из поддержки")
    vents: bool = False  # angry in words or fed up, not only loud (capitals, "!!!") or in a hurry
    elsewhere: bool = False  # threatens a complaint to someone outside ("the regulator", "в Роспотребнадзор")


    @property
    def upset(self) -> bool:
        return self.angry or self.urgent


def shouting(raw: str) -> bool:
    letters = [c for c in raw if c.isalpha()]
    return len(letters) >= SHOUT_MIN_LETTERS and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


GREETING_BANG = re.compile(
    r"^\W*(?:здравствуй\w*|здрасьте|добр\w+\s+(?:день|дня|вечер|вечера|утро|утра|ночи)|доброго\s+времени\s+суток|привет\w*|"
    r"hello|hi|hey|good\s+(?:morning|afternoon|evening))\s*!+", re.IGNORECASE)


SHORT_THANKS = 8  # words


def tone(raw: str, read: str | None = None) -> Tone:
    """The tone of a message as typed (`raw`) and as read after repair (`read`)."""
    text = (read if read is not None else raw).lower()  # the expressions are lower-case (IGNORECASE costs 2×)
    wants = ((bool(HUMAN_RU.search(text) or HUMAN_EN.search(text)) and (not CALLING.search(text) or bool(SUMMON.search(text))))
             or bool(LIVE_PEOPLE.search(text)))
    worded = len(re.findall(r"[^\W\d_]{2,}", raw)) >= 2  # "!!!" alone says nothing
    hypothetical = bool(HYPOTHETICAL.search(text))
    # "а если там никто не отвечает?" asks what to do, it is no anger ("если не вернёте деньги — пойду в суд" is)
    what_if = hypothetical and raw.rstrip().endswith("?") and "!" not in raw
    worded_anger = not what_if and bool(
        ANGER_RU.search(text) or ANGER_EN.search(text) or MASKED.search(raw)
        or (GRATITUDE.search(raw.lower()) and TAKEN.search(text) and not ASKING.search(text))  # sarcasm
        or (GRATITUDE.search(raw.lower()) and LET_WAIT.search(text)))  # … for being kept waiting or cut off
    banged = GREETING_BANG.sub("", raw)  # "Здравствуйте!!!" greets loudly, it is no anger
    # all capitals are anger when something else in it says so too: "!", "?!"; an older writer's polite capitals
    # ("ЗДРАВСТВУЙТЕ ПИШУ С ТЕЛЕФОНА ЖЕНЫ… КАК ПОЛУЧИТЬ НОМЕР ОБРАТНО") are no shouting
    angry = (worded_anger or (shouting(raw) and ("!" in banged or "?!" in raw))
             or (worded and ("!!!" in banged or "?!" in banged) and not GRATITUDE.search(text)))  # "спасибо!!!" is joy
    urgent = bool(URGENT.search(text))
    fed_up = bool(FED_UP.search(text) or (HOURS.search(text) and WAITING.search(text))) and not hypothetical
    lasting = bool(LASTING.search(text)) and not hypothetical
    worded_anger = worded_anger or lasting
    angry = angry or lasting
    complaint, mistreated = bool(COMPLAINT.search(ELSEWHERE.sub(" ", text))), bool(MISTREATED.search(text))
    elsewhere = bool(ELSEWHERE.search(text))  # a threat is conditional ("if … I will complain to …")
    if elsewhere:
        worded_anger = angry = True
    typed = raw.lower()  # the thanks may be in what reading drops as politeness ("… please pass on my thanks")
    praise = (bool((GRATITUDE.search(text) or GRATITUDE.search(typed)) and STAFF.search(text))
              and not (complaint or mistreated or angry))
    to_bot = bool(BOT.search(text)) and not STAFF.search(text)  # "thx bot ur the best" thanks the bot, not the team
    praise = praise and not to_bot
    model = tonemodel.shipped()
    if model is not None and not (angry and (complaint or mistreated or praise)):  # wordings the expressions do not know
        kinds = model.kinds(text)
        # (short thanks with nothing taken or broken is thanks, however loud: "спасибо, вы очень помогли!")
        thanked = (bool(GRATITUDE.search(text)) and not TAKEN.search(text)
                   and len(re.findall(r"[^\W\d_]+", text)) <= SHORT_THANKS)
        worded_anger = worded_anger or ("upset" in kinds and not what_if and not thanked)
        angry = angry or worded_anger
        if "staff" in kinds and not (complaint or mistreated or praise or to_bot):
            if POSITIVE.search(text) and not angry and not LET_DOWN.search(text):
                praise = True
            elif not ASKS.search(text) or angry:
                mistreated = True
    return Tone(angry or fed_up, urgent, wants, fed_up, complaint, mistreated, praise, worded_anger or fed_up, elsewhere)
