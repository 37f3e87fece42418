"""Understanding a subscriber's pick among options: a button, "2", "второй", "5 гб", a name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from intents.entities import find_money, find_sizes
from intents.normalize import Normalizer, fold

ORDINALS = {
    "первый": 1, "первая": 1, "первое": 1, "первую": 1, "1й": 1, "first": 1, "one": 1, "1st": 1,
    "второй": 2, "вторая": 2, "второе": 2, "вторую": 2, "2й": 2, "second": 2, "two": 2, "2nd": 2,
    "третий": 3, "третья": 3, "третье": 3, "третью": 3, "3й": 3, "third": 3, "three": 3, "3rd": 3,
    "четвертый": 4, "четвертая": 4, "четвертое": 4, "четвертую": 4, "fourth": 4, "four": 4, "4th": 4,
    "пятый": 5, "пятая": 5, "пятое": 5, "пятую": 5, "fifth": 5, "five": 5, "5th": 5,
    "шестой": 6, "шестая": 6, "sixth": 6, "седьмой": 7, "седьмая": 7, "seventh": 7,
}
LAST = {"последний", "последняя", "последнее", "последнюю", "last"}


@dataclass
class Option:
    value: str
    title: str
    keys: list[str] = field(default_factory=list)  # other names: aliases, "5 гб"
    amount: int | None = None  # kopecks, for money options
    size: tuple[str, float] | None = None  # ("gb", 5.0) for package options

    def to_json(self) -> dict:
        return {"value": self.value, "title": self.title, "keys": self.keys, "amount": self.amount,
                "size": list(self.size) if self.size else None}

    @classmethod
    def from_json(cls, data: dict) -> Option:
        size = data.get("size")
        return cls(data["value"], data["title"], data.get("keys", []), data.get("amount"),
                   (size[0], float(size[1])) if size else None)


def pick(text: str, options: list[Option], normalizer: Normalizer | None = None) -> Option | None:
    """The option a free-text answer means, or None."""
    if not options or not text.strip():
        return None
    low = fold(text).strip()
    words = re.findall(r"[0-9a-zа-я]+", low.replace("-й", "й").replace("-я", "я"))
    # a number alone: the option's position
    if re.fullmatch(r"\d{1,2}[.)]?", low) and 1 <= int(low.rstrip(".)")) <= len(options):
        return options[int(low.rstrip(".)")) - 1]
    for word in words:
        if word in ORDINALS and ORDINALS[word] <= len(options) and len(words) <= 4:
            return options[ORDINALS[word] - 1]
        if word in LAST and len(words) <= 4:
            return options[-1]
    # sizes and sums
    sizes = find_sizes(text)
    if sizes:
        for option in options:
            if option.size and any(s.kind == option.size[0] and abs(s.amount - option.size[1]) < 1e-6 for s in sizes):
                return option
    sums = find_money(text) or [int(n) * 100 for n in re.findall(r"(?<![\d.,])(\d{2,5})(?![\d.,])", low)]
    for amount in sums:
        for option in options:
            if option.amount is not None and option.amount == amount:
                return option
    # names: exact containment, then fuzzy
    best, best_score = None, 0.0
    for option in options:
        for name in [option.title, *option.keys]:
            name_low = fold(name)
            if name_low and (name_low in low or (len(low) >= 4 and low in name_low)):
                score = 100.0 + len(name_low)
            else:
                score = fuzz.partial_ratio(low, name_low) if len(low) >= 4 else 0.0
            if score > best_score:
                best, best_score = option, score
    if best_score >= 85:
        return best
    if normalizer is not None:
        lemmas = set(normalizer.lemmas(text))
        for option in options:
            for name in [option.title, *option.keys]:
                name_lemmas = [w for w in normalizer.lemmas(name) if len(w) > 2]
                if name_lemmas and all(w in lemmas for w in name_lemmas):
                    return option
    return None


def find_named(text: str, options: list[Option], normalizer: Normalizer) -> Option | None:
    """An option named inside a longer message ("подключи определитель номера"): its title or an
    alias appears (in any word form), or is nearly there (rapidfuzz ≥ 90)."""
    lemmas = normalizer.lemmas(text)
    joined = " " + " ".join(lemmas) + " "
    low = fold(text)
    best, best_len = None, 0
    for option in options:  # a name written exactly ("мой онлайн+") wins over a shorter one it contains
        for name in [option.title, *option.keys]:
            name_low = fold(name).strip()
            if len(name_low) >= 4 and name_low in low and len(name_low) + 1000 > best_len:
                best, best_len = option, len(name_low) + 1000
    if best is not None:
        return best
    for option in options:
        for name in [option.title, *option.keys]:
            name_lemmas = normalizer.lemmas(name)
            if not name_lemmas:
                continue
            phrase = " " + " ".join(name_lemmas) + " "
            hit = phrase in joined
            if not hit and len(name) >= 6:
                hit = fuzz.partial_ratio(fold(name), low) >= 90
            if hit and len(phrase) > best_len:
                best, best_len = option, len(phrase)
    return best
