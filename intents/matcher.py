"""Understanding: retrieve candidates from an inverted index, re-rank, decide.

1. *Analysis*: the message is normalised (`normalize.py`), unknown words are corrected
   towards the knowledge base's vocabulary (OSA edit distance, rapidfuzz), phrases are
   found (regions → ``@region``, countries → ``@abroad``, synonyms → ``~concept``) and
   money, sizes and phone numbers become ``@money``, ``@size``, ``@phone``. Three marks
   describe the kind of message: ``@how`` (a question word), ``@me`` (about my own
   account), ``@impr`` (an imperative: "подключи").
2. *Retrieval*: the rarest terms' postings give candidate example questions.
3. *Re-ranking*: for each candidate entry, the weighted Dice overlap with its best
   example, the share of the message's weight that the entry's examples cover, and a
   rapidfuzz similarity of the lemma strings, combined into one score in 0..1.
4. *Decision*: the best entry is accepted above a calibrated threshold; below it the
   message is a miss (fallback). Terms unknown to the knowledge base carry the highest
   weight, so a message about something else (pizza, the dollar rate) covers little and
   falls below the threshold.

Every score keeps its parts (`Candidate.parts`) so that "why did it answer that?" has an
answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from operator import itemgetter

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from knowledge.model import Entry, KnowledgeBase

from .entities import MONEY_RE, PHONE_RE, SIZE_RE, Entities, PhraseIndex, Span, extract
from .normalize import EN_HOW, EN_ME, NEGATION, RU_HOW, RU_ME, Normalizer, Token, detect_language, fold
from .repair import Repairer

PLACEHOLDERS = {"xxmoneyxx": "@money", "xxsizexx": "@size", "xxphonexx": "@phone"}
SPAN_TERMS = {"region": "@region", "country": "@abroad"}
MARKS = ("@how", "@me", "@impr", "@neg")
STOP_FACTOR = 0.3  # a function word counts this much of its rarity
FUNCTION_WORDS_THRESHOLD = 0.75
NOUN_POS = frozenset({"NOUN", None})
DOMAIN_MARKS = ("@region", "@abroad", "@money", "@size", "@phone")
OFFTOPIC_FACTOR = 0.7  # an unknown noun and nothing about the operator: most likely off-topic
MODE_MARGIN = 0.85  # a how-to / action of the message's kind wins within this ratio of the best score
UNKNOWN_NOUN, UNKNOWN_OTHER = 1.0, 0.7
COMMON_WORD = 3.0  # Zipf frequency from which an unknown word is taken as a real word, not a typo


KEY_SHARE = 0.25  # a concept carrying this share of the message's weight is what it is about


@dataclass(frozen=True)
class Weights:
    """How the score's parts combine; tuned on knowledge/calibration.yaml (bench/calibrate.py)."""

    dice: float = 0.45  # weighted overlap with the entry's best example
    cover: float = 0.30  # share of the message covered by all the entry's examples
    answer: float = 0.10  # share covered by the entry's title and answer
    fuzz: float = 0.15  # rapidfuzz similarity of the lemma strings (scaled by `cover`)
    rare_discount: float = 0.3  # a term seen in only one example weighs (1 - this)
    key_miss: float = 0.15  # an entry that never uses the message's heaviest word loses this share



@dataclass(slots=True)
class Analysis:
    text: str
    lang: str
    tokens: list[Token]
    spans: list[Span]
    entities: Entities
    terms: dict[str, float]  # term -> weight
    unknown: list[str]  # words the knowledge base does not know
    corrected: dict[str, str]  # typo -> correction
    unknown_topic: list[str] = field(default_factory=list)  # unknown nouns (a topic the base lacks)
    mode: str = "neutral"  # "howto" (a question how/where/what is) | "request" (do it, my data) | "neutral"

    @property
    def weight(self) -> float:
        return sum(self.terms.values())


@dataclass(slots=True)
class Candidate:
    entry_id: str
    score: float
    example: str
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Match:
    analysis: Analysis
    candidates: list[Candidate]
    threshold: float
    offtopic: bool = False  # names things the base does not know, and nothing of the line, the account or support

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confident(self) -> bool:
        return bool(self.candidates) and self.candidates[0].score >= self.threshold


@dataclass(slots=True)
class _Example:
    entry: int
    text: str
    terms: frozenset[str]
    weight: float
    string: str  # sorted terms, for rapidfuzz


class Matcher:
    """An index over a knowledge base's example questions; rebuilt when the base changes."""

    def __init__(self, kb: KnowledgeBase, normalizer: Normalizer, threshold: float = 0.4,
                 rerank: int = 16, fuzz_top: int = 6, weights: Weights | None = None) -> None:
        self.kb = kb
        self.weights = weights or Weights()
        self.normalizer = normalizer
        self.threshold = threshold
        self.rerank = rerank  # entries re-ranked after retrieval
        self.fuzz_top = fuzz_top  # entries compared with rapidfuzz
        self.phrases = PhraseIndex(normalizer)
        for region in kb.regions:
            for alias in [region.name.ru, region.name.en, *region.aliases.ru, *region.aliases.en]:
                self.phrases.add(alias, "region", region.id)
        for names in kb.countries.values():
            for name in names:
                self.phrases.add(name, "country", name)
        self.domain_terms = {"~" + c for c in kb.synonyms.get("_domain", [])} | set(DOMAIN_MARKS)
        # the numbers the examples name (the roaming line, a city's support number): a message naming one is
        # about that number, not about any number (@phone)
        self.known_numbers = frozenset(_digits(m) for e in kb.entries for _, text in e.examples.all()
                                       for m in PHONE_RE.finditer(text) if m.group(1) != "800")
        for concept, variants in kb.synonyms.items():
            if concept.startswith("_"):
                continue
            for variant in variants:
                self.phrases.add(str(variant), "concept", concept)
        self._build()

    # -- index -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.entry_ids = [e.id for e in self.kb.entries]
        self.entry_index = {entry_id: i for i, entry_id in enumerate(self.entry_ids)}
        self.examples: list[_Example] = []
        per_entry_terms: list[list[frozenset[str]]] = [[] for _ in self.kb.entries]
        self.answer_terms: list[frozenset[str]] = []
        surface: Counter[str] = Counter()
        answer_words: set[str] = set()
        for index, entry in enumerate(self.kb.entries):
            for _, text in entry.examples.all():
                tokens, spans = self._tokens_and_spans(text)
                surface.update(t.surface for t in tokens)
                terms = frozenset(self._terms(tokens, spans))
                per_entry_terms[index].append(terms)
                self.examples.append(_Example(index, text, terms, 0.0, ""))
            answer_terms: set[str] = set()
            for text in (entry.title.ru, entry.title.en, entry.answer.ru, entry.answer.en):
                tokens, spans = self._tokens_and_spans(text)
                answer_words.update(t.surface for t in tokens)
                answer_terms.update(self._terms(tokens, spans))
            self.answer_terms.append(frozenset(answer_terms))
        for names in [*self.kb.countries.values(), *self.kb.synonyms.values()]:
            for name in names:
                surface.update(t.surface for t in self.normalizer.tokens(str(name)))
        for region in self.kb.regions:
            for alias in [*region.aliases.ru, *region.aliases.en]:
                surface.update(t.surface for t in self.normalizer.tokens(alias))
        # entry-level document frequency → idf weights
        n = len(self.kb.entries)
        df: Counter[str] = Counter()
        self.entry_terms: list[Counter[str]] = []
        for term_sets in per_entry_terms:
            counts: Counter[str] = Counter()
            for terms in term_sets:
                counts.update(terms)
            self.entry_terms.append(counts)
            df.update(counts.keys())
        occurrences: Counter[str] = Counter()
        for counts in self.entry_terms:
            occurrences.update(counts)
        self.occurrences = occurrences  # examples each term appears in
        discount = self.weights.rare_discount
        self.idf = {term: math.log(1 + n / count) * (STOP_FACTOR if term.startswith("_") else 1.0)
                    * (1 - discount / occurrences[term])
                    for term, count in df.items()}
        self.unknown_weight = math.log(1 + n / 0.5)
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.entry_examples: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for number, example in enumerate(self.examples):
            example.weight = sum(self.idf[t] for t in sorted(example.terms))  # sorted: the same float in every process
            example.string = " ".join(sorted(example.terms))
            for term in example.terms:
                self.postings[term].append(number)
                self.entry_examples[term][example.entry].append(number)
        self.entry_postings: dict[str, list[int]] = {t: list(by_entry) for t, by_entry in self.entry_examples.items()}
        # arrays for the re-ranking: every example's shared weight in one bincount, every entry's best
        # example in a few reductions over the entries' example ranges
        self.example_numbers = {t: np.asarray(numbers, dtype=np.int32) for t, numbers in self.postings.items()}
        self.example_weights = np.fromiter((e.weight for e in self.examples), dtype=np.float64, count=len(self.examples))
        owners = [e.entry for e in self.examples]  # appended entry by entry: each entry's examples are one range
        assert all(a <= b for a, b in pairwise(owners)), "examples must be grouped by entry"
        starts = [k for k, owner in enumerate(owners) if k == 0 or owner != owners[k - 1]]  # entries with examples
        self.range_starts = np.asarray(starts, dtype=np.intp)
        self.range_bounds = np.append(self.range_starts, len(owners))
        self.range_sizes = np.diff(self.range_bounds)
        self.entry_range = {owners[start]: k for k, start in enumerate(starts)}  # entry -> its range
        self.vocabulary = surface  # words a typo may be corrected to
        self.known_words = answer_words | set(surface)  # words never "corrected"
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._undoubled: dict[str, str] = {}  # "tarif" -> "tariff": a letter doubled or not is one slip, not two
        for word in sorted(surface, key=lambda w: -surface[w]):
            if len(word) >= 3 and not word.isdigit():
                self._by_length[len(word)].append(word)
                self._undoubled.setdefault(_undouble(word), word)
        self._corrections: dict[str, str | None] = {}
        self._shares: dict[tuple[str, tuple[str, ...]], float] = {}
        self.repairer = Repairer(self.normalizer.is_known, self.known_words)  # wrong layout, Latin transliteration

    # -- analysis ----------------------------------------------------------------------------

    def _tokens_and_spans(self, text: str) -> tuple[list[Token], list[Span]]:
        marked = PHONE_RE.sub(self._phone_mark, text)
        marked = MONEY_RE.sub(" xxmoneyxx ", marked)
        marked = SIZE_RE.sub(" xxsizexx ", fold(marked))
        tokens = self.normalizer.tokens(marked)
        return tokens, self.phrases.find(tokens)

    def _phone_mark(self, match: re.Match[str]) -> str:
        """A phone number becomes @phone (and, when the examples name it, that number too); a toll-free
        8-800 line is the "8 800" it is called by ("сколько стоит звонить на 8800 5550611" is about the
        free line, not about a city number)."""
        if match.group(1) == "800":
            return " 8 800 "
        digits = _digits(match)
        return f" xxphonexx xxtel{digits}xx " if digits in self.known_numbers else " xxphonexx "

    def _terms(self, tokens: list[Token], spans: list[Span]) -> list[str]:
        terms: list[str] = []
        covered = set()
        for span in spans:
            covered.update(range(span.start, span.end))
            terms.append(SPAN_TERMS.get(span.kind) or "~" + span.value)
        for i, token in enumerate(tokens):
            if token.surface in RU_HOW or token.surface in EN_HOW:
                terms.append("@how")
            if token.surface in RU_ME or token.surface in EN_ME:
                terms.append("@me")
            if token.imperative:
                terms.append("@impr")
            if token.surface in NEGATION:
                terms.append("@neg")
                continue
            if i in covered:
                continue
            if token.stop and token.lang != "num":
                terms.append("_" + token.lemma)  # a function word: kept, weighted low
                continue
            terms.append(PLACEHOLDERS.get(token.surface, token.lemma))
        return terms

    def _correct(self, word: str, strict: bool = False) -> str | None:
        """The knowledge base's word closest to an unknown one, or None. A real dictionary word
        (`strict`) is only corrected by one edit."""
        if word in self._corrections:
            return self._corrections[word]
        best: str | None = None
        undoubled = self._undoubled.get(_undouble(word)) if len(word) >= 5 else None
        if undoubled is not None and undoubled != word:  # "tarrif", "comission", "adress": doubled letters mixed up
            self._corrections[word] = undoubled
            return undoubled
        if len(word) >= 4:
            limit = 1 if len(word) <= 7 or strict else 2
            best_key: tuple[int, int] | None = None
            for length in range(len(word) - limit, len(word) + limit + 1):
                for candidate in self._by_length.get(length, ()):
                    distance = OSA.distance(word, candidate, score_cutoff=limit)
                    if distance > limit or _reflexive_pair(word, candidate):
                        continue
                    key = (distance, -self.vocabulary[candidate])
                    if best_key is None or key < best_key:
                        best, best_key = candidate, key
        self._corrections[word] = best
        return best

    def analyse(self, text: str, lang_hint: str | None = None) -> Analysis:
        lang = detect_language(text, lang_hint)
        tokens, spans = self._tokens_and_spans(text)
        corrected: dict[str, str] = {}
        fixed = False
        for i, token in enumerate(tokens):
            if token.lang == "num" or token.surface in self.known_words or token.surface in PLACEHOLDERS:
                continue
            if token.lemma in self.idf or token.lemma in self.phrases or token.stop:
                continue
            if self.normalizer.zipf(token.surface) >= COMMON_WORD:
                continue  # a real, common word ("went", "жить") is not a typo
            better = self._correct(token.surface, strict=token.known)
            if better:
                corrected[token.surface] = better
                tokens[i] = self.normalizer.token(better)
                fixed = True
        if fixed:
            spans = self.phrases.find(tokens)
        terms: dict[str, float] = {}
        unknown: list[str] = []
        topic: list[str] = []
        pos_of = {t.lemma: (t.lang, t.pos, t.surface) for t in tokens}
        for term in self._terms(tokens, spans):
            weight = self.idf.get(term)
            if weight is None:
                if term.isdigit() or term in MARKS or term.startswith("_"):
                    continue  # a number, mark or function word the base never uses says nothing
                lang, pos, surface = pos_of.get(term, ("ru", None, term))
                # a topic the base does not know (a noun: "пицца", "доллар") weighs most; an
                # unknown verb or adjective ("жить", "доступный") or a very common word
                # ("across", "special") is more often incidental
                noun = lang == "en" or pos in NOUN_POS
                rarity = min(1.0, max(0.3, (6.5 - self.normalizer.zipf(surface)) / 3))
                weight = self.unknown_weight * (UNKNOWN_NOUN if noun else UNKNOWN_OTHER) * rarity
                unknown.append(term)
                if noun:
                    topic.append(term)
            terms[term] = weight
        return Analysis(text, lang, tokens, spans, extract(text, spans), terms, unknown, corrected, topic,
                        message_mode(tokens))

    def held_out(self, analysis: Analysis, number: int) -> Analysis:
        """The analysis of example `number` as if the base had never seen it (for training on
        leave-one-out predictions): the terms only this example uses become unknown words,
        weighted as `analyse` weighs words the base does not know."""
        own = self.examples[number].terms
        terms = dict(analysis.terms)
        unknown, topic = list(analysis.unknown), list(analysis.unknown_topic)
        pos_of = {t.lemma: (t.lang, t.pos, t.surface) for t in analysis.tokens}
        for term in analysis.terms:
            if term in own and self.occurrences.get(term, 0) == 1 and not term.startswith(("_", "@", "~")):
                if term.isdigit():
                    del terms[term]
                    continue
                lang, pos, surface = pos_of.get(term, ("ru", None, term))
                noun = lang == "en" or pos in NOUN_POS
                rarity = min(1.0, max(0.3, (6.5 - self.normalizer.zipf(surface)) / 3))
                terms[term] = self.unknown_weight * (UNKNOWN_NOUN if noun else UNKNOWN_OTHER) * rarity
                unknown.append(term)
                if noun:
                    topic.append(term)
        return Analysis(analysis.text, analysis.lang, analysis.tokens, analysis.spans, analysis.entities, terms, unknown,
                        analysis.corrected, topic, analysis.mode)

    # -- matching ----------------------------------------------------------------------------

    def match(self, text: str | Analysis, lang_hint: str | None = None, limit: int = 5,
              exclude: int | None = None) -> Match:
        """Rank entries for a message; `exclude` leaves one example out (for `kb check`)."""
        analysis = text if isinstance(text, Analysis) else self.analyse(text, lang_hint)
        q = analysis.terms
        q_weight = analysis.weight
        if q_weight <= 0:
            return Match(analysis, [], self.threshold)
        threshold = self.threshold
        if not any(not t.startswith(("_", "@")) for t in q):
            threshold = max(threshold, FUNCTION_WORDS_THRESHOLD)  # "кто ты": only function words
        # 1. retrieval: how much of the message each entry's examples cover (entry postings)
        covered: dict[int, float] = defaultdict(float)
        function_words = []
        for term, weight in q.items():
            if term.startswith(("_", "@")) and term not in DOMAIN_MARKS:
                function_words.append((term, weight))  # function words and marks: long postings,
                continue  # so they are added for the shortlist only
            for entry_index in self.entry_postings.get(term, ()):
                covered[entry_index] += weight
        if len(covered) < self.rerank:  # few content words ("кто ты?"): function words retrieve too
            for term, weight in function_words:
                for entry_index in self.entry_postings.get(term, ()):
                    covered[entry_index] += weight
            function_words = []
        excluded_entry, excluded_terms = -1, frozenset()
        if exclude is not None:  # leave one example out: its words unique to its entry go too
            excluded_entry, excluded_terms = self.examples[exclude].entry, self.examples[exclude].terms
            counts = self.entry_terms[excluded_entry]
            for term in sorted(excluded_terms):  # sorted: the same float in every process
                if term in q and counts[term] == 1 and (term, q[term]) not in function_words:
                    covered[excluded_entry] -= q[term]
        # as heapq.nlargest (a stable sort: equal cover keeps the retrieval order), but faster
        shortlist = sorted(covered.items(), key=itemgetter(1), reverse=True)[: self.rerank]
        for position, (entry_index, covered_weight) in enumerate(shortlist):
            counts = self.entry_terms[entry_index]
            for term, weight in function_words:
                if counts.get(term, 0) > (1 if entry_index == excluded_entry and term in excluded_terms else 0):
                    covered_weight += weight
            shortlist[position] = (entry_index, covered_weight)
        # 2. re-ranking: the best example of each shortlisted entry (weighted Dice), then the parts
        w = self.weights
        ranked: list[Candidate] = []
        indexed = [t for t in q if t in self.example_numbers]  # every shortlisted entry has examples with one of these
        best = self._best_examples(q, q_weight, indexed, [e for e, _ in shortlist], exclude) if indexed else []
        q_list = list(q.items())
        for (entry_index, covered_weight), (best_dice, best_number) in zip(shortlist, best, strict=False):
            if not best_dice > 0:
                continue  # no example of the entry shares weight with the message
            cover = covered_weight / q_weight
            answer_terms = self.answer_terms[entry_index]
            answer = sum([weight for t, weight in q_list if t in answer_terms]) / q_weight
            score = w.dice * best_dice + w.cover * cover + w.answer * answer
            ranked.append(Candidate(self.entry_ids[entry_index], score, self.examples[best_number].text,
                                    {"dice": best_dice, "cover": cover, "answer": answer, "example": best_number}))
        # 3. rapidfuzz on the lemma strings of the few best
        ranked.sort(key=lambda c: c.score, reverse=True)
        ranked = ranked[: max(limit, self.fuzz_top)]
        q_string = " ".join(sorted(t for t in q if t not in analysis.unknown))
        for candidate in ranked:
            example = self.examples[int(candidate.parts.pop("example"))]
            similarity = fuzz.token_sort_ratio(q_string, example.string) / 100 if q_string else 0.0
            candidate.parts["fuzz"] = similarity
            candidate.score += w.fuzz * similarity * candidate.parts["cover"]
        key = max((t for t in q if t.startswith("~")), key=q.__getitem__, default=None)  # the main domain concept
        # "what does the promised payment section show": not the tariff page (its examples never say it)
        if key is not None and w.key_miss and q[key] >= KEY_SHARE * q_weight:
            lacking = [c for c in ranked if key not in self.entry_terms[self.entry_index[c.entry_id]]
                       and key not in self.answer_terms[self.entry_index[c.entry_id]]]
            if len(lacking) < len(ranked):  # only when some candidate does use it
                for candidate in lacking:
                    candidate.score *= 1 - w.key_miss
                    candidate.parts["key_miss"] = w.key_miss
        offtopic = bool(analysis.unknown_topic) and not any(
            t in self.domain_terms or (t.isdigit() and t in self.idf) for t in q)
        if offtopic:
            for candidate in ranked:
                candidate.score *= OFFTOPIC_FACTOR
                candidate.parts["offtopic"] = OFFTOPIC_FACTOR
        ranked.sort(key=lambda c: c.score, reverse=True)
        self._prefer_mode(analysis.mode, ranked)
        for candidate in ranked:
            candidate.score = round(candidate.score, 4)
            candidate.parts = {k: round(v, 3) for k, v in candidate.parts.items()}
        return Match(analysis, ranked[:limit], threshold, offtopic)

    def _best_examples(self, q: dict[str, float], q_weight: float, indexed: list[str], entries: list[int],
                       exclude: int | None) -> list[tuple[float, int]]:
        """Each entry's best example by weighted Dice with the message: (dice, example number); an
        entry none of whose examples shares weight with the message has dice 0.

        The shared weights of all examples come from one bincount over the postings of the message's
        `indexed` terms, added in the message's term order as a loop over the postings would; the
        best of each entry from reductions over the entries' contiguous example ranges. The
        `exclude`d example (leave-one-out) gets dice 0, so it is never chosen."""
        numbers = [self.example_numbers[t] for t in indexed]
        shared = np.bincount(np.concatenate(numbers), weights=np.repeat([q[t] for t in indexed], [len(n) for n in numbers]),
                             minlength=len(self.examples))
        half = shared / (self.example_weights + q_weight)  # dice / 2 (doubling is exact: same order, same ties)
        if exclude is not None:
            half[exclude] = 0.0
        top = np.maximum.reduceat(half, self.range_starts)  # per entry with examples
        at_top = np.flatnonzero(half == np.repeat(top, self.range_sizes))  # example numbers, ascending
        first = np.searchsorted(at_top, self.range_bounds).tolist()  # where each range's examples start in at_top
        tops = top.tolist()
        result: list[tuple[float, int]] = []
        for entry in entries:
            r = self.entry_range[entry]
            if not tops[r] > 0:
                result.append((0.0, -1))
            elif first[r + 1] - first[r] == 1:
                result.append((2 * tops[r], int(at_top[first[r]])))
            else:  # equally good examples
                result.append((2 * tops[r], self._first_met(indexed, at_top[first[r] : first[r + 1]].tolist())))
        return result

    def _first_met(self, terms: list[str], numbers: list[int]) -> int:
        """Of the examples `numbers` (ascending), the first met when the postings of the message's
        `terms` are walked in order (term by term, each in example order), as the loop over them did."""
        examples = self.examples
        for term in terms:
            for number in numbers:
                if term in examples[number].terms:
                    return number
        return numbers[0]

    def _prefer_mode(self, mode: str, ranked: list[Candidate]) -> None:
        """A question about how something works prefers a how-to entry, a request prefers the
        action, when the two are close ("как подключить автоплатёж" vs "подключи автоплатёж")."""
        if mode == "neutral" or len(ranked) < 2:
            return
        top = ranked[0]
        top_entry = self.kb.by_id[top.entry_id]
        want_action = mode == "request"
        if top_entry.out_of_scope or _acts(top_entry) == want_action:
            return
        for index, candidate in enumerate(ranked[1:4], 1):
            entry = self.kb.by_id[candidate.entry_id]
            if entry.out_of_scope or entry.group == "smalltalk":
                continue
            if _acts(entry) == want_action and candidate.score >= top.score * MODE_MARGIN:
                candidate.parts["mode"] = 1.0
                ranked.insert(0, ranked.pop(index))
                return

    def share(self, entry_id: str, *terms: str) -> float:
        """The share of an entry's examples that hold one of the terms ("~cost", "~free": how much the entry
        is about a price)."""
        key = (entry_id, terms)
        if key not in self._shares:
            index = self.entry_index.get(entry_id)
            own = [e for e in self.examples if e.entry == index]
            self._shares[key] = sum(1 for e in own if not e.terms.isdisjoint(terms)) / len(own) if own else 0.0
        return self._shares[key]

    def likeness(self, one: str, other: str) -> float:
        """How alike two entries' example vocabularies are (cosine of their terms' counts × rarity, function
        words aside)."""
        a, b = self.entry_index.get(one), self.entry_index.get(other)
        if a is None or b is None:
            return 0.0
        x = {t: c * self.idf.get(t, 0.0) for t, c in self.entry_terms[a].items() if not t.startswith("_")}
        y = {t: c * self.idf.get(t, 0.0) for t, c in self.entry_terms[b].items() if not t.startswith("_")}
        dot = sum(c * y.get(t, 0) for t, c in x.items())
        norm = math.sqrt(sum(c * c for c in x.values())) * math.sqrt(sum(c * c for c in y.values()))
        return dot / norm if norm else 0.0

    def explain(self, text: str) -> str:
        """A human-readable account of how a message was understood."""
        match = self.match(text)
        a = match.analysis
        lines = [f"language: {a.lang}", "terms: " + ", ".join(f"{t}={w:.2f}" for t, w in a.terms.items())]
        if a.corrected:
            lines.append("corrected: " + ", ".join(f"{k}→{v}" for k, v in a.corrected.items()))
        if a.unknown:
            lines.append("unknown: " + ", ".join(a.unknown))
        for c in match.candidates:
            lines.append(f"{c.score:.3f} {c.entry_id} {c.parts} ← {c.example!r}")
        lines.append(f"threshold {match.threshold}: {'answer' if match.confident else 'miss'}")
        return "\n".join(lines)


def _digits(match: re.Match[str]) -> str:
    return "".join(match.groups())


def _acts(entry: Entry) -> bool:
    """Entries that do something (an account action, calling an operator) rather than explain."""
    return entry.action is not None or entry.handoff


def _undouble(word: str) -> str:
    """The word with every doubled letter single ("tariff" and "tarrif" → "tarif")."""
    return re.sub(r"(.)\1+", r"\1", word)


def _reflexive_pair(a: str, b: str) -> bool:
    """"переписаться" and "переписать" are different verbs, not a typo."""
    return (a.endswith(("ся", "сь")) and a[:-2] == b) or (b.endswith(("ся", "сь")) and b[:-2] == a)


# -- the kind of message: a how-to question or a request ------------------------------------

HOWTO_RU = frozenset("как где каким куда откуда зачем почему".split())
HOWTO_PHRASES_RU = ("можно ли", "что такое", "что значит", "что показывает", "что означает", "в чем разница",
                    "что будет", "что делать")
HOWTO_EN = ("how to", "how do", "how does", "how can", "how is", "where", "what is", "what's a", "what does",
            "is it possible", "is there a way", "difference between", "explain")
META_VERBS = frozenset("подсказать сказать рассказать объяснить пояснить уточнить помочь".split())
WANT_RU = frozenset("хотеть хочу нужно надо нужный нужен нужна необходимо пожалуйста пж плиз".split())
WANT_EN = ("i want", "i need", "i'd like", "i would like", "can you", "could you", "please", "pls", "plz", "for me",
           "i wanna", "gimme", "give me", "let me have")
MINE_RU = frozenset("мой моя мое мои моего моей моих моему моим мою у меня".split())
MINE_EN = frozenset("my mine".split())


def message_mode(tokens: list[Token]) -> str:
    """'howto' for a question about how something works, 'request' for asking the bot to do
    something or about the subscriber's own data, 'neutral' otherwise."""
    surfaces = [t.surface for t in tokens]
    text = " " + " ".join(surfaces) + " "
    lemmas = {t.lemma for t in tokens}
    can_do = any(w == "можно" and any(t.pos == "INFN" for t in tokens[i + 1 : i + 3])
                 for i, w in enumerate(surfaces))  # "можно настроить …?" asks whether it is possible
    howto = can_do or any(w in HOWTO_RU for w in surfaces) or any(f" {p} " in text for p in HOWTO_PHRASES_RU) or any(
        f" {p} " in text or text.startswith(f" {p}") for p in HOWTO_EN)
    imperative = any(t.imperative and t.lemma not in META_VERBS for t in tokens)
    want = bool(lemmas & WANT_RU) or any(f" {p} " in text for p in WANT_EN)
    mine = any(w in MINE_RU for w in surfaces) or " у меня " in text or any(w in MINE_EN for w in surfaces)
    if imperative or want:
        return "request"
    if howto:
        return "howto"
    if mine:
        return "request"
    return "neutral"
