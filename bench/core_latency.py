"""Per-turn latency of the understanding core, in process.

    .venv/bin/python bench/core_latency.py [--examples 5000] [--turns 3000]

Two knowledge bases: the shipped one, and a generated one grown to `--examples` example
questions (the shipped entries plus synthetic topics whose examples recombine the shipped
vocabulary with new topic words, so the index has realistic posting lists). The queries are
the held-out paraphrases (knowledge/calibration.yaml), a share of them with typos.

Prints p50/p99 of `Matcher.match` (normalise, entities, retrieve, re-rank, decide), and of
a whole `Core.handle` turn on the shipped base (state and transcript in SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.matcher import Matcher  # noqa: E402
from intents.normalize import Normalizer  # noqa: E402
from knowledge import loader  # noqa: E402
from knowledge.model import Entry, KnowledgeBase  # noqa: E402

TOPIC_WORDS_RU = ["тариф", "пакет", "услуга", "роуминг", "баланс", "номер", "сим", "интернет", "звонок", "смс"]
TOPIC_WORDS_EN = ["tariff", "package", "service", "roaming", "balance", "number", "sim", "internet", "call", "text"]


def typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) > 5]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1 :]  # drop a letter
    return " ".join(words)


def grown(kb: KnowledgeBase, target: int, rng: random.Random) -> KnowledgeBase:
    entries = list(kb.entries)
    total = sum(len(e.examples.ru) + len(e.examples.en) for e in entries)
    words_ru = [w for e in kb.entries for x in e.examples.ru for w in x.split() if len(w) > 3]
    words_en = [w for e in kb.entries for x in e.examples.en for w in x.split() if len(w) > 3]
    n = 0
    while total < target:
        n += 1
        topic_ru = f"{rng.choice(TOPIC_WORDS_RU)}{n}"
        topic_en = f"{rng.choice(TOPIC_WORDS_EN)}{n}"
        ru = [" ".join([topic_ru, *rng.sample(words_ru, rng.randint(2, 6))]) for _ in range(10)]
        en = [" ".join([topic_en, *rng.sample(words_en, rng.randint(2, 6))]) for _ in range(10)]
        entries.append(Entry.model_validate({
            "id": f"synthetic-{n}", "group": "synthetic", "title": {"ru": topic_ru, "en": topic_en},
            "examples": {"ru": ru, "en": en}, "answer": {"ru": f"Ответ {n}", "en": f"Answer {n}"},
        }))
        total += 20
    return KnowledgeBase(entries, kb.regions, kb.countries, kb.synonyms, kb.messages)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    samples = sorted(samples)
    return (samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.99)] * 1000, statistics.mean(samples) * 1000)


def measure(matcher: Matcher, queries: list[str], turns: int) -> tuple[float, float, float]:
    for q in queries:  # warm the word caches, as a running bot has them
        matcher.match(q)
    samples = []
    for i in range(turns):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        matcher.match(q)
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)


async def measure_turns(queries: list[str], turns: int) -> tuple[float, float, float]:
    from intents.replies import Incoming
    from supportbot.config import Config
    from supportbot.runtime import open_runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime = await open_runtime(Config(), str(Path(tmp) / "bench.db"))
        try:
            samples = []
            for i in range(turns):
                msg = Incoming(channel="bench", user_id=f"u{i % 50}", text=queries[i % len(queries)])
                t0 = time.perf_counter()
                await runtime.core.handle(msg)
                samples.append(time.perf_counter() - t0)
        finally:
            await runtime.close()
    return percentiles(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--turns", type=int, default=3000)
    args = parser.parse_args()
    rng = random.Random(7)
    data = yaml.safe_load((ROOT / "knowledge" / "calibration.yaml").read_text(encoding="utf-8"))
    queries = [t for texts in data.values() for t in texts]
    queries += [typo(q, rng) for q in rng.sample(queries, len(queries) // 4)]
    rng.shuffle(queries)
    normalizer = Normalizer()
    kb = loader.load()
    for label, base in (("shipped", kb), (f"generated-{args.examples}", grown(kb, args.examples, rng))):
        t0 = time.perf_counter()
        matcher = Matcher(base, normalizer)
        built = time.perf_counter() - t0
        p50, p99, mean = measure(matcher, queries, args.turns)
        print(f"{label:16} {len(matcher.examples):5} examples, {len(base.entries):4} entries, index {built:.2f} s: "
              f"match p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms")
    p50, p99, mean = asyncio.run(measure_turns(queries, min(args.turns, 1500)))
    print(f"{'whole turn':16} (Core.handle, shipped base, SQLite): p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
