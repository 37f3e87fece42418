"""Calibrate the matcher on the held-out paraphrases (knowledge/calibration.yaml).

    .venv/bin/python bench/calibrate.py            # accuracy by threshold with the shipped weights
    .venv/bin/python bench/calibrate.py --grid     # also search the score weights
    .venv/bin/python bench/calibrate.py --errors   # list the misunderstood messages

A message counts as right when its entry wins above the threshold; an off-topic message
(`__oos__`) counts as right when nothing is accepted or the out-of-scope entry wins.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.matcher import Matcher, Weights  # noqa: E402
from intents.normalize import Normalizer  # noqa: E402
from knowledge import loader  # noqa: E402

OOS = "__oos__"


def load_cases(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(entry_id, text) for entry_id, texts in data.items() for text in texts]


def evaluate(matcher: Matcher, cases: list[tuple[str, str]], thresholds: list[float]) -> dict[float, tuple[float, float, float]]:
    """threshold -> (in-scope accuracy, out-of-scope rejection, overall)."""
    results = []
    for expected, text in cases:
        match = matcher.match(text)
        best = match.best
        results.append((expected, best.entry_id if best else None, best.score if best else 0.0))
    out = {}
    for threshold in thresholds:
        good_in = total_in = good_oos = total_oos = 0
        for expected, got, score in results:
            accepted = got is not None and score >= threshold and got != "out-of-scope"
            if expected == OOS:
                total_oos += 1
                good_oos += not accepted
            else:
                total_in += 1
                good_in += accepted and got == expected
        overall = (good_in + good_oos) / max(total_in + total_oos, 1)
        out[threshold] = (good_in / max(total_in, 1), good_oos / max(total_oos, 1), overall)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=str(ROOT / "knowledge" / "calibration.yaml"))
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    cases = load_cases(Path(args.cases))
    kb = loader.load()
    normalizer = Normalizer()
    t0 = time.perf_counter()
    matcher = Matcher(kb, normalizer)
    print(f"index built in {time.perf_counter() - t0:.2f} s; {len(cases)} cases")
    thresholds = [round(0.20 + 0.025 * i, 3) for i in range(17)]
    for threshold, (acc_in, acc_oos, overall) in evaluate(matcher, cases, thresholds).items():
        print(f"threshold {threshold:.3f}: in-scope {acc_in:.3f}  off-topic rejected {acc_oos:.3f}  overall {overall:.3f}")
    if args.errors:
        threshold = args.threshold if args.threshold is not None else matcher.threshold
        for expected, text in cases:
            match = matcher.match(text)
            best = match.best
            accepted = best is not None and best.score >= threshold and best.entry_id != "out-of-scope"
            ok = (not accepted) if expected == OOS else (accepted and best.entry_id == expected)
            if not ok:
                got = f"{best.entry_id} {best.score:.2f}" if best else "-"
                print(f"  {expected:24} <- {text!r}: got {got}")
    if args.grid:
        best_overall = (0.0, None)
        for rare in (0.0, 0.3, 0.5):
            m = Matcher(kb, normalizer, weights=Weights(rare_discount=rare))
            for dice, cover, answer in itertools.product((0.3, 0.45, 0.6), (0.25, 0.4, 0.55), (0.0, 0.1, 0.2)):
                fz = round(1 - dice - cover - answer, 3)
                if fz < 0:
                    continue
                m.weights = dataclasses.replace(m.weights, dice=dice, cover=cover, answer=answer, fuzz=fz)
                scores = evaluate(m, cases, thresholds)
                threshold, (acc_in, acc_oos, overall) = max(scores.items(), key=lambda kv: kv[1][2])
                if overall > best_overall[0]:
                    best_overall = (overall, (m.weights, threshold, acc_in, acc_oos))
                    print(f"{overall:.3f} in {acc_in:.3f} oos {acc_oos:.3f} at {threshold}: {m.weights}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
