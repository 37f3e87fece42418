"""Writing the knowledge base back as files, in one canonical form.

`supportbot kb export DIR` writes what the database holds in exactly the layout of
`knowledge/` (entries grouped into `entries/<group>.yaml`, fields in a fixed order, answers as
literal blocks), so exporting an unchanged import gives byte-identical files and a diff of
an export shows only what editors changed. The shipped files are kept in this form
(`supportbot kb fmt` rewrites a folder into it; a test checks the shipped one).
"""

from __future__ import annotations

import re
import shutil
from collections import OrderedDict
from pathlib import Path

import yaml

from .model import Entry

REFERENCE = ("regions.yaml", "countries.yaml", "synonyms.yaml")
LITERAL_SAFE = re.compile(r"^[^\t\r]*$")


def scalar(value: str) -> str:
    """A one-line YAML scalar: plain when YAML reads it back unchanged, else quoted."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_style=None)
    dumped = dumped[:-5] if dumped.endswith("\n...\n") else dumped.rstrip("\n")
    if "\n" in dumped:  # a long or odd string: let YAML quote it on one line
        dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_style='"').rstrip("\n")
    return dumped


def block(value: str, indent: str) -> str:
    """An answer: a literal block (`|-`) when it can be one, else a quoted scalar."""
    lines = value.split("\n")
    if (len(lines) > 1 or len(value) > 80) and LITERAL_SAFE.match(value) and value == value.strip() and all(
            line == line.rstrip() for line in lines) and lines[0] and not lines[0].startswith(" "):
        return "|-\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines)
    return scalar(value)


def dump_entry(entry: Entry) -> str:
    out = [f"- id: {scalar(entry.id)}", f"  group: {scalar(entry.group)}", "  title:",
           f"    ru: {scalar(entry.title.ru)}", f"    en: {scalar(entry.title.en)}", "  examples:"]
    for lang in ("ru", "en"):
        out.append(f"    {lang}:")
        out += [f"    - {scalar(x)}" for x in getattr(entry.examples, lang)]
    out.append("  answer:")
    for lang in ("ru", "en"):
        out.append(f"    {lang}: {block(entry.answer.get(lang), '      ')}")
    if entry.buttons:
        out.append("  buttons:")
        for button in entry.buttons:
            out += ["  - title:", f"      ru: {scalar(button.title.ru)}", f"      en: {scalar(button.title.en)}",
                    f"    payload: {scalar(button.payload)}"]
    if entry.followups:
        out.append(f"  followups: [{', '.join(scalar(f) for f in entry.followups)}]")
    if entry.compute:
        out.append(f"  compute: {entry.compute}")
    if entry.action:
        out.append(f"  action: {entry.action}")
    if entry.slots:
        out.append("  slots: {" + ", ".join(f"{scalar(k)}: {scalar(v)}" for k, v in entry.slots.items()) + "}")
    if entry.record:
        out.append(f"  record: {entry.record}")
    if entry.handoff:
        out.append("  handoff: true")
    return "\n".join(out) + "\n"


def dump_group(entries: list[Entry]) -> str:
    return "\n".join(dump_entry(e) for e in entries)


def group_files(entries: list[Entry]) -> OrderedDict[str, str]:
    """entries/<group>.yaml → text, groups in the order of their first entry."""
    groups: OrderedDict[str, list[Entry]] = OrderedDict()
    for entry in entries:
        groups.setdefault(entry.group, []).append(entry)
    return OrderedDict((f"{group}.yaml", dump_group(items)) for group, items in groups.items())


def export(entries: list[Entry], reference_dir: Path, target: Path) -> list[Path]:
    """Write a complete knowledge folder: entries from the database, reference files as they are."""
    written = []
    (target / "entries").mkdir(parents=True, exist_ok=True)
    for old in (target / "entries").glob("*.yaml"):
        old.unlink()
    for name, text in group_files(entries).items():
        path = target / "entries" / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for path in sorted(reference_dir.glob("messages*.yaml")) + [reference_dir / n for n in REFERENCE]:
        if path.exists() and path.resolve() != (target / path.name).resolve():
            shutil.copyfile(path, target / path.name)
            written.append(target / path.name)
    return written
