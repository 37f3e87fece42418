"""Input repair before matching: the wrong keyboard layout and Russian typed in Latin letters.

Subscribers type "rfr gjgjkybnm cxtn" (как пополнить счёт on an English layout),
"kak popolnit schet" (Russian in Latin letters), or "рщц вщ ш" (English on a Russian layout).
`Repairer.repair(text)` reads the message every plausible way — as it is, as the other
keyboard layout, as transliterated Russian — scores each reading by how much of it is made of
real words (word frequencies, the Russian dictionary and the knowledge base's own vocabulary)
and keeps the best one. Nothing is converted blindly: a reading replaces the message only when
it is clearly better than the message as typed, so English stays English ("how do i top up")
and a mixed message converts only its Latin words that are not English but are clearly Russian
("zakinut денег" → "закинуть денег", while "support number для москвы" stays as it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

from intents import frequency

# the keys of the standard ЙЦУКЕН layout on a QWERTY keyboard, unshifted and shifted
_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?~&'
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбю.ё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё?"
EN_TO_RU_LAYOUT = str.maketrans(_QWERTY, _JCUKEN)
RU_TO_EN_LAYOUT = str.maketrans({c: q for q, c in zip(_QWERTY, _JCUKEN, strict=True) if c.isalpha()})

# a chunk typed on the wrong layout: Latin letters and the keys that are Russian letters there
LAYOUT_CHUNK = re.compile(r"(?<![a-z;'\[\],.`])[a-z;'\[\],.`]*[a-z][a-z;'\[\],.`]*", re.IGNORECASE)
LATIN_WORD = re.compile(r"(?<![\w@/.])(?:[46](?=[a-z]))?[a-z][a-z46']*(?![\w@]|\.\w)", re.IGNORECASE)
CYRILLIC_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)
HAS_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
HAS_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# (a run of non-spaces is tried from its start only: from each of its places the search takes time squared)
NOT_TEXT = re.compile(r"(?<!\S)\S+@\S+|https?://\S+|www\.\S+|(?<!\S)\S+\.(?:ru|com|org|net)\b", re.IGNORECASE)

# Runs of spaces, of blank lines or of one punctuation mark say no more than one (three) of them, and the rules'
# patterns try each of their places in turn: a message of 4,000 spaces would take seconds to read
_SPACES = re.compile(r"[^\S\n]{2,}")
_LINES = re.compile(r"\s*\n\s*")
_REPEATED = re.compile(r"([^\w\s])\1{3,}")


def squeeze(text: str) -> str:
    """`text` as it is read: each run of spaces one space, of lines one line break, of a mark three of it."""
    return _REPEATED.sub(r"\1\1\1", _LINES.sub("\n", _SPACES.sub(" ", text)))


# transliteration: at each position, the Cyrillic readings of the longest Latin sequences
# (several schemes: GOST-like, passport, and how people type in chats: "4" for ч, "w" and "6" for ш)
_TRANSLIT: dict[str, tuple[str, ...]] = {
    "shch": ("щ",), "sch": ("щ", "сч"), "zh": ("ж",), "ch": ("ч",), "sh": ("ш", "щ"), "kh": ("х",), "ts": ("ц", "тс"),
    "tz": ("ц",), "ya": ("я",), "ja": ("я",), "ia": ("я", "иа"), "yu": ("ю",), "ju": ("ю",), "iu": ("ю", "иу"),
    "yo": ("е", "йо"), "jo": ("е", "йо"), "ye": ("е", "ые"), "je": ("е",), "iy": ("ий",), "yy": ("ый",),
    "yj": ("ый",), "ij": ("ий",), "ei": ("ей", "еи"), "ai": ("ай", "аи"), "oi": ("ой", "ои"), "ui": ("уй", "уи"),
    "''": ("ъ",), "ph": ("ф", "пх"), "ck": ("к",), "ee": ("и", "ее"), "oo": ("у", "оо"),
    "a": ("а",), "b": ("б",), "c": ("ц", "с", "к"), "d": ("д",), "e": ("е", "э"), "f": ("ф",), "g": ("г",),
    "h": ("х",), "i": ("и", "й"), "j": ("й", "ж"), "k": ("к",), "l": ("л",), "m": ("м",), "n": ("н",), "o": ("о",),
    "p": ("п",), "q": ("к",), "r": ("р",), "s": ("с",), "t": ("т",), "u": ("у",), "v": ("в",), "w": ("в", "ш"),
    "x": ("х", "кс"), "y": ("ы", "й", "у"), "z": ("з",), "'": ("ь",), "`": ("ь",), "4": ("ч",), "6": ("ш", "щ"),
}
_KEYS = sorted(_TRANSLIT, key=len, reverse=True)
_SOFTENED = frozenset("лнтдсрзмвбпф")  # a soft sign after these is often left out ("skolko", "popolnit")
_VOWELS = frozenset("аеёиоуыэюя")
MAX_READINGS = 256
# no word of either language is longer (Russian's long ones, "достопримечательности", are 21 letters, 24 in
# Latin): a longer run of letters is no word to read, and reading it letter by letter costs time squared
MAX_WORD = 40

# Greetings and politeness around a question ("Здравствуйте!!! Подскажите пожалуйста …, заранее
# спасибо"): taken off when a question of at least two words remains, so that the question, not
# the greeting, is what gets answered. A message that is only a greeting keeps it.
_OPENERS = (
    r"(?:добр(?:ый|ого|ое)\s+(?:день|дня|вечер|вечера|утро|утра|ночи|времени\s+суток)|здравствуй(?:те)?|здраствуйте|"
    r"здрасьте|приветик[иа]?|привет(?:ствую)?|хай|салют|доброго\s+времени\s+суток|уважаем(?:ая|ый|ые)\s+"
    r"(?:служба\s+поддержки|поддержка|сотрудники|теле2|tele2)|алло|слушайте|"
    r"(?:извините|простите),?\s+что\s+(?:беспокою|пишу|отвлекаю|побеспокоил\w*)|извините(?:\s+за\s+беспокойство)?|"
    r"простите|ну\s+короче|короче|в\s+общем|вобщем|так\s+вот|hi+(?:\s+there)?|hello+(?:\s+there)?|hey+(?:\s+there)?|"
    r"yo|good\s+(?:morning|afternoon|evening|day)|dear\s+(?:tele2|support(?:\s+team)?|sir(?:\s+or\s+madam)?)|"
    r"greetings|sorry\s+to\s+bother\s+you|excuse\s+me|hope\s+(?:you(?:'re|\s+are)|ur)\s+(?:well|ok)|"
    r"как\s+дела|how\s+are\s+you)"
)
OPENER = re.compile(rf"^\W*(?:{_OPENERS}\b[\W_]*)+", re.IGNORECASE)
CLOSER = re.compile(  # (from the start of a run of non-letters only: from each of its places the search takes time squared)
    r"(?<![\W_])[\W_]*(?:(?:заранее\s+)?(?:спасибо|благодарю)(?:\s+(?:вам\s+)?(?:большое|заранее|огромное))?"
    r"(?:\s+(?:вам\s+)?(?:за\s+(?:помощь|ответ|внимание|понимание)))?|с\s+уважением.*|"
    r"(?:thanks?|thank\s+you)(?:\s+(?:a\s+lot|so\s+much|very\s+much))?(?:\s+(?:in\s+advance|for\s+(?:your|the|any)\s+help))?|"
    r"(?:kind\s+|best\s+)?regards.*|cheers)[\W_]*$", re.IGNORECASE)
# a sentence introducing the writer ("Меня зовут Галина Петровна.", "Мне 72 года.", "My name is Tom.",
# "I'm 70 years old."): nothing to answer in it
INTRODUCTION = re.compile(
    r"(?:(?<=[.!?…])|^)\s*(?:меня\s+зовут|моё\s+имя|мое\s+имя|мне\s+\d{1,3}\s+(?:год|года|лет)|my\s+name\s+is|"
    r"i\s*'?a?m\s+\d{1,3}\s+(?:years?\s+old|y/?o))[^.!?…]*[.!?…]+", re.IGNORECASE)
# a lead-in announcing the question ("у меня вопрос, даже два, но первый: …", "вопрос такой: …", "quick question: …")
ANNOUNCEMENT = re.compile(
    r"^\W*(?:у\s+меня\s+|есть\s+)?(?:(?:такой|один|небольшой|маленький|короткий|пара|два|следующий)\s+)?вопрос\w*"
    r"(?:\s+такой)?[^:?.!]{0,30}:\s*|"
    r"^\W*(?:i\s+have\s+|i'?ve\s+got\s+|got\s+)?(?:a\s+|one\s+|two\s+)?(?:quick\s+|small\s+)?questions?[^:?.!]{0,30}:\s*",
    re.IGNORECASE)
# … or one in the middle of a story, after which comes what is asked ("… anyway that's not my question. My question is:
# how do I …", "долго рассказывать, но вопрос вот в чём: …"): the story before it is left out
FOCUS = re.compile(
    r"(?:\b(?:my|the|real|actual|main|only)\s+)+question\s+(?:is|was)\b\s*(?:this|that)?\s*[:,—–-]*\s*|"
    r"(?<![а-яё])(?:(?:сам|мой|главный|собственно)\s+)?вопрос\s+(?:у\s+меня\s+)?(?:вот\s+)?(?:такой|в\s+том|в\s+ч[её]м)\b\s*[:,—–-]*\s*",
    re.IGNORECASE)
# English chat-speak, read as the words it stands for ("what can u do", "add a service to my acc")
CHAT_SPEAK = {"u": "you", "ur": "your", "r": "are",
              "msg": "message", "msgs": "messages", "txt": "text", "acc": "account", "acct": "account",
              "wat": "what", "wut": "what", "whats": "what is", "cuz": "because", "coz": "because", "abt": "about",
              "ppl": "people", "wanna": "want to", "gonna": "going to", "gimme": "give me", "dunno": "do not know",
              "b4": "before", "2day": "today", "pwd": "password", "num": "number", "nr": "number",
              "4ever": "forever", "2morrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow", "yday": "yesterday",
              "thx": "thanks", "thnx": "thanks", "gr8": "great",
              "l8r": "later", "idk": "I do not know", "tho": "though", "smth": "something", "sth": "something",
              "txts": "texts", "hrs": "hours", "mins": "minutes", "bc": "because", "w/o": "without",
              "unsub": "unsubscribe", "wk": "week", "wks": "weeks", "nxt": "next", "rn": "right now", "ty": "thank you",
              "thru": "through", "gotta": "got to", "kinda": "kind of", "lemme": "let me", "fone": "phone", "phn": "phone",
              "bal": "balance", "mob": "mobile", "sry": "sorry", "bcs": "because"}
# casual words that only colour an English message ("lemme top up real quick", "ngl", "lmao"): left out (not the vexed
# ones, "smh", "bruh": they tell the mood)
CHAT_FILLER = re.compile(r"(?<![\w'])(?:real\s+quick|rq|lol|lmao|lmfao|rofl|ngl|tbh|fr|fam|pls\s+and\s+ty)(?![\w'])",
                         re.IGNORECASE)
CHAT_WORD = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, CHAT_SPEAK), key=len, reverse=True))
                       + r")(?![\w'])", re.IGNORECASE)
# Russian spoken spellings the dictionary does not read as the word they stand for ("скок гигов осталось",
# "ваще не грузит", "када придут деньги"); the ones it does ("щас", "чё", "тыщ", "седня") are left to it
RU_SPOKEN = {"скок": "сколько", "скока": "сколько", "скоко": "сколько", "скоки": "сколько", "ваще": "вообще",
             "када": "когда", "кагда": "когда", "токо": "только", "тока": "только", "нада": "надо", "оч": "очень",
             "пжлст": "пожалуйста", "пжл": "пожалуйста", "плз": "пожалуйста", "плиз": "пожалуйста", "спс": "спасибо",
             "чтоб": "чтобы", "чтоль": "что ли", "щя": "сейчас", "заблочить": "заблокировать", "заблочьте": "заблокируйте",
             "заблочь": "заблокируй", "разблочить": "разблокировать", "заблочили": "заблокировали", "посеял": "потерял",
             "посеяла": "потеряла", "посеяли": "потеряли", "вырубить": "отключить", "вырубите": "отключите",
             "вырубили": "отключили", "рэ": "руб"}
RU_SPOKEN_WORD = re.compile(r"(?<![а-яё\w])(" + "|".join(sorted(RU_SPOKEN, key=len, reverse=True)) + r")(?![а-яё\w])",
                            re.IGNORECASE)
# punctuation dictated by voice ("алло это поддержка запятая … вопросительный знак как с вами связаться точка"): the
# marks themselves, so the sentences are read apart; "точка" and "period" only beside an unmistakable one (they are
# words too: "торговая точка", "billing period")
DICTATED = {"запятая": ",", "вопросительный знак": "?", "восклицательный знак": "!", "двоеточие": ":",
            "точка с запятой": ";", "comma": ",", "question mark": "?", "exclamation mark": "!", "exclamation point": "!"}
DICTATED_MARK = re.compile(r"\s*(?<![а-яёa-z])(точка\s+с\s+запятой|запятая|вопросительный\s+знак|восклицательный\s+знак|"
                           r"двоеточие|comma|question\s+mark|exclamation\s+(?:mark|point))(?![а-яёa-z])\s*", re.IGNORECASE)
DICTATED_STOP = re.compile(r"\s*(?<![а-яёa-z])(?:точка|full\s+stop|period)(?![а-яёa-z])\s*", re.IGNORECASE)


def undictate(text: str) -> str:
    """`text` with the punctuation said in words put as marks, when it was dictated."""
    if not DICTATED_MARK.search(text):
        return text
    out = DICTATED_MARK.sub(lambda m: DICTATED[re.sub(r"\s+", " ", m.group(1).lower())] + " ", text)
    return DICTATED_STOP.sub(". ", out).strip()


# "2" and "4" for "to" and "for" between a word and what follows them ("add a service 2 my number",
# "anything 4 me"), never as a count ("2 gb", "top up 4 times")
CHAT_PREPOSITION = re.compile(r"(?<=[a-z]) ([24]) (?=(?:my|me|the|you|u|ur|your|a|an|it|him|her|us|them)\b)",
                              re.IGNORECASE)
G_DROPPED = re.compile(r"\b[a-z]{3,}in\b(?!['’])", re.IGNORECASE)  # "droppin", "nothin'" is spelt with it
G_DROPPED_COMMON = 3.0  # Zipf: the -ing word must be an everyday one
ELONGATED = re.compile(r"([а-яёa-z])\1{2,}", re.IGNORECASE)  # "таааариф", "sooo"
CONTENT_WORD = re.compile(r"[а-яёa-z0-9]{3,}", re.IGNORECASE)  # per word; the least likely alternatives are dropped beyond it


@dataclass(frozen=True)
class Repair:
    """A message as it is best read. `kind` is None when nothing was changed."""

    text: str
    kind: str | None = None  # "layout" (Russian typed on QWERTY) | "translit" | "layout_en" | "mixed"
    lang: str | None = None  # the language of the reading when it was changed
    changed: dict[str, str] = field(default_factory=dict)  # typed word -> read as

    @property
    def repaired(self) -> bool:
        return self.kind is not None


def translit_readings(word: str) -> list[str]:
    """Every Cyrillic reading of a Latin word (lower case), the likeliest scheme first."""
    options: list[tuple[str, ...]] = []
    i = 0
    while i < len(word):
        for key in _KEYS:
            if word.startswith(key, i):
                options.append(_TRANSLIT[key])
                i += len(key)
                break
        else:
            options.append((word[i],))
            i += 1
    # a soft sign left out after a consonant: at the end of the word, before another consonant
    expanded: list[tuple[str, ...]] = []
    for k, choice in enumerate(options):
        first = choice[0]
        last = k == len(options) - 1
        nxt = options[k + 1][0] if not last else ""
        if len(first) == 1 and first in _SOFTENED and (last or (nxt and nxt[0] not in _VOWELS and nxt[0] != "ь")):
            expanded.append((*choice, *(c + "ь" for c in choice if len(c) == 1)))
        else:
            expanded.append(choice)
    total = 1
    for choice in expanded:
        total *= len(choice)
    while total > MAX_READINGS:  # drop the last alternative of the most ambiguous position
        k = max(range(len(expanded)), key=lambda n: len(expanded[n]))
        total //= len(expanded[k])
        expanded[k] = expanded[k][:-1]
        total *= len(expanded[k])
    return ["".join(parts) for parts in product(*expanded)]


class Repairer:
    """Reads a message the way it was meant; see the module's docstring."""

    def __init__(self, known_ru: Callable[[str], bool], vocabulary: Iterable[str] = ()) -> None:
        self._known_ru = known_ru  # in the Russian dictionary (pymorphy3)
        self.vocabulary = frozenset(vocabulary)  # the knowledge base's words: strong evidence
        # its English words by each way of dropping one letter: a word one typo away from one of them
        # ("balanse", "blok", "numbr") is English mistyped, not transliterated Russian ("мы балансе")
        self._en_deletes: dict[str, str] = {}
        for word in sorted(self.vocabulary):
            if len(word) >= 4 and word.isascii() and word.isalpha():
                for variant in _deletes(word):
                    self._en_deletes.setdefault(variant, word)
        self.ru_score = lru_cache(maxsize=100_000)(self._ru_score)
        self.en_score = lru_cache(maxsize=100_000)(self._en_score)
        self.best_translit = lru_cache(maxsize=50_000)(self._best_translit)

    # -- how much a word looks like a real word of each language (Zipf-like, 0 … 7) ---------------

    def _ru_score(self, word: str) -> float:
        word = word.lower().replace("ё", "е")
        zipf = frequency.zipf(word, "ru")  # words down to Zipf 3
        if word in self.vocabulary:
            return max(zipf, 3.5)
        if zipf > 0:
            return zipf
        return 2.0 if len(word) > 3 and self._known_ru(word) else 0.0

    def _en_score(self, word: str) -> float:
        word = word.lower().replace("'", "")
        zipf = frequency.zipf(word, "en")
        if word in self.vocabulary:
            return max(zipf, 3.5)
        if zipf < 1.0 and len(word) >= 4 and self.near_english(word):
            return TYPO_SCORE
        return zipf

    def near_english(self, word: str) -> bool:
        """One typo (a letter wrong, missing, extra or two swapped) away from an English word of the base."""
        if word in self._en_deletes:  # a letter extra, or the word with a letter missing
            return True
        return any(variant in self.vocabulary or variant in self._en_deletes for variant in _deletes(word))

    def _best_translit(self, word: str) -> tuple[str, float]:
        if len(word) > MAX_WORD:
            return "", 0.0
        best, best_score = "", -1.0
        for reading in translit_readings(word.lower()):
            score = self.ru_score(reading)
            if score > best_score:  # ties: the likelier scheme (earlier) wins
                best, best_score = reading, score
        return best, best_score

    # -- the message -------------------------------------------------------------------------------

    def repair(self, text: str) -> Repair:
        if not text or not text.strip():
            return Repair(text)
        read = self._script(text)
        core = self._unwrap(read.text)
        if core == read.text:
            return read
        return Repair(core, read.kind or "unwrapped", read.lang, read.changed)

    def _unwrap(self, text: str) -> str:
        """Greetings, politeness and stretched letters off, dictated punctuation put as marks, English chat-speak spelt
        out; the question stays."""
        out = undictate(ELONGATED.sub(lambda m: self._shorten(m), text))
        rest = INTRODUCTION.sub(" ", out).strip()
        if len(CONTENT_WORD.findall(rest)) >= 2:
            out = rest
        if HAS_CYRILLIC.search(out):
            out = RU_SPOKEN_WORD.sub(lambda m: RU_SPOKEN[m.group(1).lower()], out)
        else:
            out = CHAT_PREPOSITION.sub(lambda m: " to " if m.group(1) == "2" else " for ", out)
            out = CHAT_WORD.sub(lambda m: CHAT_SPEAK[m.group(1).lower()], out)
            out = re.sub(r"\s{2,}", " ", CHAT_FILLER.sub(" ", out))
            out = G_DROPPED.sub(self._g_back, out)
        focus = next(reversed(list(FOCUS.finditer(out))), None)  # the last such announcement
        if focus is not None and focus.start() > 0 and len(CONTENT_WORD.findall(out[focus.end():])) >= 2:
            out = out[focus.end():]
        for pattern in (OPENER, ANNOUNCEMENT, CLOSER):
            rest = pattern.sub(" " if pattern is OPENER else "", out, count=1).strip()
            if len(CONTENT_WORD.findall(rest)) >= 2:
                out = rest
        return out.strip() or text

    def _g_back(self, match: re.Match[str]) -> str:
        """"droppin" → "dropping", "workin" → "working": only where the -ing word is a common one and
        the word as typed is far rarer ("cousin", "within", "begin" stay)."""
        word = match.group(0)
        full = self.en_score(word + "g")
        if full >= G_DROPPED_COMMON and full - self.en_score(word) >= 1.5:
            return word + "g"
        return word

    def _shorten(self, match: re.Match[str]) -> str:
        return match.group(1)

    def _script(self, text: str) -> Repair:
        masked = NOT_TEXT.sub(" ", text)
        has_cyr, has_lat = bool(HAS_CYRILLIC.search(masked)), bool(HAS_LATIN.search(masked))
        if has_lat and not has_cyr:
            return self._latin(text, masked)
        if has_cyr and not has_lat:
            return self._cyrillic(text, masked)
        if has_cyr and has_lat:
            return self._mixed(text, masked)
        return Repair(text)

    def _latin(self, text: str, masked: str) -> Repair:
        """All Latin: English as typed, Russian on the wrong layout, or transliterated Russian."""
        chunks = [m.group(0) for m in LAYOUT_CHUNK.finditer(masked)]
        latin_words = [m.group(0).lower() for m in LATIN_WORD.finditer(masked)]
        if not latin_words and not chunks:
            return Repair(text)
        as_typed = [self.en_score(w) for w in latin_words]
        layout = [(c, c.translate(EN_TO_RU_LAYOUT).strip(".,?")) for c in chunks]
        layout_scores = [self.ru_score(r) if r and HAS_CYRILLIC.search(r) else 0.0 for _, r in layout]
        translit = [self.best_translit(w) for w in latin_words]
        translit_scores = [s for _, s in translit]
        typed = _quality(as_typed)
        best_kind, best = None, typed
        for kind, scores in (("layout", layout_scores), ("translit", translit_scores)):
            quality = _quality(scores)
            if quality > best + 0.75 and _known_share(scores) >= 0.5:
                best_kind, best = kind, quality
        if best_kind == "layout":
            changed = {c: r for c, r in layout if r}
            out = LAYOUT_CHUNK.sub(lambda m: m.group(0).translate(EN_TO_RU_LAYOUT), text)
            return Repair(out, "layout", "ru", changed)
        if best_kind == "translit":
            changed = {w: r for w, (r, s) in zip(latin_words, translit, strict=True) if r}
            out = LATIN_WORD.sub(lambda m: changed.get(m.group(0).lower(), m.group(0)), text)
            return Repair(out, "translit", "ru", changed)
        return Repair(text)

    def _cyrillic(self, text: str, masked: str) -> Repair:
        """All Cyrillic: Russian as typed, or English typed on the Russian layout ("рщц" → "how")."""
        words = [m.group(0).lower() for m in CYRILLIC_WORD.finditer(masked)]
        as_typed = [self.ru_score(w) for w in words]
        if _known_share(as_typed) >= 0.5:
            return Repair(text)
        readings = [w.translate(RU_TO_EN_LAYOUT) for w in words]
        scores = [self.en_score(r) for r in readings]
        if _quality(scores) > _quality(as_typed) + 0.75 and _known_share(scores) >= 0.6:
            changed = dict(zip(words, readings, strict=True))
            out = CYRILLIC_WORD.sub(lambda m: m.group(0).lower().translate(RU_TO_EN_LAYOUT), text)
            return Repair(out, "layout_en", "en", changed)
        return Repair(text)

    def _mixed(self, text: str, masked: str) -> Repair:
        """Both scripts: a Latin word that is no English word but clearly Russian is converted."""
        changed: dict[str, str] = {}
        for m in LATIN_WORD.finditer(masked):
            word = m.group(0).lower()
            if len(word) < 3:
                continue
            reading, score = self.best_translit(word)
            if score >= 3.0 and self.en_score(word) < 1.5:
                changed[word] = reading
        if not changed:
            return Repair(text)
        out = LATIN_WORD.sub(lambda m: changed.get(m.group(0).lower(), m.group(0)), text)
        return Repair(out, "mixed", None, changed)


TYPO_SCORE = 3.0  # an English word of the base mistyped: as likely a word as a common one


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _quality(scores: list[float]) -> float:
    """A reading's quality: the mean word score, longer readings a little more sure."""
    if not scores:
        return 0.0
    return sum(scores) / len(scores)


def _known_share(scores: list[float]) -> float:
    return sum(1 for s in scores if s >= 1.5) / len(scores) if scores else 0.0
