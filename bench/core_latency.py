"""Per-turn latency of the understanding core, in process.

    .venv/bin/python bench/core_latency.py [--examples 5000] [--turns 3000]

Two knowledge bases: the shipped one, and a generated one grown to `--examples` example
questions (the shipped entries plus synthetic topics whose examples recombine the shipped
vocabulary with new topic words, so the index has realistic posting lists). The queries are
the held-out paraphrases (knowledge/calibration.yaml), a share of them with typos.

Prints p50/p99 of `Matcher.match` (normalise, entities, retrieve, re-rank, decide), of the
whole reading (`KnowledgeHolder.read`: input repair, the match, the learned classifier and the
calibrated stacker; the generated base's model is trained first, which takes a minute), and of
a whole `Core.handle` turn on the shipped base (state and transcript in SQLite). Also how long
an editor's save takes to go live (the index rebuilt and the classifier retrained, the
calibration kept), and the first answer of `supportbot chat --jsonl` on a new database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.learned import train  # noqa: E402
from intents.matcher import Matcher  # noqa: E402
from intents.normalize import Normalizer  # noqa: E402
from intents.understanding import KnowledgeHolder  # noqa: E402
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
    return KnowledgeBase(entries, kb.regions, kb.countries, kb.synonyms, kb.messages, 0, kb.negatives, kb.calibration)


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


def measure_reads(holder: KnowledgeHolder, queries: list[str], turns: int) -> tuple[float, float, float]:
    for q in queries:
        holder.read(q)
    samples = []
    for i in range(turns):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        holder.read(q)
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)


async def measure_save() -> float:
    """Seconds from an editor's save to the new knowledge answering (`Runtime.reload_knowledge`)."""
    from kernel.clock import utcnow
    from supportbot.config import Config
    from supportbot.runtime import open_runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime = await open_runtime(Config(), str(Path(tmp) / "bench.db"))
        try:
            found = await runtime.kb_store.entry("lk-top-up")
            assert found is not None
            entry = found[0].model_copy(deep=True)
            entry.examples.ru.append("как закинуть денег на симку картой без процентов")
            await runtime.kb_store.save([entry], [], "bench", "bench", utcnow())
            t0 = time.perf_counter()
            await runtime.reload_knowledge(retrain=False)
            return time.perf_counter() - t0
        finally:
            await runtime.close()


def first_answer() -> float:
    """Seconds until `supportbot chat --jsonl` on a new database prints its first answer."""
    exe = Path(sys.executable).parent / "supportbot"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe), "chat", "--jsonl", "--db", str(Path(tmp) / "first.db")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"user": "u", "text": "как пополнить счёт"}, ensure_ascii=False) + "\n")
        proc.stdin.flush()
        proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        proc.stdin.close()
        proc.wait(timeout=30)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--no-model", action="store_true", help="time the matcher alone (no training)")
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
        if args.no_model:
            continue
        t0 = time.perf_counter()
        model = train(base, matcher, base.negatives)
        trained = time.perf_counter() - t0
        p50, p99, mean = measure_reads(KnowledgeHolder(base, matcher, model), queries, args.turns)
        print(f"{'':16} model trained in {trained:.1f} s: read (repair + match + model) p50 {p50:.3f} ms  "
              f"p99 {p99:.3f} ms  mean {mean:.3f} ms")
    p50, p99, mean = asyncio.run(measure_turns(queries, min(args.turns, 1500)))
    print(f"{'whole turn':16} (Core.handle, shipped base, SQLite): p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms")
    print(f"{'editor save':16} live again in {asyncio.run(measure_save()):.2f} s (index rebuilt, classifier retrained)")
    print(f"{'chat --jsonl':16} first answer on a new database after {first_answer():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
