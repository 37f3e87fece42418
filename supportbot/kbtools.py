"""`supportbot kb …`: checking the knowledge files, explaining how a phrase is understood."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from intents.matcher import Matcher
from intents.normalize import Normalizer
from knowledge import dumper, loader
from knowledge.model import KnowledgeBase

from .config import Config


@dataclass
class Clash:
    entry_id: str
    example: str
    other_id: str
    own_score: float
    other_score: float

    def __str__(self) -> str:
        return (f"{self.entry_id}: example {self.example!r} matches {self.other_id!r} better "
                f"({self.other_score:.2f} vs {self.own_score:.2f})")


def find_clashes(kb: KnowledgeBase, matcher: Matcher) -> tuple[list[Clash], int]:
    """Leave each example out in turn; report those another entry then wins. Returns (clashes, examples)."""
    clashes = []
    for number, example in enumerate(matcher.examples):
        own = matcher.entry_ids[example.entry]
        match = matcher.match(example.text, exclude=number, limit=10)
        if not match.candidates:
            clashes.append(Clash(own, example.text, "(nothing)", 0.0, 0.0))
            continue
        best = match.candidates[0]
        if best.entry_id != own:
            own_score = next((c.score for c in match.candidates if c.entry_id == own), 0.0)
            clashes.append(Clash(own, example.text, best.entry_id, own_score, best.score))
    return clashes, len(matcher.examples)


def knowledge_path(config: Config, path: str | None) -> Path:
    from .runtime import knowledge_dir

    return Path(path) if path else knowledge_dir(config)


def kb_command(config: Config, args: argparse.Namespace) -> int:
    if args.kb_command in ("export", "import"):
        import asyncio

        return asyncio.run(export_import(config, args))
    if args.kb_command == "fmt":
        return fmt(knowledge_path(config, args.dir))
    path = knowledge_path(config, getattr(args, "path", None))
    try:
        kb = loader.load(path)
    except loader.KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.kb_command == "train":
        return train_shipped(kb, config, path)
    if args.kb_command == "explain":
        print(explain(kb, config, args.text))
        return 0
    matcher = Matcher(kb, Normalizer(), config.understanding.threshold)
    clashes, total = find_clashes(kb, matcher)
    for clash in clashes:
        print(f"warning: {clash}")
    examples = sum(len(e.examples.ru) + len(e.examples.en) for e in kb.entries)
    print(f"{len(kb.entries)} entries, {examples} example questions, {len(kb.regions)} regions: files are valid; "
          f"{len(clashes)} examples match another entry better ({100 * (1 - len(clashes) / max(total, 1)):.1f}% "
          "answer their own entry)")
    return 1 if clashes and args.strict else 0


def explain(kb: KnowledgeBase, config: Config, text: str) -> str:
    """How a message is read: the repair, the matcher's scores with their parts, and — with the
    model trained for these files — the classifier's guesses and each candidate's probability."""
    from backends.sandbox import SERVICES
    from intents.learned import FEATURES, NONE_VETO, candidate_features, documents, knowledge_digest, none_ahead
    from intents.understanding import KnowledgeHolder

    from .runtime import SHIPPED_MODEL, shipped_model, with_catalogue

    kb = with_catalogue(kb, [name for s in SERVICES for name in (s.name_ru, s.name_en, *s.aliases)])
    holder = KnowledgeHolder.build(kb, Normalizer(), config.understanding.threshold)
    repair = holder.repair(text)
    lines = []
    if repair.repaired:
        lines.append(f"read as: {repair.text!r} ({repair.kind})")
    lines.append(holder.matcher.explain(repair.text))
    model = shipped_model(knowledge_digest(kb, kb.negatives))
    if model is None:
        lines.append(f"no trained model for these files in {SHIPPED_MODEL} (supportbot kb train): the matcher decides")
        return "\n".join(lines)
    holder = holder.with_model(model)
    reading = holder.read(text)
    scores = model.classifier.decision(documents(reading.analysis))
    best = sorted(zip(model.classifier.classes, scores.tolist(), strict=True), key=lambda x: -x[1])[:3]
    lines.append("classifier: " + ", ".join(f"{name} {score:.2f}" for name, score in best))
    assert holder.understanding is not None
    names, rows = candidate_features(reading.candidates, reading.analysis, scores, model.classifier.classes,
                                     holder.matcher, core=holder.understanding.core)
    probabilities = model.stacker.probability(rows) if len(names) else []
    for name, row, p in sorted(zip(names, rows, probabilities, strict=True), key=lambda x: -x[2])[:5]:
        parts = ", ".join(f"{f}={v:.2f}" for f, v in zip(FEATURES, row, strict=True) if v)
        lines.append(f"{p:.3f} {name} ← {parts}")
    stacker = model.stacker
    verdict = f"answer: {reading.entry_id}" if reading.entry_id else "no answer (the nearest topics and the operator)"
    ahead = none_ahead(scores, model.classifier.classes)
    veto = f"; the classifier's 'none of them' is {ahead:.2f} ahead (> {NONE_VETO}): declined" if ahead > NONE_VETO else ""
    lines.append(f"probability {reading.score} (answered from {stacker.threshold}, or {stacker.agreed} when the "
                 f"matcher alone answers the same){veto}: {verdict}")
    return "\n".join(lines)


def train_shipped(kb: KnowledgeBase, config: Config, path: Path) -> int:
    """Train the understanding model for the knowledge files (with the sandbox's service names, as
    a first start has them) and write it next to them, so that no start has to train."""
    import time

    from backends.sandbox import SERVICES
    from intents import tonemodel
    from intents.learned import train

    from .runtime import SHIPPED_MODEL, SHIPPED_TOKENS, with_catalogue

    started = time.perf_counter()
    toned = tonemodel.train_for(kb, path)
    if toned is not None:
        tone_model, stats = toned
        (path / tonemodel.SHIPPED.name).write_bytes(tone_model.to_bytes())
        print(f"tone model: thresholds {tone_model.thresholds}; out-of-fold "
              + ", ".join(f"{k} {v:.2f}" for k, v in stats.items()) + f" ({time.perf_counter() - started:.1f} s)")
    names = [name for s in SERVICES for name in (s.name_ru, s.name_en, *s.aliases)]
    kb = with_catalogue(kb, names)
    started = time.perf_counter()
    normalizer = Normalizer(record=True)
    matcher = Matcher(kb, normalizer, config.understanding.threshold)
    model = train(kb, matcher, kb.negatives)
    target = path / SHIPPED_MODEL.name
    target.write_bytes(model.to_bytes())
    (path / SHIPPED_TOKENS.name).write_bytes(normalizer.token_table().to_bytes())
    print(f"trained on {len(matcher.examples)} examples and {len(kb.negatives)} negatives in "
          f"{time.perf_counter() - started:.1f} s; answer threshold {model.stacker.threshold:.2f}; wrote {target} "
          f"({target.stat().st_size // 1024} KB)")
    return 0


def fmt(path: Path) -> int:
    """Rewrite the entry files in the canonical form (content unchanged)."""
    try:
        entries = loader.load_entries(path)
    except loader.KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files = dumper.group_files(entries)
    for old in (path / "entries").glob("*.yaml"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (path / "entries" / name).write_text(text, encoding="utf-8")
    print(f"{len(entries)} entries in {len(files)} files")
    return 0


async def export_import(config: Config, args: argparse.Namespace) -> int:
    from kernel.clock import utcnow
    from storage.knowledge import KnowledgeStore
    from storage.schema import migrate

    from .database import open_database
    from .runtime import knowledge_dir

    target = Path(args.dir)
    db = await open_database(config, args.db)
    try:
        await migrate(db)
        store = KnowledgeStore(db)
        if not await store.revision():  # a fresh database starts from the shipped files, as the bot does
            await store.seed(loader.load_entries(knowledge_dir(config)), utcnow())
        if args.kb_command == "export":
            written = dumper.export(await store.entries(), knowledge_dir(config), target)
            print(f"wrote {len(written)} files to {target}")
            return 0
        try:
            kb = loader.load(target)
        except loader.KnowledgeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        revision = await store.replace_all(kb.entries, "import", utcnow())
        print(f"imported {len(kb.entries)} entries: knowledge base revision {revision}")
        return 0
    finally:
        await db.close()
