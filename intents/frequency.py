"""How common a word is in general Russian or English: wordfreq's "small" lists, read straight.

`wordfreq.zipf_frequency` tokenises its argument first (a text may hold several words), which
needs `regex`, `ftfy`, `langcodes` and `wcwidth`: ~0.2 s of CPU to import, paid by every process
that understands a message (each test worker, server and command). The words we ask about are
single words; for a word of lower-case letters of one alphabet the tokeniser gives the word
back unchanged, so its Zipf value is a plain look-up in the same data file, rounded the way
wordfreq rounds it. Anything else (digits, hyphens, other letters) is asked of wordfreq itself,
imported then. `tests/test_normalize.py` holds the two equal on every word of both lists.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import re
from functools import cache
from pathlib import Path

import msgpack

# the words wordfreq's tokeniser gives back whole and unchanged, in either list: lower-case letters of
# one alphabet, single digits among them ("tele2", "4g"; a run of digits is smashed to zeros and priced
# apart), Latin words with inner apostrophes ("i'm", "don't")
PLAIN = re.compile(r"(?!.*\d\d)(?:[a-z0-9]*[a-z][a-z0-9]*|[а-яё0-9]*[а-яё][а-яё0-9]*)|[a-z]+(?:'[a-z]+)+")


def _data_dir() -> Path:
    spec = importlib.util.find_spec("wordfreq")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("wordfreq is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _rounded_zipf(cb_index: int) -> float:
    """wordfreq's `zipf_frequency` of a word in the list's bucket `cb_index` (-cb_index centibels):
    the frequency rounded to 3 significant digits, then to the Zipf scale rounded to 0.01."""
    freq = 10 ** (-cb_index / 100)
    leading_zeroes = math.floor(-math.log(freq, 10))
    freq = round(freq, leading_zeroes + 3)
    return round(math.log(freq, 10) + 9, 2)


@cache
def _table(lang: str) -> dict[str, float]:
    """The small list of `lang` as word → Zipf value (read once per process, like wordfreq's own cache)."""
    with gzip.open(_data_dir() / f"small_{lang}.msgpack.gz", "rb") as f:
        data = msgpack.load(f, raw=False)
    header = data[0]
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        raise ValueError(f"unexpected wordfreq list header: {header!r}")
    table: dict[str, float] = {}
    for index, bucket in enumerate(data[1:]):
        if bucket:
            value = _rounded_zipf(index)
            for word in bucket:
                table[word] = value
    return table


def zipf(word: str, lang: str) -> float:
    """`wordfreq.zipf_frequency(word, lang, wordlist="small")`, without importing wordfreq for plain words."""
    if PLAIN.fullmatch(word):
        return _table(lang).get(word, 0.0)
    import wordfreq  # the tokeniser's case: rare (a digit, a hyphen, a letter of another alphabet)

    return wordfreq.zipf_frequency(word, lang, wordlist="small")
