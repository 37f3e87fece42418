"""Understanding on the held-out sets, side by side with a TF-IDF baseline.

    .venv/bin/python bench/understanding.py                 # every category, bot and baseline
    .venv/bin/python bench/understanding.py --errors translit,outside   # list the bot's misses there
    .venv/bin/python bench/understanding.py --no-baseline   # the bot alone (fast)

The sets (`tests/data/understanding/*.jsonl`, see its README) were written independently of
the knowledge base's example wordings. Each case says which outcomes of its last turn are
right: an entry id, `action:<name>`, `handoff`, `abstain` or `clarify`.

**The bot** is the real core (`Core.handle`, the same path every channel uses) on a fresh
SQLite database; each case is a new user, so follow-ups see only their own first turn. Its
outcome is read as: `handoff` when the conversation went to the operator queue or the
operator was offered after an empathetic line; `action:<name>` for an account action;
`clarify` when it asked what was meant; the entry id for an answer; `abstain` when it said
it cannot answer (a miss, or the out-of-scope entry).

**The baseline** is the textbook classifier the issue describes, trained on the same
knowledge base: TF-IDF over word 1–2-grams and character 2–5-grams of the lower-cased text,
multinomial logistic regression, and an answer threshold chosen by 5-fold cross-validation on
the base's own example wordings (below it: abstain). It sees each message alone (no
conversation), and its outcome is the predicted entry read like the bot's (an action entry →
`action:<name>`, the operator entry → `handoff`, the out-of-scope entry → `abstain`).

Wrong answers (answered, but not with an accepted outcome) and fallbacks (abstained where an
answer was expected) are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.replies import Incoming, Outcome  # noqa: E402
from knowledge import loader  # noqa: E402
from knowledge.model import KnowledgeBase  # noqa: E402
from supportbot.config import load_config  # noqa: E402
from supportbot.runtime import open_runtime  # noqa: E402

SETS = ROOT / "tests" / "data" / "understanding"
EVERYDAY = ("translit", "layout", "emotion", "complaint", "outside", "followup")


@dataclass
class Case:
    id: str
    category: str
    lang: str
    turns: list[str]
    accept: list[str]


def load_cases(folder: Path = SETS) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                cases.append(Case(raw["id"], raw["category"], raw["lang"], raw["turns"], raw["accept"]))
    return cases


def entry_label(kb: KnowledgeBase, entry_id: str | None) -> str:
    entry = kb.entry(entry_id) if entry_id else None
    if entry is None or entry.out_of_scope:
        return "abstain"
    if entry.handoff:
        return "handoff"
    if entry.action:
        return f"action:{entry.action}"
    return entry.id


def bot_label(outcome: Outcome) -> str:
    if outcome.handoff or outcome.outcome in ("handoff", "offer"):
        return "handoff"
    if outcome.action:
        return f"action:{outcome.action}"
    if outcome.outcome == "clarify":
        return "clarify"
    if outcome.intent and outcome.outcome not in ("fallback", "oos"):
        return outcome.intent
    return "abstain"


def judge(label: str, case: Case) -> str:
    """'right', 'wrong' (answered wrongly) or 'fallback' (abstained where an answer was expected)."""
    if label in case.accept:
        return "right"
    return "fallback" if label == "abstain" else "wrong"


async def run_bot(cases: list[Case], threshold: float | None = None) -> tuple[dict[str, str], dict[str, Outcome]]:
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = await open_runtime(config, str(Path(tmp) / "bench.db"))
        try:
            if threshold is not None and runtime.knowledge.model is not None:
                runtime.knowledge.model.stacker.threshold = threshold
            labels, outcomes = {}, {}
            for number, case in enumerate(cases):
                outcome = None
                for turn in case.turns:
                    outcome = await runtime.core.handle(Incoming(channel="bench", user_id=f"u{number}", chat_id=f"u{number}",
                                                                 text=turn))
                assert outcome is not None
                labels[case.id], outcomes[case.id] = bot_label(outcome), outcome
            return labels, outcomes
        finally:
            await runtime.close()


class Baseline:
    """TF-IDF (word 1–2 + char 2–5) + logistic regression, threshold by 5-fold CV."""

    def __init__(self, kb: KnowledgeBase) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.pipeline import make_pipeline, make_union

        self.kb = kb
        texts, labels = [], []
        for entry in kb.entries:
            for _, text in entry.examples.all():
                texts.append(text)
                labels.append(entry.id)

        def pipeline():
            return make_pipeline(
                make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                           TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
                LogisticRegression(C=10.0, max_iter=300))

        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        probabilities = cross_val_predict(pipeline(), texts, labels, cv=folds, method="predict_proba")
        classes = sorted(set(labels))
        best = [classes[i] for i in probabilities.argmax(axis=1)]
        top = probabilities.max(axis=1)
        self.threshold, best_accuracy = 0.0, -1.0
        for step in range(0, 90):
            threshold = step / 100
            right = 0
            for want, got, p in zip(labels, best, top, strict=True):
                answered = p >= threshold and kb.by_id[got].group != "out_of_scope"
                expected_answer = kb.by_id[want].group != "out_of_scope"
                right += (answered and got == want) if expected_answer else not answered
            if right / len(labels) > best_accuracy:
                self.threshold, best_accuracy = threshold, right / len(labels)
        self.cv_accuracy = best_accuracy
        self.model = pipeline().fit(texts, labels)

    def labels(self, cases: list[Case]) -> dict[str, str]:
        texts = [case.turns[-1] for case in cases]
        probabilities = self.model.predict_proba(texts)
        classes = list(self.model.classes_)
        out = {}
        for case, row in zip(cases, probabilities, strict=True):
            k = int(row.argmax())
            out[case.id] = entry_label(self.kb, classes[k]) if row[k] >= self.threshold else "abstain"
        return out


def table(cases: list[Case], results: dict[str, dict[str, str]]) -> list[str]:
    by_category: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_category[case.category].append(case)
    names = list(results)
    header = f"{'category':12} {'n':>4}  " + "  ".join(f"{n:>24}" for n in names)
    lines = [header, f"{'':12} {'':>4}  " + "  ".join(f"{'right   wrong  fallback':>24}" for _ in names)]
    totals: dict[str, Counter[str]] = {n: Counter() for n in names}
    everyday: dict[str, Counter[str]] = {n: Counter() for n in names}
    for category in sorted(by_category):
        group = by_category[category]
        cells = []
        for name in names:
            verdicts = Counter(judge(results[name][c.id], c) for c in group)
            totals[name].update(verdicts)
            if category in EVERYDAY:
                everyday[name].update(verdicts)
            cells.append(f"{100 * verdicts['right'] / len(group):6.1f}% {verdicts['wrong']:6} {verdicts['fallback']:9}")
        lines.append(f"{category:12} {len(group):4}  " + "  ".join(f"{c:>24}" for c in cells))
    for label, counts in (("everyday", everyday), ("all", totals)):
        n = sum(counts[names[0]].values())
        lines.append(f"{label:12} {n:4}  " + "  ".join(
            f"{100 * counts[x]['right'] / n:6.1f}% {counts[x]['wrong']:6} {counts[x]['fallback']:9}".rjust(24) for x in names))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=str(SETS))
    parser.add_argument("--errors", default="", help="categories whose misses to list (comma-separated, 'all')")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--threshold", type=float, help="answer at this probability instead of the trained threshold")
    args = parser.parse_args()
    cases = load_cases(Path(args.sets))
    kb = loader.load()
    started = time.perf_counter()
    labels, outcomes = asyncio.run(run_bot(cases, args.threshold))
    results = {"supportbot": labels}
    print(f"supportbot: {len(cases)} cases in {time.perf_counter() - started:.1f} s")
    if not args.no_baseline:
        started = time.perf_counter()
        baseline = Baseline(kb)
        results["baseline"] = baseline.labels(cases)
        print(f"baseline: trained in {time.perf_counter() - started:.1f} s, threshold {baseline.threshold:.2f} "
              f"(5-fold CV accuracy on the base's examples {baseline.cv_accuracy:.3f})")
    print("\n".join(table(cases, results)))
    wanted = set(args.errors.split(",")) if args.errors else set()
    for case in cases:
        if (case.category in wanted or "all" in wanted) and judge(labels[case.id], case) != "right":
            outcome = outcomes[case.id]
            print(f"  {judge(labels[case.id], case):8} {case.id}: {' | '.join(case.turns)!r} -> {labels[case.id]} "
                  f"(p={outcome.score}) want {case.accept} :: {outcome.text[:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
