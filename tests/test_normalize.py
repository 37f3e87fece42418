"""Text normalisation: folding, look-alike letters, splitting, lemmas, flags, language."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from intents.normalize import Normalizer, detect_language, fix_lookalikes, fold, words

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)


def surfaces(normalizer: Normalizer, text: str) -> list[str]:
    return [t.surface for t in normalizer.tokens(text)]


def lemmas(normalizer: Normalizer, text: str) -> list[str]:
    return normalizer.lemmas(text)


# -- case and ё -----------------------------------------------------------------------------


def test_fold_lowercases_and_folds_yo() -> None:
    assert fold("ЁЛКА Ёжик ПОДДЕРЖКА") == "елка ежик поддержка"
    assert fold("Tele2 HELP") == "tele2 help"


def test_tokens_are_folded(normalizer: Normalizer) -> None:
    assert surfaces(normalizer, "ПОДДЕРЖКА Тарифа") == ["поддержка", "тарифа"]
    assert surfaces(normalizer, "Ещё Всё") == ["еще", "все"]
    # the lemma never carries ё either
    assert all("ё" not in lemma for lemma in lemmas(normalizer, "Ёлка, всё, ещё, расчёт"))


# -- Latin/Cyrillic look-alikes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("поддержкy", "поддержку"),  # Latin y inside a Russian word
        ("тeлe2", "теле2"),  # Latin e twice
        ("рoуминг", "роуминг"),  # Latin o
        ("cим", "сим"),  # Latin c, the rest Cyrillic → Cyrillic
        ("сim", "cim"),  # Cyrillic с, the rest Latin → the majority (Latin) wins
        ("balanсe", "balance"),  # a Cyrillic с inside an English word
    ],
)
def test_lookalikes_in_mixed_words(raw: str, fixed: str) -> None:
    assert fix_lookalikes(raw) == fixed


@pytest.mark.parametrize("word", ["cim", "sim", "hello", "balance", "поддержку", "роуминг", "611"])
def test_single_script_words_untouched(word: str) -> None:
    assert fix_lookalikes(word) == word


def test_lookalikes_fixed_in_tokens(normalizer: Normalizer) -> None:
    assert surfaces(normalizer, "номер поддержкy тeлe2") == ["номер", "поддержку", "теле2"]
    token = normalizer.tokens("поддержкy")[0]
    assert token.lang == "ru"
    assert token.lemma == "поддержка"


def test_pure_latin_words_stay_latin(normalizer: Normalizer) -> None:
    tokens = normalizer.tokens("my tele2 app")
    assert [t.surface for t in tokens] == ["my", "tele2", "app"]
    assert all(t.lang == "en" for t in tokens)


def test_latin_word_next_to_russian_one_stays_latin(normalizer: Normalizer) -> None:
    assert surfaces(normalizer, "sim карта") == ["sim", "карта"]


def test_hyphenated_latin_part_stays_latin() -> None:
    assert words("sim-карта") == ["sim", "карта"]


# -- punctuation and splitting ----------------------------------------------------------------


def test_punctuation_is_dropped() -> None:
    assert words("Привет, мир!!! Как дела?! (баланс) «тариф»…") == ["привет", "мир", "как", "дела", "баланс", "тариф"]


def test_inner_hyphen_and_apostrophe_words() -> None:
    assert words("онлайн-чат") == ["онлайн", "чат"]
    assert words("кто-то") == ["кто", "то"]
    assert words("don’t") == ["don't"]  # typographic apostrophe → plain
    assert words("8-800") == ["8-800"]  # digits with a hyphen stay one token


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5гб", ["5", "гб"]),
        ("10GB", ["10", "gb"]),
        ("100мин", ["100", "мин"]),
        ("подключи 3гб интернета", ["подключи", "3", "гб", "интернета"]),
    ],
)
def test_number_glued_to_unit_is_split(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_number_tokens(normalizer: Normalizer) -> None:
    token = normalizer.tokens("611")[0]
    assert (token.surface, token.lemma, token.lang, token.stop) == ("611", "611", "num", False)


# -- lemmas -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forms", "lemma"),
    [
        ("номера номеру номером номеров номерами", "номер"),
        ("звонить звоню звонила звонят", "звонить"),
        ("симки симкой симку", "симка"),
        ("тарифы тарифа тарифом", "тариф"),
        ("интернета интернету", "интернет"),
        ("балансом баланса", "баланс"),
    ],
)
def test_russian_forms_share_a_lemma(normalizer: Normalizer, forms: str, lemma: str) -> None:
    assert set(lemmas(normalizer, forms)) == {lemma}


def test_perfective_verb_keeps_its_own_lemma(normalizer: Normalizer) -> None:
    assert lemmas(normalizer, "позвонил позвоните") == ["позвонить", "позвонить"]


@pytest.mark.parametrize(
    ("forms", "stem"),
    [
        ("calling called calls", "call"),
        ("payments payment", "payment"),
        ("connecting connected connect", "connect"),
        ("balance balances", "balanc"),
    ],
)
def test_english_words_are_stemmed(normalizer: Normalizer, forms: str, stem: str) -> None:
    tokens = normalizer.tokens(forms)
    assert {t.lemma for t in tokens} == {stem}
    assert all(t.lang == "en" for t in tokens)


def test_dictionary_knowledge(normalizer: Normalizer) -> None:
    assert normalizer.tokens("тариф")[0].known is True
    assert normalizer.tokens("фывапролдж")[0].known is False
    assert normalizer.is_known("номер") is True
    assert normalizer.is_known("number") is False  # only Russian words are looked up


# -- flags ------------------------------------------------------------------------------------


def test_stop_words_flagged(normalizer: Normalizer) -> None:
    flags = {t.surface: t.stop for t in normalizer.tokens("как мне узнать баланс пожалуйста")}
    assert flags == {"как": True, "мне": True, "узнать": False, "баланс": False, "пожалуйста": True}
    en = {t.surface: t.stop for t in normalizer.tokens("what is the balance")}
    assert en == {"what": True, "is": True, "the": True, "balance": False}


def test_negations_are_not_stop_words(normalizer: Normalizer) -> None:
    # "не могу дозвониться" must keep its negation
    assert {t.surface: t.stop for t in normalizer.tokens("не нет not no")} == {
        "не": False, "нет": False, "not": False, "no": False}


@pytest.mark.parametrize(
    ("word", "imperative"),
    [
        ("подключи", True),
        ("подключите", True),
        ("отключи", True),
        ("покажи", True),
        ("проверь", True),
        ("подключить", False),
        ("проверить", False),
        ("баланс", False),
        ("connect", False),  # English words are never flagged
    ],
)
def test_imperative_flag(normalizer: Normalizer, word: str, imperative: bool) -> None:
    assert normalizer.tokens(word)[0].imperative is imperative


def test_part_of_speech(normalizer: Normalizer) -> None:
    assert normalizer.tokens("тариф")[0].pos == "NOUN"
    assert normalizer.tokens("звонить")[0].pos == "INFN"
    assert normalizer.tokens("tariff")[0].pos is None


# -- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "lang"),
    [
        ("какой у меня баланс", None, "ru"),
        ("какой у меня баланс", "en", "ru"),  # the letters beat the hint
        ("what is my balance", None, "en"),
        ("what is my balance", "ru", "en"),
        ("мой tele2 баланс", None, "ru"),  # more Cyrillic letters
        ("my баланс please", None, "en"),  # more Latin letters
        ("0", "en", "en"),  # digits only: the hint decides
        ("611", "ru", "ru"),
        ("0", None, "ru"),  # no hint: Russian
        ("+7 999 000-00-01", "xx", "ru"),  # an unknown hint is ignored
        ("ab вы", "en", "en"),  # a tie: the hint decides
        ("ab вы", "ru", "ru"),
        ("ab вы", None, "ru"),
    ],
)
def test_detect_language(text: str, hint: str | None, lang: str) -> None:
    assert detect_language(text, hint) == lang


@pytest.mark.skipif(sys.platform != "linux", reason="the C DAWG library is a dependency on Linux only")
def test_morphology_reads_its_dictionaries_through_the_c_dawg_library() -> None:
    import pymorphy3.dawg

    assert pymorphy3.dawg.DAWG.__module__ == "dawg"  # not dawg_python, three times slower to build the index


# -- the stored table of analysed words -------------------------------------------------------


def test_the_shipped_token_table_is_current_and_covers_the_shipped_knowledge() -> None:
    """`supportbot kb train` stores the shipped base's words analysed; a change to the analysis (this
    module, the stop lists, pymorphy3) without `kb train` leaves it stale: this fails, and a start
    would silently fall back to analysing them (the spot check)."""
    from backends.sandbox import SERVICES
    from intents.matcher import Matcher
    from intents.normalize import load_token_table
    from knowledge import loader
    from supportbot.config import Config
    from supportbot.runtime import SHIPPED_TOKENS, with_catalogue

    table = load_token_table(SHIPPED_TOKENS)
    assert table is not None, f"{SHIPPED_TOKENS} is missing or unreadable: run `supportbot kb train`"
    fresh = Normalizer(record=True)
    assert table.stamp == fresh.stamp()
    stale = [word for word, token in table.tokens.items() if fresh._work_out(word) != token]
    assert not stale, f"{len(stale)} words analysed differently now, e.g. {stale[:5]}: run `supportbot kb train`"
    names = [name for s in SERVICES for name in (s.name_ru, s.name_en, *s.aliases)]
    Matcher(with_catalogue(loader.load(), names), fresh, Config().understanding.threshold)
    words = set(fresh.token_table().tokens)
    missing = words - set(table.tokens)  # a few new words only cost their analysis at a start
    assert len(missing) <= 0.02 * len(words), f"{len(missing)} words of the shipped knowledge are not in the table, " \
        f"e.g. {sorted(missing)[:5]}: run `supportbot kb train`"


def test_a_table_is_taken_only_while_it_checks_out() -> None:
    from intents.normalize import Token, TokenTable

    recorder = Normalizer(record=True)
    recorder.tokens("подключи роуминг, please check my balance")
    table = TokenTable.from_bytes(recorder.token_table().to_bytes())
    assert table == recorder.token_table()
    taken = Normalizer(table)
    assert taken.preloaded == len(table.tokens) > 5
    assert taken.tokens("подключи роуминг") == recorder.tokens("подключи роуминг")
    # analysed by something else (another dictionary): not taken, the words are analysed here
    assert Normalizer(TokenTable("pymorphy3 0.1", table.tokens)).preloaded == 0
    # a word that no longer comes out the same: not taken
    wrong = dict(table.tokens)
    wrong["роуминг"] = Token("роуминг", "роумингу", "ru", False)
    one = Normalizer(TokenTable(table.stamp, {"роуминг": wrong["роуминг"]}))
    assert one.preloaded == 0
    assert one.token("роуминг").lemma == "роуминг"


def test_a_start_takes_the_shipped_table() -> None:
    from supportbot.runtime import shipped_normalizer

    assert shipped_normalizer().preloaded > 4000


def test_a_contracted_is_after_a_question_word_is_written_out() -> None:
    from intents.normalize import words

    assert words("Where's my SIM, whats up") == ["where", "is", "my", "sim", "what", "is", "up"]
    assert words("whose number, somewhat's") == ["whose", "number", "somewhat's"]  # not a question word's


# -- word frequencies -------------------------------------------------------------------------


def test_word_frequencies_are_wordfreqs_own() -> None:
    """`intents.frequency.zipf` reads wordfreq's small lists itself for a plain word: equal to
    `wordfreq.zipf_frequency` on words of every frequency of both lists, on words one letter off, with digits or
    apostrophes, and on what only wordfreq's tokeniser can take apart."""
    import random

    import wordfreq

    from intents import frequency

    rnd = random.Random(7)
    checked = 0
    both = [*wordfreq.iter_wordlist("ru", "small"), *wordfreq.iter_wordlist("en", "small")]
    for lang in ("ru", "en"):  # each list has words of the other alphabet ("ok", "россия")
        listed = both[::5] if lang == "ru" else both[2::9]  # every bucket of both lists
        odd = ["tele2", "теле2", "4g", "mp3", "i'm", "don't", "x2'll", "2020", "кто-то", "ёлка", "café", "кf3", "'s"]
        variants = [w + "x" for w in listed[:1000]] + [w[:-1] for w in listed[:1000]]
        variants += [w[:k] + str(rnd.randint(0, 9)) + w[k:] for w in rnd.sample(listed, 1000)
                     for k in [rnd.randint(0, len(w))]]
        for word in listed + variants + odd:
            assert frequency.zipf(word, lang) == wordfreq.zipf_frequency(word, lang, wordlist="small"), (lang, word)
            checked += 1
    assert checked > 30_000


def test_understanding_a_message_imports_neither_wordfreq_nor_the_pure_python_stemmers() -> None:
    """Each process that understands messages (test workers, servers, commands) would pay ~0.3 s of CPU
    importing wordfreq's tokeniser and snowballstemmer's 36 pure-Python stemmers: neither is needed
    for plain words, with PyStemmer installed."""
    import subprocess

    code = ("import sys; from intents.normalize import Normalizer; from intents.repair import Repairer\n"
            "n = Normalizer(); r = Repairer(n.is_known)\n"
            "n.tokens('не работает интернет, check my balance, tele2, i\\'m'); r.ru_score('ghbdtn'); r.en_score('balanse')\n"
            "print(sorted(m for m in ('wordfreq', 'snowballstemmer.english_stemmer', 'Stemmer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.split() == ["['Stemmer']"]
