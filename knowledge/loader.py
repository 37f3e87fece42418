"""Load and validate the knowledge files (YAML) into a `KnowledgeBase`."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import Entry, KnowledgeBase, Region, Text

SHIPPED = Path(__file__).resolve().parent
# libyaml's parser where PyYAML has it (its wheels do): the reference data loads ~10x faster,
# which every start of every command pays
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge file is broken; the message names the file and the entry."""


class ParsedFiles:
    """Parsed YAML files by path, modification time and size, for a process that loads the same
    knowledge many times (the test suite opens hundreds of runtimes); each read gets its own copy
    (kept pickled: unpickling is several times cheaper than parsing), so nobody shares mutable data."""

    def __init__(self) -> None:
        self._blobs: dict[tuple[str, int, int], bytes] = {}

    def read(self, path: Path) -> Any:
        try:
            stat = path.stat()
        except OSError as exc:
            raise KnowledgeError(f"{path}: cannot read: {exc}") from exc
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        blob = self._blobs.get(key)
        if blob is not None:
            return pickle.loads(blob)  # noqa: S301 - our own bytes, made just below
        data = _parse_yaml(path)
        self._blobs[key] = pickle.dumps(data)
        return data


def _read_yaml(path: Path, files: ParsedFiles | None = None) -> Any:
    return files.read(path) if files is not None else _parse_yaml(path)


def _parse_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "entry"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_entries(raw: Any, source: str) -> list[Entry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise KnowledgeError(f"{source}: expected a list of entries")
    entries = []
    for number, item in enumerate(raw, 1):
        label = item.get("id", f"#{number}") if isinstance(item, dict) else f"#{number}"
        try:
            entries.append(Entry.model_validate(item))
        except ValidationError as exc:
            raise KnowledgeError(f"{source}: entry {label}: {_describe(exc)}") from exc
    return entries


def check_references(entries: list[Entry]) -> None:
    """Ids are unique and follow-ups point at existing entries."""
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            raise KnowledgeError(f"duplicate id {entry.id!r} (groups {seen[entry.id]} and {entry.group})")
        seen[entry.id] = entry.group
    for entry in entries:
        for ref in entry.followups:
            if ref not in seen:
                raise KnowledgeError(f"entry {entry.id!r}: follow-up {ref!r} does not exist")
            if ref == entry.id:
                raise KnowledgeError(f"entry {entry.id!r}: follows up itself")


def load_entries(directory: Path, files: ParsedFiles | None = None) -> list[Entry]:
    folder = directory / "entries"
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: no such folder")
    entries: list[Entry] = []
    for path in sorted(folder.glob("*.yaml")):
        entries.extend(parse_entries(_read_yaml(path, files), str(path)))
    if not entries:
        raise KnowledgeError(f"{folder}: no entries")
    check_references(entries)
    return entries


def load_reference(directory: Path, files: ParsedFiles | None = None
                   ) -> tuple[list[Region], dict[str, list[str]], dict[str, list[str]], dict[str, Text]]:
    regions_raw = _read_yaml(directory / "regions.yaml", files) or []
    try:
        regions = [Region.model_validate(r) for r in regions_raw]
    except ValidationError as exc:
        raise KnowledgeError(f"{directory / 'regions.yaml'}: {_describe(exc)}") from exc
    countries = _read_yaml(directory / "countries.yaml", files) or {}
    synonyms = _read_yaml(directory / "synonyms.yaml", files) or {}
    if not isinstance(synonyms, dict) or not all(isinstance(v, list) for v in synonyms.values()):
        raise KnowledgeError(f"{directory / 'synonyms.yaml'}: expected concept: [words] mappings")
    messages: dict[str, Text] = {}
    for path in sorted(directory.glob("messages*.yaml")):
        raw = _read_yaml(path, files) or {}
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path}: expected key: {{ru: …, en: …}} mappings")
        for key, value in raw.items():
            if key in messages:
                raise KnowledgeError(f"{path}: message {key!r} is defined twice")
            try:
                messages[str(key)] = Text.model_validate(value)
            except ValidationError as exc:
                raise KnowledgeError(f"{path}: message {key!r}: {_describe(exc)}") from exc
    if directory.resolve() != SHIPPED:
        shipped = {str(k) for path in SHIPPED.glob("messages*.yaml") for k in (_read_yaml(path, files) or {})}
        missing = sorted(shipped - set(messages))
        if missing:
            raise KnowledgeError(f"{directory}: messages missing: {', '.join(missing[:10])}"
                                 + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
    return regions, countries, synonyms, messages


# Messages the base does not answer: `negatives.yaml` (also the tone model's calm messages) and
# `negatives_uncovered.yaml` (telecom subjects the entries do not cover; the understanding model only)
NEGATIVE_FILES = ("negatives.yaml", "negatives_uncovered.yaml")


def load_negatives(directory: Path, files: ParsedFiles | None = None, names: tuple[str, ...] = NEGATIVE_FILES
                   ) -> list[str]:
    """The negatives files: messages the base does not answer ({ru: [...], en: [...]}); optional."""
    out = []
    for name in names:
        path = directory / name
        if not path.exists():
            continue
        raw = _read_yaml(path, files) or {}
        if not isinstance(raw, dict) or set(raw) - {"ru", "en"} or not all(isinstance(v, list) for v in raw.values()):
            raise KnowledgeError(f"{path}: expected ru: [messages] and en: [messages]")
        for lang, texts in raw.items():
            for text in texts:
                if not isinstance(text, str) or not text.strip():
                    raise KnowledgeError(f"{path}: {lang}: a message must be non-empty text")
                out.append(text.strip())
    return out


def load_calibration(directory: Path, files: ParsedFiles | None = None) -> list[tuple[str, str]]:
    """`calibration.yaml`: entry id -> messages it must answer ("__oos__": none may); optional."""
    path = directory / "calibration.yaml"
    if not path.exists():
        return []
    raw = _read_yaml(path, files) or {}
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise KnowledgeError(f"{path}: expected entry id: [messages]")
    return [(str(text).strip(), str(entry_id)) for entry_id, texts in raw.items() for text in texts if str(text).strip()]


def load(directory: Path = SHIPPED, entries: list[Entry] | None = None, revision: int = 0,
         files: ParsedFiles | None = None) -> KnowledgeBase:
    """Load the knowledge base from `directory`; `entries` (from the database) replace the files'."""
    regions, countries, synonyms, messages = load_reference(directory, files)
    if entries is None:
        entries = load_entries(directory, files)
    else:
        check_references(entries)
    return KnowledgeBase(entries, regions, countries, synonyms, messages, revision, load_negatives(directory, files),
                         load_calibration(directory, files))
