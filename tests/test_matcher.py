"""Understanding: ranking, typos, the threshold, how-to vs request, explain, leave-one-out, and
the generalisation check on held-out paraphrases (knowledge/calibration.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from intents.matcher import FUNCTION_WORDS_THRESHOLD, Matcher, Weights, message_mode
from intents.normalize import Normalizer
from knowledge.model import KnowledgeBase

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

PARAPHRASES = Path(__file__).resolve().parent.parent / "knowledge" / "calibration.yaml"
OOS = "__oos__"
OUT_OF_SCOPE = "out-of-scope"


def top(matcher: Matcher, text: str) -> tuple[str | None, bool]:
    match = matcher.match(text)
    return (match.best.entry_id if match.best else None), match.confident


# -- ranking ----------------------------------------------------------------------------------

# Our own wordings, not the knowledge base's examples nor the held-out paraphrases.
CLEAR_QUESTIONS = [
    ("по какому телефону обращаться в техподдержку теле2", "support-611"),
    ("сколько денег сейчас лежит на моём счёте", "do-balance"),
    ("сколько гигабайт интернета у меня еще есть", "do-remaining"),
    ("переведи меня на более дешевый тарифный план", "do-change-tariff"),
    ("где найти офис теле2 поблизости", "service-centers"),
    ("как вернуть деньги, которые я ошибочно положил на номер", "refund"),
    ("мой телефон украли, что мне делать с симкой", "lost-sim"),
    ("когда лучше всего звонить оператору", "peak-hours"),
    ("нужно переоформить симку на отца, что для этого нужно", "change-owner"),
    ("в приложении как посмотреть детализацию звонков", "lk-call-details"),
    ("что за тональный режим на домашнем телефоне", "tone-dialling"),
    ("как мне позвонить в теле2 если у меня билайн", "support-other-phone"),
    ("я за границей, по какому номеру звонить в поддержку", "roaming-support"),
    ("есть ли у теле2 сообщество во вконтакте", "social-networks"),
    ("хочу заменить старую симку на esim", "sim-replacement"),
    ("what is my balance right now", "do-balance"),
    ("how much data do I have remaining", "do-remaining"),
    ("where is the nearest tele2 store", "service-centers"),
    ("what time is best to ring the hotline", "peak-hours"),
    ("how can I reach tele2 support if my phone is on another network", "support-other-phone"),
    ("block my sim right now, my phone was stolen", "do-block-sim"),
    ("how do I change the owner of my number", "change-owner"),
]


@pytest.mark.parametrize(("text", "entry_id"), CLEAR_QUESTIONS)
def test_clear_question_lands_on_its_entry(matcher: Matcher, text: str, entry_id: str) -> None:
    match = matcher.match(text)
    assert match.best is not None
    assert (match.best.entry_id, match.confident) == (entry_id, True), matcher.explain(text)


def test_candidates_are_ranked_and_scored(matcher: Matcher) -> None:
    match = matcher.match("сколько гигабайт интернета у меня еще есть", limit=5)
    assert 1 < len(match.candidates) <= 5
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1.0001 for s in scores)
    assert len({c.entry_id for c in match.candidates}) == len(match.candidates)  # one candidate per entry
    assert {"dice", "cover", "answer", "fuzz"} <= set(match.best.parts)  # type: ignore[union-attr]
    assert match.threshold == matcher.threshold


def test_an_exact_example_scores_top(matcher: Matcher, kb: KnowledgeBase) -> None:
    example = kb.by_id["tone-dialling"].examples.ru[0]
    match = matcher.match(example)
    assert match.best is not None
    assert match.best.entry_id == "tone-dialling"
    assert match.best.example == example
    assert match.best.parts["dice"] == pytest.approx(1.0)


def test_word_forms_do_not_matter(matcher: Matcher) -> None:
    # the same question with other grammatical forms
    assert top(matcher, "детализацию звонков заказать как") == top(matcher, "детализация звонка заказывать как")


# -- typos ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entry_id", "corrected"),
    [
        ("какой у меня балланс", "do-balance", {"балланс": "баланс"}),
        ("сколко осталось гигабайт", "do-remaining", {"сколко": "сколько"}),
        ("хочу сменить тарф", "do-change-tariff", {"тарф": "тариф"}),
        ("где ближайший салн теле2", "service-centers", {"салн": "салон"}),
        ("детализацыя звонков за месяц", "do-call-details", {"детализацыя": "детализация"}),
        ("роуменг поддержка номер", "roaming-support", {"роуменг": "роуминг"}),
        ("how do i chek my balanse", "do-balance", {"chek": "check", "balanse": "balance"}),
        ("whre is the nearest tele2 shop", "service-centers", {"whre": "where"}),
    ],
)
def test_typos_are_corrected(matcher: Matcher, text: str, entry_id: str, corrected: dict[str, str]) -> None:
    match = matcher.match(text)
    assert match.analysis.corrected == corrected
    assert match.best is not None
    assert (match.best.entry_id, match.confident) == (entry_id, True), matcher.explain(text)


def test_real_words_are_not_corrected(matcher: Matcher) -> None:
    assert matcher.analyse("какой у меня баланс").corrected == {}
    assert matcher.analyse("how do i check my balance").corrected == {}


def test_short_unknown_words_are_not_corrected(matcher: Matcher) -> None:
    # words under four letters are too short to guess
    assert matcher.analyse("тфр").corrected == {}


# -- the threshold ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "какая погода в Казани на выходных",
        "погода",
        "рецепт пиццы",
        "как испечь пирог с яблоками",
        "кто выиграл чемпионат мира по футболу",
        "who won the football match yesterday",
        "how to bake a chocolate cake",
        "recommend me a good pizza place",
    ],
)
def test_off_topic_is_not_answered(matcher: Matcher, text: str) -> None:
    match = matcher.match(text)
    assert not match.confident or match.best.entry_id == OUT_OF_SCOPE, matcher.explain(text)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["фывапролдж", "asdkjhqwe zxcmnb", "qwerty uiop", "ыыы ааа", "!!!", "   "])
def test_gibberish_gives_no_confident_match(matcher: Matcher, text: str) -> None:
    match = matcher.match(text)
    assert match.confident is False
    assert match.candidates == [] or match.best.entry_id == OUT_OF_SCOPE or match.best.score < match.threshold  # type: ignore[union-attr]


def test_gibberish_words_are_unknown(matcher: Matcher) -> None:
    analysis = matcher.analyse("фывапролдж")
    assert analysis.unknown == ["фывапролдж"]
    assert analysis.corrected == {}


def test_function_words_only_need_a_higher_score(matcher: Matcher) -> None:
    match = matcher.match("а ты кто")
    assert match.threshold == FUNCTION_WORDS_THRESHOLD
    assert match.threshold > matcher.threshold
    assert matcher.match("какой у меня тариф").threshold == matcher.threshold


def test_threshold_is_respected(kb: KnowledgeBase, normalizer: Normalizer, matcher: Matcher) -> None:
    text = "сколько денег сейчас лежит на моём счёте"
    score = matcher.match(text).best.score  # type: ignore[union-attr]
    strict = Matcher(kb, normalizer, threshold=min(0.99, score + 0.01))
    lenient = Matcher(kb, normalizer, threshold=max(0.0, score - 0.01))
    assert strict.match(text).confident is False
    assert lenient.match(text).confident is True


# -- how-to vs request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("как подключить автоплатёж", "lk-autopay"),
        ("как подключить автоплатеж", "lk-autopay"),
        ("подключи мне автоплатёж", "do-autopay"),
        ("включи мне автоплатеж", "do-autopay"),
        ("как взять обещанный платёж", "lk-promised-payment"),
        ("дай мне обещанный платёж", "do-promised-payment"),
    ],
)
def test_howto_vs_request(matcher: Matcher, kb: KnowledgeBase, text: str, entry_id: str) -> None:
    match = matcher.match(text)
    assert match.confident
    assert match.best is not None
    assert match.best.entry_id == entry_id, matcher.explain(text)


def test_howto_lands_on_account_group_request_on_action(matcher: Matcher, kb: KnowledgeBase) -> None:
    howto = kb.by_id[matcher.match("как подключить автоплатёж").best.entry_id]  # type: ignore[union-attr]
    request = kb.by_id[matcher.match("подключи мне автоплатёж").best.entry_id]  # type: ignore[union-attr]
    assert howto.group == "account"
    assert howto.action is None
    assert request.action == "autopay"


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("как подключить автоплатёж", "howto"),
        ("где посмотреть тариф", "howto"),
        ("можно ли сменить владельца", "howto"),
        ("how do I set up autopay", "howto"),
        ("подключи мне автоплатёж", "request"),
        ("хочу сменить тариф", "request"),
        ("мой баланс", "request"),
        ("please turn on autopay", "request"),
        ("подскажите как подключить автоплатёж", "howto"),  # "подскажите" asks, it is not a request
        ("автоплатёж", "neutral"),
    ],
)
def test_message_mode(normalizer: Normalizer, text: str, mode: str) -> None:
    assert message_mode(normalizer.tokens(text)) == mode


# -- explain ----------------------------------------------------------------------------------


def test_explain_mentions_terms_candidates_and_threshold(matcher: Matcher) -> None:
    text = "какой у меня балланс"
    explanation = matcher.explain(text)
    lines = explanation.splitlines()
    assert lines[0] == "language: ru"
    assert lines[1].startswith("terms: ")
    assert "~balance" in lines[1] or "баланс" in lines[1]
    assert "corrected: балланс→баланс" in explanation
    assert "do-balance" in explanation
    assert lines[-1] == f"threshold {matcher.threshold}: answer"


def test_explain_a_miss(matcher: Matcher) -> None:
    explanation = matcher.explain("как испечь пирог")
    assert "unknown: испечь, пирог" in explanation
    assert explanation.splitlines()[-1] == f"threshold {matcher.threshold}: miss"


# -- leave one out ----------------------------------------------------------------------------


def _example_number(matcher: Matcher, text: str) -> int:
    numbers = [i for i, e in enumerate(matcher.examples) if e.text == text]
    assert len(numbers) == 1, numbers
    return numbers[0]


@pytest.mark.parametrize("text", ["сколько бабок на телефоне", "how to bypass the ivr at tele2", "что такое тональный набор"])
def test_exclude_leaves_the_example_out(matcher: Matcher, text: str) -> None:
    number = _example_number(matcher, text)
    with_it = matcher.match(text, limit=10)
    without = matcher.match(text, exclude=number, limit=10)
    assert with_it.best is not None
    assert with_it.best.example == text
    assert all(c.example != text for c in without.candidates)
    own = matcher.entry_ids[matcher.examples[number].entry]
    own_without = next((c.score for c in without.candidates if c.entry_id == own), 0.0)
    assert own_without < with_it.best.score


def test_exclude_keeps_the_entry_reachable_through_its_other_examples(matcher: Matcher) -> None:
    text = "сколько бабок на телефоне"
    without = matcher.match(text, exclude=_example_number(matcher, text))
    assert without.best is not None
    assert without.best.entry_id == "do-balance"  # "сколько у меня денег на телефоне" still carries it


# -- the message's main concept ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("what does the promised payment page show", "lk-promised-payment"),
    ("what can i see on the autopayment page", "lk-autopay"),
])
def test_an_entry_that_never_names_the_main_concept_loses_to_one_that_does(
        text: str, expected: str, kb: KnowledgeBase, normalizer: Normalizer, matcher: Matcher) -> None:
    """"What does the X page show" has close wordings in several how-to entries; the one about X
    wins because the others never mention X (without the key-concept penalty they win)."""
    assert matcher.match(text).best.entry_id == expected  # type: ignore[union-attr]
    plain = Matcher(kb, normalizer, matcher.threshold, weights=Weights(key_miss=0.0))
    assert plain.match(text).best.entry_id != expected  # type: ignore[union-attr]


# -- a bug seen through the matcher -----------------------------------------------------------


def test_hyphenated_sim_card_is_understood_like_the_spaced_one(matcher: Matcher) -> None:
    hyphen = matcher.match("где заменить sim-карту")
    spaced = matcher.match("где заменить sim карту")
    assert hyphen.analysis.unknown == []
    assert hyphen.best.score == pytest.approx(spaced.best.score, abs=0.05)  # type: ignore[union-attr]


# -- generalisation on held-out paraphrases ---------------------------------------------------


@pytest.fixture(scope="module")
def paraphrases() -> dict[str, list[str]]:
    with PARAPHRASES.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


def test_paraphrases_name_real_entries(paraphrases: dict[str, list[str]], kb: KnowledgeBase) -> None:
    unknown = set(paraphrases) - set(kb.by_id) - {OOS}
    assert not unknown
    assert len(paraphrases[OOS]) >= 20


def test_generalisation_on_held_out_paraphrases(paraphrases: dict[str, list[str]], matcher: Matcher) -> None:
    hits, total, failures = 0, 0, []
    rejected, off_topic, accepted = 0, 0, []
    for expected, messages in paraphrases.items():
        for text in messages:
            match = matcher.match(text)
            best = match.best
            if expected == OOS:
                off_topic += 1
                if not match.confident or best.entry_id == OUT_OF_SCOPE:  # type: ignore[union-attr]
                    rejected += 1
                else:
                    accepted.append(f"  {text!r} → {best.entry_id} {best.score:.2f}")  # type: ignore[union-attr]
                continue
            total += 1
            if best is not None and best.entry_id == expected and match.confident:
                hits += 1
            else:
                got = f"{best.entry_id} {best.score:.2f}" if best else "nothing"
                failures.append(f"  [{expected}] {text!r} → {got}")
    accuracy, rejection = hits / total, rejected / off_topic
    report = (f"in-scope top-1 {accuracy:.3f} ({hits}/{total}); off-topic rejection {rejection:.3f} "
              f"({rejected}/{off_topic})\nmisses:\n" + "\n".join(failures) + "\noff-topic answered:\n" + "\n".join(accepted))
    assert accuracy >= 0.90, report
    assert rejection >= 0.80, report


@pytest.mark.parametrize("text", ["убирайте эту подписку", "как отключать платные услуги", "не выключайте мне интернет"])
def test_the_imperfective_verbs_mean_disconnecting_too(matcher: Matcher, text: str) -> None:
    """"убирайте", "отключать": the same concept as "убрать", "отключить" (the dictionary gives them lemmas of their own)."""
    assert "~disconnect" in matcher.analyse(text, "ru").terms


@pytest.mark.parametrize("text, lang", [("а можно с номерами и временем звонков?", "ru"), ("кому и когда звонил", "ru"),
                                        ("and with numbers and times of the calls?", "en")])
def test_calls_with_their_numbers_and_times_are_the_call_details(matcher: Matcher, text: str, lang: str) -> None:
    assert "~details" in matcher.analyse(text, lang).terms
