"""The vectorised re-ranking (`Matcher._best_examples`: numpy bincount over the postings, best
example per entry range) against the pure-Python loop it replaced, kept here as the reference.

The loop is the specification: the shared weights are summed in the message's term order, so
the Dice values are the same floats, and among equally good examples the loop kept the first
one it met. The vectorised version reproduces both, so the comparison is exact: same entries,
scores, parts and chosen examples, with and without leave-one-out (`exclude`, `kb check`)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from intents.matcher import Analysis, Matcher
from intents.normalize import Normalizer
from knowledge.model import Entry, KnowledgeBase

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

PARAPHRASES = Path(__file__).resolve().parent.parent / "knowledge" / "calibration.yaml"


def loop_best_examples(matcher: Matcher, q: dict[str, float], q_weight: float, entries: list[int],
                       exclude: int | None) -> list[tuple[float, int]]:
    """The re-ranking loop of `Matcher.match` before numpy: (best dice, example number) per entry,
    (0.0, -1) when no example of the entry shares weight with the message."""
    by_entry = matcher.entry_examples
    q_items = [(by_entry[t], weight) for t, weight in q.items() if t in by_entry]
    examples = matcher.examples
    result = []
    for entry_index in entries:
        shared: dict[int, float] = defaultdict(float)
        for postings, weight in q_items:
            for number in postings.get(entry_index, ()):
                shared[number] += weight
        shared.pop(exclude, None)  # type: ignore[arg-type]
        best_dice, best_number = 0.0, -1
        for number, weight in shared.items():
            dice = 2 * weight / (q_weight + examples[number].weight)
            if dice > best_dice:
                best_dice, best_number = dice, number
        result.append((best_dice, best_number))
    return result


class LoopMatcher(Matcher):
    """The same index, re-ranked by the reference loop."""

    def _best_examples(self, q: dict[str, float], q_weight: float, indexed: list[str], entries: list[int],
                       exclude: int | None) -> list[tuple[float, int]]:
        return loop_best_examples(self, q, q_weight, entries, exclude)


def loop_twin(matcher: Matcher) -> LoopMatcher:
    twin = object.__new__(LoopMatcher)
    twin.__dict__.update(matcher.__dict__)  # share the built index: the same example weights, bit for bit
    return twin


def vector_best_examples(matcher: Matcher, analysis: Analysis, entries: list[int],
                         exclude: int | None) -> list[tuple[float, int]]:
    indexed = [t for t in analysis.terms if t in matcher.example_numbers]
    if not indexed:
        return [(0.0, -1)] * len(entries)
    return matcher._best_examples(analysis.terms, analysis.weight, indexed, entries, exclude)


def comparable(best: list[tuple[float, int]]) -> list[tuple[float, int]]:
    return [(dice, number) if dice > 0 else (0.0, -1) for dice, number in best]  # no shared weight: skipped either way


def candidates(match) -> list[tuple]:
    return [(c.entry_id, c.score, c.example, c.parts) for c in match.candidates]


@pytest.fixture(scope="module")
def texts(matcher: Matcher) -> list[str]:
    data = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    return [text for group in data.values() for text in group]


def test_examples_are_grouped_by_entry(matcher: Matcher) -> None:
    for entry, k in matcher.entry_range.items():
        start, size = int(matcher.range_starts[k]), int(matcher.range_sizes[k])
        assert size > 0
        assert {e.entry for e in matcher.examples[start : start + size]} == {entry}
    assert int(matcher.range_sizes.sum()) == len(matcher.examples)
    weights = [e.weight for e in matcher.examples]
    assert matcher.example_weights.tolist() == weights


def test_best_example_of_every_entry_equals_the_loop(matcher: Matcher, texts: list[str]) -> None:
    """Every entry, not only the shortlisted ones: the ranges at both ends of the arrays included."""
    entries = sorted(matcher.entry_range)
    cases = [(text, None) for text in texts] + [(e.text, number) for number, e in enumerate(matcher.examples)]
    for text, exclude in cases:
        analysis = matcher.analyse(text)
        expected = comparable(loop_best_examples(matcher, analysis.terms, analysis.weight, entries, exclude))
        got = comparable(vector_best_examples(matcher, analysis, entries, exclude))
        assert got == expected, (text, exclude)
        if exclude is not None:
            assert all(number != exclude for _, number in got)


def test_match_equals_the_loop_on_paraphrases_and_examples(matcher: Matcher, texts: list[str]) -> None:
    """The whole ranking (entries, scores, parts, examples) for the held-out paraphrases, and for
    every example of the knowledge base left out of the index (`kb check`)."""
    twin = loop_twin(matcher)
    for text in texts:
        assert candidates(matcher.match(text, limit=10)) == candidates(twin.match(text, limit=10)), text
    for number, example in enumerate(matcher.examples):
        got = matcher.match(example.text, exclude=number, limit=10)
        expected = twin.match(example.text, exclude=number, limit=10)
        assert candidates(got) == candidates(expected), (example.text, number)


def _entry(entry_id: str, ru: list[str], en: list[str]) -> Entry:
    return Entry.model_validate({"id": entry_id, "group": "test", "title": {"ru": entry_id, "en": entry_id},
                                 "examples": {"ru": ru, "en": en}, "answer": {"ru": "ответ", "en": "answer"}})


def test_tied_examples_keep_the_one_the_loop_met_first(normalizer: Normalizer) -> None:
    """Two examples with the same Dice: the loop kept the one met first in the message's term order,
    which here is not the lower-numbered one (a plain argmax would choose the other)."""
    kb = KnowledgeBase([
        _entry("zoo", ["зебра жираф", "пингвин кенгуру"], ["zoo animals"]),
        _entry("farm", ["корова лошадь"], ["farm animals"]),
    ])
    matcher = Matcher(kb, normalizer)
    analysis = matcher.analyse("пингвин зебра")
    assert list(analysis.terms)[:2] == ["пингвин", "зебра"]
    zoo = matcher.entry_index["zoo"]
    [(dice, number)] = vector_best_examples(matcher, analysis, [zoo], None)
    assert [(dice, number)] == loop_best_examples(matcher, analysis.terms, analysis.weight, [zoo], None)
    assert matcher.examples[number].text == "пингвин кенгуру"  # met first (through "пингвин"), though numbered second
    assert matcher.match("пингвин зебра").best.example == "пингвин кенгуру"
    # left out, the other one is chosen; an entry none of whose examples shares a word is skipped
    [(_, number)] = vector_best_examples(matcher, analysis, [zoo], exclude=number)
    assert matcher.examples[number].text == "зебра жираф"
    assert vector_best_examples(matcher, matcher.analyse("корова"), [zoo], None) == [(0.0, -1)]
    assert [c.entry_id for c in matcher.match("корова").candidates] == ["farm"]
