"""Safety checks for knowledge-base changes: examples another entry matches better, and
examples of other entries that a change would pull to its side. The editor runs them
before a save (and asks for confirmation); `supportbot kb check` runs them on the files."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import Entry, KnowledgeBase

from .matcher import Matcher
from .normalize import Normalizer


@dataclass
class Conflict:
    kind: str  # "better_elsewhere": the example goes to `other`; "switches_sides": `other`'s example now goes here
    entry_id: str
    example: str
    other_id: str
    score: float
    other_score: float

    def describe(self) -> str:
        if self.kind == "better_elsewhere":
            return (f"example {self.example!r} of {self.entry_id!r} is matched better by {self.other_id!r} "
                    f"({self.other_score:.2f} vs {self.score:.2f})")
        return (f"example {self.example!r} of {self.other_id!r} would now go to {self.entry_id!r} "
                f"({self.score:.2f} vs {self.other_score:.2f})")

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "entry": self.entry_id, "example": self.example, "other": self.other_id,
                "score": round(self.score, 3), "other_score": round(self.other_score, 3), "text": self.describe()}


def with_draft(kb: KnowledgeBase, draft: Entry) -> KnowledgeBase:
    entries = [draft if e.id == draft.id else e for e in kb.entries]
    if draft.id not in kb.by_id:
        entries.append(draft)
    return KnowledgeBase(entries, kb.regions, kb.countries, kb.synonyms, kb.messages, kb.revision)


def draft_conflicts(kb: KnowledgeBase, current: Matcher, draft: Entry, normalizer: Normalizer) -> list[Conflict]:
    """What a changed or new entry would clash with (only its new examples are judged)."""
    old = kb.by_id.get(draft.id)
    old_examples = set(old.examples.ru + old.examples.en) if old else set()
    trial = Matcher(with_draft(kb, draft), normalizer, current.threshold, weights=current.weights)
    conflicts: list[Conflict] = []
    new_terms: set[str] = set()
    for number, example in enumerate(trial.examples):
        owner = trial.entry_ids[example.entry]
        if owner != draft.id or example.text in old_examples:
            continue
        new_terms |= {t for t in example.terms if not t.startswith(("_", "@"))}
        match = trial.match(example.text, exclude=number, limit=10)
        best = match.best
        if best is not None and best.entry_id != draft.id:
            own = next((c.score for c in match.candidates if c.entry_id == draft.id), 0.0)
            conflicts.append(Conflict("better_elsewhere", draft.id, example.text, best.entry_id, own, best.score))
    # other entries' examples that share a word with the new examples may switch sides
    trial_numbers = {(trial.entry_ids[x.entry], x.text): i for i, x in enumerate(trial.examples)}
    for number, example in enumerate(current.examples):
        owner = current.entry_ids[example.entry]
        if owner == draft.id or not (example.terms & new_terms):
            continue
        before = current.match(example.text, exclude=number, limit=3).best
        if before is None or before.entry_id != owner:
            continue  # it was not on its own side before: not this change's doing
        after = trial.match(example.text, exclude=trial_numbers.get((owner, example.text)), limit=5)
        if after.best is not None and after.best.entry_id == draft.id:
            own = next((c.score for c in after.candidates if c.entry_id == owner), 0.0)
            conflicts.append(Conflict("switches_sides", draft.id, example.text, owner, after.best.score, own))
    return conflicts
