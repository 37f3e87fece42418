"""intents.kbcheck.draft_conflicts in-process: the clash check the editor runs before a save (the shipped
knowledge base and its Matcher come from the session fixtures of tests/conftest.py)."""

from __future__ import annotations

import pytest

from intents.kbcheck import draft_conflicts
from intents.matcher import Matcher
from intents.normalize import Normalizer
from knowledge.model import Entry, KnowledgeBase

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)


def with_example(kb: KnowledgeBase, entry_id: str, text: str, lang: str = "ru") -> Entry:
    entry = kb.by_id[entry_id].model_copy(deep=True)
    getattr(entry.examples, lang).append(text)
    return entry


def test_clashing_example_is_better_elsewhere(kb: KnowledgeBase, matcher: Matcher, normalizer: Normalizer) -> None:
    # calling from MegaFon is the "another network" entry's topic, not roaming
    draft = with_example(kb, "roaming-support", "как позвонить с мегафона")
    conflicts = draft_conflicts(kb, matcher, draft, normalizer)
    found = [c for c in conflicts if c.kind == "better_elsewhere"]
    assert found, conflicts
    c = found[0]
    assert (c.entry_id, c.example, c.other_id) == ("roaming-support", "как позвонить с мегафона", "support-other-phone")
    assert c.other_score > c.score
    data = c.to_json()
    assert data["kind"] == "better_elsewhere" and data["other"] == "support-other-phone"
    assert "support-other-phone" in data["text"] and "как позвонить с мегафона" in data["text"]


def test_example_pulling_another_entrys_example_switches_sides(kb: KnowledgeBase, matcher: Matcher,
                                                                normalizer: Normalizer) -> None:
    # "peak hours" gets a question that is word for word an example of "calling from another network":
    # that entry's example would now be answered with peak hours
    stolen = "бесплатный номер теле2 для других операторов"
    assert stolen in kb.by_id["support-other-phone"].examples.ru
    draft = with_example(kb, "peak-hours", stolen)
    conflicts = draft_conflicts(kb, matcher, draft, normalizer)
    switches = [c for c in conflicts if c.kind == "switches_sides"]
    assert switches, conflicts
    c = switches[0]
    assert (c.entry_id, c.other_id, c.example) == ("peak-hours", "support-other-phone", stolen)
    assert c.score >= c.other_score
    text = c.to_json()["text"]
    assert "support-other-phone" in text and "peak-hours" in text and "would now go to" in text


@pytest.mark.parametrize(("entry_id", "text"), [
    ("roaming-support", "уезжаю зимовать на бали, как держать связь с операторами"),
    ("tone-dialling", "как переключить на тон"),
    ("social-networks", "паблик теле2 вк в роуминге"),
])
def test_harmless_example_gives_no_conflicts(kb: KnowledgeBase, matcher: Matcher, normalizer: Normalizer,
                                             entry_id: str, text: str) -> None:
    draft = with_example(kb, entry_id, text)
    assert draft_conflicts(kb, matcher, draft, normalizer) == []


def test_unchanged_entry_gives_no_conflicts(kb: KnowledgeBase, matcher: Matcher, normalizer: Normalizer) -> None:
    # only new examples are judged: an entry as it is (with its own known near-misses) is not reported
    for entry_id in ("roaming-support", "support-other-phone", "peak-hours"):
        assert draft_conflicts(kb, matcher, kb.by_id[entry_id].model_copy(deep=True), normalizer) == []


def test_new_entry_copying_another_entrys_questions(kb: KnowledgeBase, matcher: Matcher, normalizer: Normalizer) -> None:
    """A brand-new entry (not yet in the base) is judged the same way, in both languages."""
    draft = Entry.model_validate({
        "id": "socials-copy", "group": "social", "title": {"ru": "Копия", "en": "Copy"},
        "examples": {"ru": ["теле2 в соцсетях"], "en": ["tele2 social media accounts"]},
        "answer": {"ru": "Копия ответа.", "en": "A copy of the answer."}})
    conflicts = draft_conflicts(kb, matcher, draft, normalizer)
    elsewhere = {(c.example, c.other_id) for c in conflicts if c.kind == "better_elsewhere"}
    assert elsewhere == {("теле2 в соцсетях", "social-networks"), ("tele2 social media accounts", "social-networks")}
    assert {c.other_id for c in conflicts if c.kind == "switches_sides"} <= {"social-networks"}
    assert all(c.entry_id == "socials-copy" for c in conflicts)
