"""Entities: Russian regions (any grammatical case), countries, phone numbers, money,
periods and package sizes.

Regions, countries and synonym phrases are found by one `PhraseIndex`: every alias is
lemmatised once, and a message's lemma sequence is scanned for the longest known phrase,
so "в Нижегородской области", "Нижнем Новгороде" and "нижегородцев" all land on the
same region.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .normalize import Normalizer, Token, fold

# --- phrases -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # token index
    end: int  # exclusive
    kind: str  # "region", "country" or "concept"
    value: str  # region id, country name or concept name


# Words that may stand inside a phrase without changing it: "перечень всех своих звонков" is "перечень
# звонков", "list of all my calls" is "list of calls" (lemmas; a phrase is first looked up as written)
FILLERS = frozenset({"весь", "свой", "мой", "твой", "наш", "ваш", "этот", "all", "my", "your", "our", "the", "this",
                     "these", "those"})


class PhraseIndex:
    """Longest-match lookup of multi-word phrases over lemma sequences."""

    def __init__(self, normalizer: Normalizer) -> None:
        self._normalizer = normalizer
        self._phrases: dict[tuple[str, ...], tuple[str, str]] = {}
        self._bare: dict[tuple[str, ...], tuple[str, str]] = {}  # multi-word phrases without their fillers
        self.max_len = 1

    def key(self, text: str) -> tuple[str, ...]:
        return tuple(t.lemma for t in self._normalizer.tokens(text))

    def add(self, text: str, kind: str, value: str) -> None:
        key = self.key(text)
        if not key:
            return
        # the first definition wins: regions are added before synonyms
        self._phrases.setdefault(key, (kind, value))
        self.max_len = max(self.max_len, len(key))
        bare = tuple(lemma for lemma in key if lemma not in FILLERS)
        if len(bare) >= 2 and bare[0] == key[0]:
            self._bare.setdefault(bare, (kind, value))

    def find(self, tokens: Sequence[Token]) -> list[Span]:
        """Non-overlapping spans, longest first."""
        positions = list(range(len(tokens)))
        lemmas = [t.lemma for t in tokens]
        spans: list[Span] = []
        i = 0
        while i < len(lemmas):
            for n in range(min(self.max_len, len(lemmas) - i), 0, -1):
                hit = self._phrases.get(tuple(lemmas[i : i + n]))
                if hit:
                    spans.append(Span(positions[i], positions[i + n - 1] + 1, hit[0], hit[1]))
                    i += n
                    break
            else:
                end = self._bare_match(lemmas, i)
                if end:
                    hit = self._bare[tuple(x for x in lemmas[i:end] if x not in FILLERS)]
                    spans.append(Span(positions[i], positions[end - 1] + 1, hit[0], hit[1]))
                    i = end
                else:
                    i += 1
        return spans

    def _bare_match(self, lemmas: list[str], i: int) -> int:
        """The end of the longest phrase starting at `i` once fillers inside it are left out (0: none)."""
        if not self._bare or lemmas[i] in FILLERS:
            return 0
        words, best, j = [lemmas[i]], 0, i + 1
        while j < len(lemmas) and len(words) < self.max_len and j - i < 2 * self.max_len:
            if lemmas[j] not in FILLERS:
                words.append(lemmas[j])
                if j - i + 1 > len(words) and tuple(words) in self._bare:  # a filler was left out
                    best = j + 1
            j += 1
        return best

    def __contains__(self, lemma: str) -> bool:
        return (lemma,) in self._phrases


# --- numbers and amounts ---------------------------------------------------------------------

PHONE_RE = re.compile(
    r"(?<![\d+])(?:(?:\+7|8|7)[\s\-\u00a0]*)?(?:\(\s*)?(9\d{2}|[3-8]\d{2})\s*\)?[\s\-\u00a0]*(\d{3})[\s\-\u00a0]*(\d{2})[\s\-\u00a0]*(\d{2})(?!\d)"
)
CURRENCY = r"(?:₽|руб(?:л[а-я]*)?\.?|р\.|р(?![а-я])|rub(?:les?)?|roubles?|rur)"
SIGN = r"((?:[-−–]|минус|minus)\s*)?"
# (at most 24 characters: no sum is longer, and an unbounded run of digits and spaces takes time squared to search)
NUMBER = r"(\d(?:[\d \u00a0\u202f'.,]{0,22}\d)?)"
MONEY_RE = re.compile(r"(?<![\w.,])" + SIGN + NUMBER + r"\s*" + CURRENCY, re.IGNORECASE)
BARE_RE = re.compile(r"(?<![\w.,+])" + SIGN + NUMBER + r"(?![\w]|[.,]\d)", re.IGNORECASE)
SIZE_RE = re.compile(
    r"(\d{1,5}(?:[.,]\d{1,2})?)\s*(гб|гигабайт[а-я]*|гиг[а-я]*|gb|gigs?|gigabytes?|мб|mb|мин(?:ут[а-я]*)?|min(?:utes?|s)?|"
    r"смс(?:ок|ки|ка)?|sms|сообщени[а-я]*|messages?)(?![a-zа-я])",
    re.IGNORECASE,
)


def find_phones(text: str) -> list[str]:
    """Russian numbers in any common writing, as +7XXXXXXXXXX."""
    out = []
    for match in PHONE_RE.finditer(text):
        number = "+7" + "".join(match.groups())
        if number not in out:
            out.append(number)
    return out


def kopecks(number: str) -> int | None:
    """A written amount of roubles in kopecks, as Russians and English speakers write them: "1 500",
    "1.500" and "1,500" (thousands), "99,99" and "99.99" (decimals), "1.500,50", "1,500.50". None
    when it cannot be read one way only ("100.9999"). Any size: the caller checks the range."""
    text = re.sub(r"[\u00a0\u202f' ]", " ", number.strip())
    if " " in text:  # spaces only between groups of three; otherwise only the last word is the number
        groups = text.split()
        if not (1 <= len(groups[0]) <= 3 and groups[0].isdigit()
                and all(len(g) == 3 and g.isdigit() for g in groups[1:-1])
                and re.fullmatch(r"\d{3}(?:[.,]\d{1,2})?", groups[-1])):
            text = groups[-1]
        else:
            text = "".join(groups)
    if len(text) > 40:  # far beyond any range (and int() refuses thousands of digits): one too big to take
        return 10**40 if re.fullmatch(r"[\d.,]+", text) else None
    marks = [i for i, c in enumerate(text) if c in ".,"]
    if not marks:
        return int(text) * 100 if text.isdigit() else None
    last = marks[-1]
    tail = text[last + 1:]
    if len(tail) in (1, 2):  # decimals; any other marks are thousands, of the other kind
        whole, cents = text[:last], (tail + "0")[:2]
        if any(whole[i] == text[last] for i in marks[:-1]):
            return None
    elif len(tail) == 3:
        whole, cents = text, "00"
    else:
        return None
    groups = re.split(r"[.,]", whole)
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return None
    digits = "".join(groups)
    return int(digits) * 100 + int(cents) if digits.isdigit() and cents.isdigit() else None


def _signed(sign: str | None, value: int | None) -> int | None:
    return None if value is None else -value if sign else value


def find_money(text: str) -> list[int]:
    """Sums of money with a currency, in kopecks (negative when written so; any size: the caller
    refuses what is out of its range)."""
    out = []
    for match in MONEY_RE.finditer(text):
        value = _signed(match.group(1), kopecks(match.group(2)))
        if value is not None:
            out.append(value)
    return out


def find_bare_money(text: str, min_digits: int = 2, max_digits: int = 5) -> list[int]:
    """Numbers without a currency read as roubles (an answer to "how much?"), in kopecks: whole
    roubles of `min_digits`-`max_digits` digits (longer ones are more likely a phone number)."""
    out = []
    for match in BARE_RE.finditer(text):
        value = kopecks(match.group(2))
        if value is not None and min_digits <= len(str(value // 100)) <= max_digits:
            out.append(_signed(match.group(1), value) or 0)
    return out


@dataclass(frozen=True, slots=True)
class PackageSize:
    kind: str  # "gb", "min" or "sms"
    amount: float

    def __str__(self) -> str:
        return f"{self.amount:g} {self.kind}"


def find_sizes(text: str) -> list[PackageSize]:
    out = []
    for match in SIZE_RE.finditer(fold(text)):
        unit = match.group(2).lower()
        amount = float(match.group(1).replace(",", "."))
        if unit in ("мб", "mb"):
            kind, amount = "gb", amount / 1024
        elif unit.startswith(("гб", "гиг", "gb", "gig")):
            kind = "gb"
        elif unit.startswith(("мин", "min")):
            kind = "min"
        else:
            kind = "sms"
        out.append(PackageSize(kind, amount))
    return out


# --- periods ---------------------------------------------------------------------------------

MONTHS_RU = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
             "ноябрь", "декабрь"]
MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december"]
MONTH_STEMS_EN = {m[:3]: i + 1 for i, m in enumerate(MONTHS_EN)}
DATE_RE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?!\d)")
LAST_N_RE = re.compile(r"(?:последн[а-я]*|прошл[а-я]*|last|past)\s+(\d{1,3})\s*(дн[а-я]*|день|days?|недел[а-я]*|weeks?|"
                       r"месяц[а-я]*|months?)")
DAY_RANGE_RE = re.compile(r"(?:с|from)?\s*(\d{1,2})\s*(?:-|–|по|to|till|until)\s*(\d{1,2})\s+([a-zа-я]+)")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    def days(self) -> int:
        return (self.end - self.start).days + 1


MONTH_RU_RE = [re.compile(p) for p in (
    r"^январ", r"^феврал", r"^март(?:а|е|у|ом)?$", r"^апрел", r"^ма[йяею]$", r"^июн[ьяею]", r"^июл[ьяею]",
    r"^август", r"^сентябр", r"^октябр", r"^ноябр", r"^декабр")]
MONTH_EN_RE = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)$|^(" + "|".join(MONTHS_EN) + ")$")


def _month_number(word: str, previous: str = "") -> int | None:
    """The month a word names ("октября", "oct", "november"), or None."""
    word = fold(word)
    for number, pattern in enumerate(MONTH_RU_RE, 1):
        if pattern.search(word):
            return number
    match = MONTH_EN_RE.match(word)
    if match:
        if word == "may" and previous not in ("for", "in", "of", "from", "during", "since"):
            return None  # the verb, not the month
        return MONTH_STEMS_EN[word[:3]]
    return None


def _month_period(month: int, today: date, year: int | None = None) -> Period:
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    last = calendar.monthrange(year, month)[1]
    end = min(date(year, month, last), today)
    return Period(date(year, month, 1), end)


def find_period(text: str, today: date) -> Period | None:
    """A reporting period (see `_find_period`); None for one that starts in the future."""
    period = _find_period(text, today)
    if period is None or period.start > today:
        return None
    return Period(period.start, min(period.end, today))


def _find_period(text: str, today: date) -> Period | None:
    """A reporting period: a month, "last month", "this month", "last 7 days", "1-15 ноября",
    "01.10-15.10", "yesterday". Ends never go past today."""
    low = fold(text)
    dates = DATE_RE.findall(low)
    if len(dates) >= 2:
        parsed = []
        for d, m, y in dates[:2]:
            year = int(y) + (2000 if y and len(y) == 2 else 0) if y else today.year
            try:
                parsed.append(date(year, int(m), int(d)))
            except ValueError:
                return None
        start, end = sorted(parsed)
        return Period(start, min(end, today))
    match = DAY_RANGE_RE.search(low)
    if match and (month := _month_number(match.group(3))):
        period = _month_period(month, today)
        try:
            start = period.start.replace(day=int(match.group(1)))
            end = period.start.replace(day=int(match.group(2)))
        except ValueError:
            return None
        if start <= end:
            return Period(start, min(end, today))
    match = LAST_N_RE.search(low)
    if match:
        n = int(match.group(1))
        unit = match.group(2)
        days = n * 7 if unit.startswith(("нед", "week")) else n * 30 if unit.startswith(("мес", "month")) else n
        return Period(today - timedelta(days=days - 1), today)
    if re.search(r"прошл[а-я]* месяц|предыдущ[а-я]* месяц|last month|previous month|past month", low):
        first = today.replace(day=1) - timedelta(days=1)
        return _month_period(first.month, today, first.year)
    if re.search(r"(эт[а-я]*|текущ[а-я]*) месяц|this month|current month|с начала месяца|month to date", low):
        return Period(today.replace(day=1), today)
    if re.search(r"(прошл[а-я]*|последн[а-я]*) недел|last week|past week|за неделю", low):
        return Period(today - timedelta(days=6), today)
    if re.search(r"вчера|yesterday", low):
        return Period(today - timedelta(days=1), today - timedelta(days=1))
    if re.search(r"сегодня|today", low):
        return Period(today, today)
    previous = ""
    for word in re.findall(r"[a-zа-я]+", low):
        month = _month_number(word, previous)
        previous = word
        if month:
            year_match = re.search(r"(20\d{2})", low)
            return _month_period(month, today, int(year_match.group(1)) if year_match else None)
    return None


# --- all together ----------------------------------------------------------------------------


@dataclass
class Entities:
    regions: list[str] = field(default_factory=list)  # region ids
    abroad: bool = False
    phones: list[str] = field(default_factory=list)
    money: list[int] = field(default_factory=list)  # kopecks
    sizes: list[PackageSize] = field(default_factory=list)

    @property
    def region(self) -> str | None:
        return self.regions[0] if self.regions else None


def extract(text: str, spans: Sequence[Span]) -> Entities:
    """The message's entities; regions and countries come from the phrase spans."""
    return Entities(
        regions=[s.value for s in spans if s.kind == "region"],
        abroad=any(s.kind == "country" for s in spans),
        phones=find_phones(text),
        money=find_money(text),
        sizes=find_sizes(text),
    )


def moscow_today(now: datetime) -> date:
    from .clock import MOSCOW

    return now.astimezone(MOSCOW).date()
