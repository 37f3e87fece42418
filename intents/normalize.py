"""Text normalisation: case, ё/е, punctuation, Latin/Cyrillic look-alikes, morphology.

`Normalizer.tokens(text)` turns a message into a list of `Token`s carrying the surface form
(lower-cased, ё → е, look-alikes fixed) and the lemma: pymorphy3's normal form for Russian
words, the Snowball stem for English ones. Everything is cached: the same word is analysed
once per process.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pymorphy3
import snowballstemmer

from intents import frequency

CYRILLIC = re.compile(r"[а-яё]")
LATIN = re.compile(r"[a-z]")
# a word is letters/digits, with inner hyphens or apostrophes ("кто-то", "don't", "sim-карта")
WORD = re.compile(r"[0-9a-zа-яё]+(?:['’\-][0-9a-zа-яё]+)*")
SPLIT_NUM_UNIT = re.compile(r"^(\d+)([a-zа-яё]+)$")

# Latin letters that look like Cyrillic ones and back (lower case only: we lower first).
LAT_TO_CYR = str.maketrans("aceopxykmtbhu", "асеорхукмтвни")
CYR_TO_LAT = str.maketrans("асеорхукмтвн", "aceopxykmtbh")

RU_STOP = frozenset(
    """а без бы был была были было быть в вам вас ваш ваша ваше ваши во вот вы да для до его
    ее ей если есть еще же за и из или им их к как ко когда кто ли либо мне меня мной мой моя
    мое мои мы на над надо наш не нет ни но ну о об однако он она они оно от по под при про с
    со так там тебе тебя то тоже только ты у уже хотя чего чей чем что чтобы чья эта эти это
    этот я ж бы ага ок ой вообще просто пожалуйста пж плиз подскажите подскажи скажите скажи
    можно нужно мочь который свой весь сам такой этот тот""".split()
) - {"не", "нет"}
EN_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    am do does did doing have has had having i me my mine we our you your he she it its they
    them their this that these those there here what which who whom whose how when where why
    can could would should will shall may might must not no yes so too very just please pls
    plz ok okay about into than then also any some get got u ur im i'm i've one ones""".split()
) - {"not", "no"}

# Question words mark a question about how something works; they are kept as a pseudo-term.
RU_HOW = frozenset("как где какой каков зачем почему сколько что чем куда откуда".split())
EN_HOW = frozenset("how where what which why whats".split())
# Negation: "не могу дозвониться" is not "как дозвониться".
NEGATION = frozenset("не нет нельзя not no cant can't cannot dont don't doesnt doesn't wont won't isnt isn't".split())
# Words that make it about the subscriber's own account: "у меня", "мой", "my", "me".
RU_ME = frozenset("я мне меня мой моя мое мои мой свой".split())
EN_ME = frozenset("i me my mine i'm im".split())


@dataclass(frozen=True, slots=True)
class Token:
    surface: str  # lower-cased, ё → е, look-alikes fixed
    lemma: str  # dictionary form (ru) or stem (en); digits as they are
    lang: str  # "ru", "en" or "num"
    stop: bool  # a function word
    imperative: bool = False  # a Russian verb in the imperative ("подключи")
    pos: str | None = None  # part of speech (Russian words only)
    known: bool = False  # in the Russian dictionary (not guessed from the suffix)


def fold(text: str) -> str:
    """Lower-case and fold ё into е."""
    return text.lower().replace("ё", "е")


def fix_lookalikes(word: str) -> str:
    """A word mixing scripts is rewritten in its majority script ("поддержкy" → "поддержку")."""
    cyr = len(CYRILLIC.findall(word))
    lat = len(LATIN.findall(word))
    if not cyr or not lat:
        return word
    return word.translate(LAT_TO_CYR) if cyr >= lat else word.translate(CYR_TO_LAT)


def script_of(word: str) -> str:
    if CYRILLIC.search(word):
        return "ru"
    if LATIN.search(word):
        return "en"
    return "num"


def detect_language(text: str, hint: str | None = None) -> str:
    """'ru' or 'en' by the letters used; the client's hint decides a tie (default Russian)."""
    lowered = text.lower()
    cyr = len(CYRILLIC.findall(lowered))
    lat = len(LATIN.findall(lowered))
    if cyr > lat:
        return "ru"
    if lat > cyr:
        return "en"
    return hint if hint in ("ru", "en") else "ru"


# "where's", "wheres", "what's": the question word and "is", as "where is" is written out (the "is" of
# "where is your shop" is half of what tells a place asked for from a number asked for)
IS_CONTRACTED = re.compile(r"\b(where|what|how|who|when|that|there)['’]?s\b")


def words(text: str) -> list[str]:
    """Split folded text into words, fixing look-alikes and splitting "5гб" into "5", "гб"."""
    out: list[str] = []
    for raw in WORD.findall(IS_CONTRACTED.sub(r"\1 is", fold(text))):
        if "-" in raw and not raw.replace("-", "").isdigit():
            # "sim-карта", "кто-то": keep the parts; "онлайн-чат" → "онлайн", "чат"
            parts = [part for part in raw.split("-") if part]
        else:
            parts = [raw]
        for part in parts:
            word = fix_lookalikes(part)
            match = SPLIT_NUM_UNIT.match(word)
            if match:
                out.extend(match.groups())
            else:
                out.append(word.replace("’", "'"))
    return out


@dataclass(frozen=True)
class TokenTable:
    """Words already worked out (`Normalizer.token`), stored with what they were worked out by.

    Analysing the ~5,000 words of the knowledge base is most of building its index (~0.3 s of a
    start); `supportbot kb train` stores the shipped base's words, and a start takes them when
    the analysers are the same and a sample of them still comes out the same (a test checks all)."""

    stamp: str
    tokens: dict[str, Token]

    def sample(self, size: int = 64) -> list[Token]:
        every = max(1, len(self.tokens) // size)
        return list(self.tokens.values())[::every]

    def to_bytes(self) -> bytes:
        rows = [[t.surface, t.lemma, t.lang, t.stop, t.imperative, t.pos, t.known]
                for t in sorted(self.tokens.values(), key=lambda t: t.surface)]
        return gzip.compress(json.dumps({"stamp": self.stamp, "tokens": rows}, ensure_ascii=False,
                                        separators=(",", ":")).encode("utf-8"), mtime=0)

    @classmethod
    def from_bytes(cls, blob: bytes) -> TokenTable:
        data = json.loads(gzip.decompress(blob))
        return cls(str(data["stamp"]), {row[0]: Token(*row) for row in data["tokens"]})


def load_token_table(path: Path) -> TokenTable | None:
    """The stored table, or None when there is none or it cannot be read."""
    try:
        return TokenTable.from_bytes(path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None


class Normalizer:
    """Morphology for Russian, stemming for English, both cached."""

    def __init__(self, known: TokenTable | None = None, record: bool = False) -> None:
        """`known`: tokens worked out before (the shipped knowledge's words, `load_token_table`), taken
        as they are when they still check out; `record`: remember every word worked out here, for
        `token_table`."""
        self._morph = pymorphy3.MorphAnalyzer()
        self._stemmer = snowballstemmer.stemmer("english")
        self._known: dict[str, Token] = {}
        self._seen: dict[str, Token] | None = {} if record else None
        if known is not None and known.stamp == self.stamp() and all(
                self._token(token.surface) == token for token in known.sample()):
            self._known = dict(known.tokens)
        self.lemma = lru_cache(maxsize=200_000)(self._lemma)
        self.token = lru_cache(maxsize=200_000)(self._token)
        self.zipf = lru_cache(maxsize=200_000)(self._zipf)
        self.zipf("связь")  # load the frequency lists now, not on the first message
        self.zipf("support")

    @staticmethod
    def _zipf(word: str) -> float:
        """How common a word is in general Russian or English (Zipf scale: 0 unknown … 7 "и", "the")."""
        lang = script_of(word)
        if lang == "num":
            return 0.0
        return frequency.zipf(word, lang)  # words down to Zipf 3: all we need

    def _lemma(self, word: str) -> str:
        lang = script_of(word)
        if lang == "ru":
            return self._morph.parse(word)[0].normal_form.replace("ё", "е")
        if lang == "en":
            return self._stemmer.stemWord(word.replace("'", ""))
        return word

    @property
    def preloaded(self) -> int:
        """How many words came analysed from the `known` table."""
        return len(self._known)

    def stamp(self) -> str:
        """What the tokens depend on besides this module's code: the analysers and their dictionary."""
        meta = dict(self._morph.dictionary.meta)
        return (f"pymorphy3 {pymorphy3.__version__}; dictionary {meta.get('source_version', '')} "
                f"{meta.get('compiled_at', '')}; snowballstemmer {getattr(snowballstemmer, '__version__', '')}")

    def token_table(self) -> TokenTable:
        """The tokens worked out by this normalizer (made with `record=True`), to be loaded by another."""
        assert self._seen is not None, "made without record=True"
        return TokenTable(self.stamp(), {**self._known, **self._seen})

    def _token(self, word: str) -> Token:
        found = self._known.get(word)
        if found is not None:
            return found
        token = self._work_out(word)
        if self._seen is not None:
            self._seen[word] = token
        return token

    def _work_out(self, word: str) -> Token:
        lang = script_of(word)
        imperative = known = False
        pos = None
        if lang == "ru":
            parses = self._morph.parse(word)
            lemma = parses[0].normal_form.replace("ё", "е")
            imperative = any("impr" in p.tag for p in parses[:3] if p.normal_form == parses[0].normal_form)
            stop = word in RU_STOP or lemma in RU_STOP
            pos = parses[0].tag.POS
            known = self._morph.word_is_known(word)
        elif lang == "en":
            lemma = self._stemmer.stemWord(word.replace("'", ""))
            stop = word in EN_STOP
        else:
            lemma, stop = word, False
        return Token(word, lemma, lang, stop, imperative, pos, known)

    def tokens(self, text: str) -> list[Token]:
        return [self.token(w) for w in words(text)]

    def lemmas(self, text: str) -> list[str]:
        return [t.lemma for t in self.tokens(text)]

    def is_known(self, word: str) -> bool:
        """True when the word is in the Russian dictionary (not guessed by suffix)."""
        return script_of(word) == "ru" and self._morph.word_is_known(word)
