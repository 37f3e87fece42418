"""A reported problem the bot did not understand word for word: run the self-diagnosis.

"no signal at all since this morning", "OK SO I TOPPED UP YESTERDAY AND THE MONEY IS JUST GONE??",
"cant get any data rn": when no entry is understood surely but the message says that something of
the line does not work (or that money went), the diagnosis is started — it checks the line after
login and hands over to an operator when it finds nothing. The kind of problem is preset when the
message names exactly one (data, calls, texts, money, a blocked number); otherwise the diagnosis
asks which.
"""

from __future__ import annotations

import re

# something stopped working, or went
BROKEN = re.compile(
    r"(?<!чтобы\s)(?<!чтоб\s)(?<!никуда\s)(?<!никому\s)(?<!ничего\s)(?<![а-яё])не\s+(?:работа\w*|лов\w*|груз\w*|ух[оа]д\w*|проход\w*|отправля\w*|звон\w*|подключа\w*|приход\w*|паш[еу]т|фурыч\w*)|"
    r"(?:деньги|платеж|платёж|оплата|пополнени\w*|(?<!\d)\d+)\s+(?:\w+\s+){0,3}не\s+(?:пришл|пришел|пришёл|поступ|зачисл|дошл|дошел|дошёл)\w*|"
    r"(?:до\s+сих\s+пор|так\s+и)\s+не\s+(?:пришл|пришел|пришёл|поступ|зачисл|дошл|дошел|дошёл)\w*|"
    r"нет\s+(?:сети|связи|сигнала|интернета|инета)|без\s+(?:связи|сети|интернета|сигнала)|ни\s+позвонить|"
    r"(?<![а-я])(?:сети|связи|сигнала|интернета|инета)\s+(?:\w+\s+)?нет(?![а-я])|(?:звонки|связь|разговор)\s+(?:\w+\s+)?через\s+слово|"
    r"(?:got|was|been|is|has\s+been)\s+blocked|(?<!не\s)заблокировал[иа]?\b|(?<!как\s)заблокирован\w*|"
    r"перестал\w*\s+(?:работать|ловить|грузить|отправлять|звонить)|пропал\w*|пропада\w*|сбрасыва\w*|обрыва\w*|исчез\w*|"
    # … drops out ("инет отваливается каждые 2 минуты"), or callers cannot get through to one's own line ("не могут до
    # меня дозвониться, им говорят «аппарат абонента выключен»")
    r"(?<![а-я])отвал(?:ива|ил|ит)\w*|не\s+мо(?:гут|жет)\s+(?:\w+\s+){0,2}?(?:дозвон|достуча)\w*|"
    r"(?:аппарат|абонент)\w*\s+(?:\w+\s+)?(?:выключен|недоступен|вне\s+зоны)|"
    r"куда\s+(?:[\w-]+\s+){0,3}?(?:деваются|девались|делись|делось|ушли|ушло|пропали|улетел\w*|улетают|испарил\w*|уход\w*)(?![а-я])|где\s+мои\s+деньги|где\s+деньги(?=\s*[?!.,]|\s*$)|where(?:'?s|\s+is|\s+are|\s+did)?\s+(?:all\s+)?my\s+money|не\s+могу\s+(?:позвонить|отправить|выйти\s+в)|"
    r"(?:aren'?t|isn'?t|are\s+not|is\s+not|not)\s+(?:sending|going\s+out|coming\s+in|loading|connecting)\b|"
    r"doesn'?t\s+work|don'?t\s+work|isn'?t\s+working|aren'?t\s+working|not\s+working|stopped\s+working|"
    r"\b(?:sim|phone|internet|data|line|number|it)\s+(?:just\s+)?stops?\s+work\w*|"
    r"no\s+(?:signal|service|network|data|internet|bars|reception)|can'?t\s+(?:get|make|send|call|connect|load)|"
    r"can(?:not|\s+not)\s+(?:get|make|send|call|connect|load)|keeps?\s+dropping|drop(?:s|ping|pin|ped)\b|(?:not|stopped)\s+workin\b|disappear\w*|"
    r"(?:is|are)\s+(?:just\s+)?gone\b|won'?t\s+(?:send|load|connect|work|go\s+through)|"
    r"(?:haven'?t|hasn'?t|have\s+not|has\s+not|didn'?t|aren'?t|isn'?t)\s+(?:been\s+)?(?:gone|go|going)\s+through|"
    # cut off without a word ("you cut off my internet", "отключили интернет посреди дня")
    r"(?<!don't\s)(?<!dont\s)\bcut\s+off\s+my\b|(?<!не\s)отключили\s+(?:мне\s+|нам\s+)?(?:\w+\s+)?(?:интернет|связь|звонки|смс)|"
    # … or crawls ("страница грузится минуту", "инет тормозит", "internet is so slow", "internet ded")
    r"груз\w*\s+(?:по\s+)?(?:минут\w*|полчаса|час\w*|вечность|долго|медленно)|(?:еле|медленно|долго)\s+груз\w*|тормоз\w*|"
    r"(?<![а-я])полз[её]т|(?<![а-я])ползает|как\s+черепаха|"
    # … or the data went faster than it could have ("how are my 20GB gone in 6 days", "вчера купил пакет гигов, а сегодня
    # опять пишет, что трафик закончился")
    r"(?:гиг\w*|гб|трафик\w*|мегабайт\w*|(?<![a-z])gb\b|\bgigs?\b|\bdata\b)\s+(?:(?!почти|almost|nearly)\w+\s+){0,3}(?:ушл\w*|пропал\w*|исчез\w*|сгорел\w*|"
    r"улетел\w*|gone|vanish\w*|disappear\w*)|(?:купил|подключил|докупил|взял|bought|added)\w*\s+(?:\w+\s+){0,3}(?:пакет|гиг|гб|"
    r"трафик|gb|data|gigs?)\w*[^.!?]{0,60}(?:опять|снова|уже|again|already)\s[^.!?]{0,40}?(?:законч\w*|кончил\w*|ran\s+out|"
    r"used\s+up|gone|out)|"
    r"takes?\s+(?:forever|ages|minutes)\s+to\s+load|(?:so|very|super|painfully)\s+slow|crawl\w*|(?<!battery\s)(?<!battery\'s\s)(?<!battery\sis\s)(?<!batteries\sare\s)\b(?:dead|ded)\b",
    re.IGNORECASE)
# … of the line, and which part of it
KINDS = {
    "internet": re.compile(r"интернет|(?<![а-я])инет|^\W*net\b|\bthe\s+net\b|(?<![а-я])гиг\w*|(?<![а-я])гб(?![а-я])|"
                           r"(?<![a-z])gb\b|\bgigs?\b|трафик|мобильн\w+\s+данн|страниц|\bdata\b|internet|\b[345]g\b|"
                           r"\blte\b|pages?\b", re.IGNORECASE),
    "calls": re.compile(r"звон|вызов|сигнал|\bсет[иь]\b|связ|входящ|исходящ|\bcalls?\b|signal|network|reception|\bbars\b|"
                        r"\bincoming\b|\boutgoing\b", re.IGNORECASE),
    "sms": re.compile(r"смс|sms|сообщени|\btexts?\b|messages?\b", re.IGNORECASE),
    "money": re.compile(r"деньг|денег|баланс|рубл|\bруб\b|\bр\b|списа|минус|пополн|money|balance|charge|\brub\b|"
                        r"\bminus\b|negative|top(?:ped)?[\s-]?up", re.IGNORECASE),
    "blocked": re.compile(r"заблокир|blocked", re.IGNORECASE),
}
# a problem with reaching support itself is no fault of the line ("не могу дозвониться до оператора"; a chat, not the
# "чат" inside "достучаться", "получать")
SUPPORT = re.compile(r"оператор|поддержк|611|0611|(?<![а-я])чат|салон|консультант|operator|support|agent|chat|shop|store",
                     re.IGNORECASE)


# … nor is the network in one place ("в метро пропадает связь", "на даче не ловит 4g"), nor a question
# why the network behaves so in general ("почему звонки сбрасываются через минуту"): coverage and
# quality, which the base does not describe
PLACE = re.compile(r"\bв\s+(?:метро|подвал\w*|лифт\w*|деревн\w*|поезд\w*|электричк\w*|горах|лесу|тоннел\w*|шахт\w*|тайге|тундре)|"
                   r"под\s+земл[её]\w*|"
                   r"\bна\s+(?:даче|трассе|природе|море|воде|реке|озере|лодке|катере|яхте)|за\s+городом|underground|subway|\bmetro\b|tunnel|"
                   r"\bin\s+the\s+(?:countryside|mountains|village)|at\s+the\s+(?:dacha|cottage)|on\s+the\s+(?:highway|train|water|river|lake|boat)",
                   re.IGNORECASE)
WHY = re.compile(r"^\W*(?:а\s+)?(?:почему|отчего|из-за\s+чего|why)\b", re.IGNORECASE)


SIM = re.compile(r"\bsim\b|симк\w*|сим-карт\w*|(?<![а-я])сим(?![а-я])", re.IGNORECASE)
SENTENCE = re.compile(r"[^.!?;\n]+")
# what is wished, not told ("защита, чтобы звонки мошенников ко мне не проходили", "so that my calls don't drop"), and
# where the money went asked to be seen ("wanna see where all my money went last month, like by category")
PURPOSE = re.compile(r"(?<![а-я])(?:чтобы|чтоб)\s[^.!?]*|\bso\s+that\b[^.!?]*|"
                     r"(?:see|check|view|look\s+at|посмотреть|увидеть|глянуть|узнать)\s+(?:\w+\s+){0,2}?(?:where|куда)\s[^.!?]*",
                     re.IGNORECASE)
# a line wished for without something is no line without it ("нужен тариф совсем без интернета, только звонки",
# "a plan with no data for my gran")
WISHED_WITHOUT = re.compile(r"(?:тариф|план|пакет|симк|сим-карт|plan|tariff|sim)\w*\s+(?:\w+\s+){0,3}?"
                            r"(?:без|without|with\s+no)\s+(?:интернета|инета|связи|звонков|internet|data|calls)", re.IGNORECASE)
# … and a clause turned against the one before it ("на даче связь то есть то нет, а сегодня вообще интернет пропал"):
# a place said of the one is not said of the other
CONTRAST = re.compile(r",\s*(?:а|но|однако|but|however)\s+|\s+(?:но|but)\s+(?:сейчас|щас|сегодня|теперь|now|today)\b",
                      re.IGNORECASE)


# money sent to a person or through a bank's own transfer ("перевела другу по СБП, не пришли"): the bank's business
PERSON_TO_PERSON = re.compile(r"(?<![а-я])сбп(?![а-я])|\bsbp\b|(?:другу|подруге|знакомому|знакомой)\b|\bto\s+(?:a|my)\s+friend",
                              re.IGNORECASE)


def reported_problem(text: str) -> tuple[bool, str | None]:
    """(True, kind or None) when the message reports a fault of the line or money gone; the kind when
    it names exactly one. Support, a place or a "why" rule out the sentence that says so, not the others
    ("…my texts just won't send to anyone. Also is there an English-speaking operator?" reports a fault)."""
    if WHY.search(text):
        return False, None
    sentences = []
    for whole in SENTENCE.findall(text):
        # a place said of a clause is not said of the one turned against it
        sentences += CONTRAST.split(whole) if PLACE.search(whole) and CONTRAST.search(whole) else [whole]
    for sentence in sentences:
        sentence = PURPOSE.sub(" ", WISHED_WITHOUT.sub(" ", sentence))
        if (not BROKEN.search(sentence) or SUPPORT.search(sentence) or PLACE.search(sentence) or WHY.search(sentence)
                or PERSON_TO_PERSON.search(sentence)):
            continue
        kinds = [kind for kind, pattern in KINDS.items() if pattern.search(sentence)]
        if not kinds:  # "…и сколько можно. Интернет!": the kind named in another sentence
            kinds = [kind for kind, pattern in KINDS.items() if pattern.search(text)]
        if kinds:
            return True, kinds[0] if len(kinds) == 1 else None
        if SIM.search(sentence):  # "my SIM stop working": the whole line, the diagnosis asks which part
            return True, None
    return False, None


# money that went without the writer spending it: a problem to check, not a balance to show
MONEY_GONE = re.compile(
    # "куда с моего счёта делись 300 рублей за неделю", "I top up 1000 rubles yesterday and today money is 0"
    r"куда\s+[^.!?]{0,30}?(?:делись|делось|девались|подевались|ушли|ушло|пропали|испарились)\s+[^.!?]{0,20}?(?:руб|₽|деньг|денег)|"
    r"(?:top(?:ped)?\s+up|put|paid|added)\b[^.!?]{0,60}?\b(?:today|now)\s+(?:my\s+)?(?:money|balance)\s+(?:is\s+)?"
    r"(?:0|zero|empty|gone)\b|"
    r"ничего\s+не\s+(?:тратил\w*|потратил\w*|делал\w*|качал\w*|скачивал\w*)|никуда\s+не\s+звонил\w*|(?:дважды|два\s+раза|2\s+раза|двойн\w+)\s+(?:\w+\s+){0,2}(?:списал\w*|сняли|снял\w*)|"
    r"не\s+тратил\w*|(?:даже|почти)\s+не\s+(?:пользовал\w*|звонил\w*)|"
    r"(?:деньги|денег|баланс\w*|средства)\s+(?:\w+\s+)?(?:пропал\w*|исчез\w*|ушл\w*|списал\w*|сняли|улетел\w*)|"
    r"(?:пропал\w*|исчез\w*|ушл\w*|списал\w*|сняли|улетел\w*)\s+(?:\w+\s+)?(?:деньги|денег|баланс|средства)|"
    r"(?:ушёл|ушел|уш[её]л\s+в)\s+минус|баланс\w*\s+минус|в\s+минусе|на\s+(?:сч[её]ту|сч[её]те|балансе)\s+(?:уже\s+)?минус|"
    r"(?:положил|клал|закинул|пополнил|кинул)\w*\s+.{0,40}?(?:\s+а|,)\s+(?:сейчас|теперь|сегодня|уже)|"
    r"(?:положил|клал|закинул|пополнил|кинул|перевел|перевёл)\w*\s+.{0,60}?(?:\s+а|,)\s+(?:их|денег|деньги)\s+(?:\w+\s+)?"
    r"(?:нет|нету|не\s+видно|не\s+вижу)(?![а-я])|(?:списал\w*|сняли|снял\w*)\s+(?:\w+\s+){0,4}(?:дважды|два\s+раза|2\s+раза)|"
    r"списал\w*\s+(?:\w+\s+)?дважды|дважды\s+списал\w*|charged\s+(?:me\s+)?twice|double[\s-]+charged?|"
    r"didn'?t\s+(?:even\s+)?(?:spend|use|buy|order|sign\s+up|subscribe)|did\s+not\s+(?:buy|order|subscribe)|haven'?t\s+(?:even\s+)?(?:spent|used|touched)|hardly\s+(?:used|call)|"
    r"balance\s+(?:is\s+|went\s+|of\s+|shows\s+|says\s+)?(?:-|minus\s*)\d|balance\s+(?:is\s+|went\s+|shows\s+)?negative|"
    r"eating\s+(?:up\s+)?(?:all\s+)?my\s+(?:money|balance|credit)|"
    r"(?:деньги|платеж|платёж|пополнени\w*|(?<!\d)\d+)\s+(?:\w+\s+){0,3}не\s+(?:пришл|пришел|пришёл|поступ|зачисл|дошл)\w*|"
    r"на\s+(?:сч[её]т|баланс)\w*\s+не\s+(?:пришл|поступ|зачисл|дошл)\w*|"
    r"(?:до\s+сих\s+пор|так\s+и)\s+не\s+(?:пришл|поступ|зачисл)\w*|still\s+(?:not|hasn'?t|isn'?t)\s+(?:there|arrived|come|shown|showing|credited)|"
    r"(?:hasn'?t|has\s+not|didn'?t|never)\s+(?:arrived|come\s+through|shown\s+up|been\s+credited)|"
    r"(?:mystery|unknown|strange|weird|random|odd|suspicious)\s+charges?|(?:don'?t|do\s+not|can'?t)\s+recogni[sz]e\s+(?:a|the|this|that|some)\s+"
    r"(?:charge|payment|debit)|(?<!\d)\d+\s*(?:rub\w*|roubles?|rubles?|р|₽)\.?\s+(?:just\s+)?(?:gone|vanished|disappeared|missing)\b|"
    # paying for what one never turned on ("why am i paying for some music thing i never turned on", "списывают за
    # подписку, я её не подключала")
    r"never\s+(?:turned\s+(?:it\s+)?on|signed\s+up|subscribed|ordered|activated)|"
    r"(?<![а-я])(?:ничего\s+|её\s+|ее\s+|его\s+|их\s+)?не\s+(?:подключал|заказывал|подписывал|оформлял)\w*|"
    r"(?:жр[её]т|съедает|съел[аи]?|сожрал\w*)\s+(?:\w+\s+)?(?:деньги|баланс|денег)|"
    # the balance told before and after ("had 400 yesterday now 50", "было 500, а сегодня 120"), or unmoved by a top-up
    # ("пополнила на 500, на счету как был ноль так и есть", "what happened to my money??")
    r"\b(?:had|was)\s+(?<!\d)\d+\S*\s+(?!gb|gigs?|mb|min)(?:\w+,?\s+){0,3}?(?:and\s+|but\s+)?(?:now|today)\s+(?:only\s+|just\s+)?(?:\w+\s+)?"
    r"(?<!\d)\d+(?![\d.,])(?!\s*(?:gb|gigs?|mb|min))|"
    r"(?<![а-яё])было\s+(?<!\d)\d+\S*\s+(?!гб|гиг|мб|минут|смс)(?:\w+,?\s+){0,3}?(?:а\s+)?(?:сейчас|теперь|сегодня|уже)\s+(?:только\s+|всего\s+)?"
    r"(?<!\d)\d+(?![\d.,])(?!\s*(?:гб|гиг|мб|минут|смс))|"
    r"(?:на\s+сч[её]те|на\s+сч[её]ту|на\s+балансе|баланс)\s+(?:\w+\s+){0,2}как\s+был\w*\s+(?:\w+\s+){0,2}так\s+и|"
    r"баланс\w*\s+(?:\w+\s+)?не\s+(?:изменил\w*|поменял\w*|увеличил\w*)|"
    r"balance\s+(?:\w+\s+)?(?:hasn'?t|has\s+not|didn'?t|did\s+not)\s+(?:changed?|moved?|gone\s+up|go\s+up)|"
    r"(?:wh?at|wht)\s+happened\s+(?:to|with)\s+(?:all\s+)?my\s+(?:money|balance|credit)|"
    r"что\s+(?:случилось|стало|произошло)\s+с\s+(?:моими\s+|моим\s+)?(?:деньгами|балансом|сч[её]том)|"
    r"(?:money|balance|credit)\s+(?:is\s+)?(?:just\s+)?"
    r"(?:gone|disappeared|vanished)|topped\s+up\s+.{0,40}?\s+(?:and\s+)?now",
    re.IGNORECASE)


def money_gone(text: str) -> bool:
    """The message says money went that the writer did not spend ("баланс минус 200, я ничего не
    тратил", "topped up 1000 this morning and now there's 200 left"), or a top-up that has not arrived;
    not a person-to-person transfer through a bank."""
    # (what is wished not to happen is not told: "не хочу, чтобы с баланса сняли")
    return bool(MONEY_GONE.search(WISHED.sub(" ", text))) and not PERSON_TO_PERSON.search(text)


WISHED = re.compile(r"(?<![а-я])(?:чтобы|чтоб)\s[^.!?]*|\bso\s+that\b[^.!?]*", re.IGNORECASE)
