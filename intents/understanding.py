"""Reading one message: repair, match, decide.

`KnowledgeHolder.read(text)` is what the dialogue (and any handler that must know "is this
message about something else?") calls: the message is repaired (wrong layout, Latin
transliteration: `repair.py`), matched against the knowledge base (`matcher.py`) and, where a
trained model exists for this knowledge, decided by the calibrated combination of the matcher
and the classifier (`learned.py`), whose score is the probability that the answer is right.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import KnowledgeBase

from .learned import Decision, Model, Understanding
from .matcher import Analysis, Candidate, Match, Matcher
from .normalize import Normalizer
from .repair import Repair


@dataclass(slots=True)
class Reading:
    """How one message was understood."""

    text: str  # the message as read (after repair)
    repair: Repair
    match: Match
    decision: Decision | None  # None without a trained model: the matcher's threshold decides
    source: str = ""  # what was matched: the message, or the last question and the message (a follow-up)
    own_region: str | None = None  # a follow-up's own region ("а в кемерово?") beats the last question's

    @property
    def followup(self) -> bool:
        return bool(self.source) and self.source != self.text

    @property
    def analysis(self) -> Analysis:
        return self.match.analysis

    @property
    def entry_id(self) -> str | None:
        """The entry to answer with, or None when the message is not confidently understood."""
        if self.decision is not None:
            return self.decision.entry_id if self.decision.accepted else None
        best = self.match.best
        return best.entry_id if best is not None and self.match.confident else None

    @property
    def score(self) -> float | None:
        if self.decision is not None:
            return round(self.decision.probability, 4) if self.decision.candidates else None
        best = self.match.best
        return best.score if best else None

    def ranked(self) -> list[tuple[str, float]]:
        """Candidate entries, best first, with their scores (probabilities with a model)."""
        if self.decision is not None:
            return self.decision.candidates
        return [(c.entry_id, c.score) for c in self.match.candidates]

    @property
    def candidates(self) -> list[Candidate]:
        return self.match.candidates


CONTEXT_WEIGHT = 0.5  # the last question's words count this much in a follow-up


def merge(last: Analysis, new: Analysis) -> Analysis:
    """A follow-up read with the last question: the new message's words at full weight, the last
    question's other words at half ("а поменять?" after "какой у меня тариф" is about changing
    the tariff, not about the tariff again)."""
    terms = {t: w * CONTEXT_WEIGHT for t, w in last.terms.items() if not t.startswith("@")}
    if new.entities.regions or new.entities.abroad:  # "а в кемерово?": the new place replaces the old
        terms = {t: w for t, w in terms.items() if t not in ("@region", "@abroad")}
    terms.update(new.terms)
    return Analysis(f"{last.text} {new.text}", new.lang, [*last.tokens, *new.tokens], new.spans, new.entities, terms,
                    [*new.unknown, *(t for t in last.unknown if t not in new.unknown)], {**last.corrected, **new.corrected},
                    new.unknown_topic, new.mode if new.mode != "neutral" else last.mode)


@dataclass
class KnowledgeHolder:
    """The knowledge base in use, its index and its trained model; swapped as a whole when
    editors publish."""

    kb: KnowledgeBase
    matcher: Matcher
    model: Model | None = None

    def __post_init__(self) -> None:
        self.understanding = Understanding(self.matcher, self.model) if self.model is not None else None

    @classmethod
    def build(cls, kb: KnowledgeBase, normalizer: Normalizer, threshold: float, model: Model | None = None) -> KnowledgeHolder:
        return cls(kb, Matcher(kb, normalizer, threshold), model)

    def with_model(self, model: Model | None) -> KnowledgeHolder:
        return KnowledgeHolder(self.kb, self.matcher, model)

    def repair(self, text: str) -> Repair:
        return self.matcher.repairer.repair(text)

    def read(self, text: str, lang_hint: str | None = None, repair: Repair | None = None,
             context: str | None = None) -> Reading:
        """Understand a message; with `context` (the last question), read it as a follow-up to it."""
        repair = repair or self.repair(text)
        source = f"{context} {repair.text}" if context else repair.text
        analysis = self.matcher.analyse(repair.text, repair.lang or lang_hint)
        if context:
            analysis = merge(self.matcher.analyse(context, repair.lang or lang_hint), analysis)
        match = self.matcher.match(analysis)
        decision = None
        if self.understanding is not None:
            said = match.best.entry_id if match.best is not None and match.confident else None
            decision = self.understanding.decide(match.analysis, match.candidates, said)
        return Reading(repair.text, repair, match, decision, source)
