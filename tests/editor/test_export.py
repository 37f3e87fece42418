"""`supportbot kb export / import / fmt / check`: the database's knowledge base round-trips to
the shipped files byte for byte, an import is one revision (or none), the shipped files are in
the canonical form, and a broken folder fails the check."""

from __future__ import annotations

import difflib
import filecmp
import json
import re
import shutil
from pathlib import Path

import dbaccess
import pytest
from servers import run_main

from .conftest import KNOWLEDGE

REFERENCE = ["regions.yaml", "countries.yaml", "synonyms.yaml"]
MESSAGES = sorted(p.name for p in KNOWLEDGE.glob("messages*.yaml"))
ENTRY_FILES = sorted(p.name for p in (KNOWLEDGE / "entries").glob("*.yaml"))
OLD_WORDS = "В поездках по России и за границей звоните"
NEW_WORDS = "В поездках по России и за рубежом звоните"

pytestmark = pytest.mark.timeout(180)


def kb(*args: str, cwd: Path) -> str:
    """`supportbot kb ARGS` through its entry point (cwd has no config.toml: the defaults, the shipped
    knowledge folder); stdout."""
    result = run_main("kb", *args, cwd=cwd)
    assert result.returncode == 0, f"kb {' '.join(args)} failed ({result.returncode}): {result.stderr}"
    return result.stdout


def copy_knowledge(target: Path) -> Path:
    """The YAML files of the shipped knowledge folder (entries and reference files)."""
    (target / "entries").mkdir(parents=True)
    for name in ENTRY_FILES:
        shutil.copyfile(KNOWLEDGE / "entries" / name, target / "entries" / name)
    for name in REFERENCE + MESSAGES:
        shutil.copyfile(KNOWLEDGE / name, target / name)
    return target


def assert_same_tree(exported: Path, expected: Path) -> None:
    """Every shipped YAML file exported byte for byte, and nothing else."""
    assert sorted(p.name for p in (exported / "entries").iterdir()) == ENTRY_FILES
    match, mismatch, errors = filecmp.cmpfiles(expected / "entries", exported / "entries", ENTRY_FILES, shallow=False)
    assert (mismatch, errors) == ([], []), f"entry files differ: {mismatch} {errors}"
    assert match == ENTRY_FILES
    assert sorted(p.name for p in exported.iterdir() if p.is_file()) == sorted(REFERENCE + MESSAGES)
    match, mismatch, errors = filecmp.cmpfiles(expected, exported, REFERENCE + MESSAGES, shallow=False)
    assert (mismatch, errors) == ([], []), f"reference files differ: {mismatch} {errors}"
    assert sorted(match) == sorted(REFERENCE + MESSAGES)


def db_revision(db: Path) -> int:
    return int(dbaccess.query(db, "SELECT value FROM kb_meta WHERE key = 'revision'")[0]["value"])


def printed_revision(output: str) -> int:
    found = re.search(r"revision (\d+)", output)
    assert found, output
    return int(found.group(1))


def test_export_import_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    out = tmp_path / "out"
    assert "wrote" in kb("export", str(out), "--db", str(db), cwd=tmp_path)
    assert_same_tree(out, KNOWLEDGE)
    start = db_revision(db)

    # importing the shipped folder changes nothing
    assert printed_revision(kb("import", str(KNOWLEDGE), "--db", str(db), cwd=tmp_path)) == start
    assert db_revision(db) == start
    again = tmp_path / "again"
    kb("export", str(again), "--db", str(db), cwd=tmp_path)
    assert_same_tree(again, KNOWLEDGE)

    # one answer line changed in a copy: one new revision, and the export shows exactly that line
    changed = copy_knowledge(tmp_path / "changed")
    roaming = changed / "entries" / "roaming.yaml"
    text = roaming.read_text(encoding="utf-8")
    assert text.count(OLD_WORDS) == 1
    old_line = next(line for line in text.splitlines() if OLD_WORDS in line)
    new_line = old_line.replace(OLD_WORDS, NEW_WORDS)
    roaming.write_text(text.replace(OLD_WORDS, NEW_WORDS), encoding="utf-8")
    revision = printed_revision(kb("import", str(changed), "--db", str(db), cwd=tmp_path))
    assert revision == start + 1 == db_revision(db)
    after = tmp_path / "after"
    kb("export", str(after), "--db", str(db), cwd=tmp_path)
    assert_same_tree(after, changed)
    others = [n for n in ENTRY_FILES if n != "roaming.yaml"]
    assert filecmp.cmpfiles(KNOWLEDGE / "entries", after / "entries", others, shallow=False)[1] == []
    diff = [line for line in difflib.unified_diff(
        (KNOWLEDGE / "entries" / "roaming.yaml").read_text(encoding="utf-8").splitlines(),
        (after / "entries" / "roaming.yaml").read_text(encoding="utf-8").splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert diff == ["-" + old_line, "+" + new_line]

    # the revision log names the changed entry, by the import
    rows = dbaccess.query(db, "SELECT author, message, changes FROM kb_revisions ORDER BY id")
    assert [(r["author"], r["message"]) for r in rows] == [("files", "the shipped knowledge base"), ("import", "import")]
    changes = json.loads(rows[-1]["changes"])
    assert [c["id"] for c in changes] == ["roaming-support"]
    assert OLD_WORDS in changes[0]["before"]["answer"]["ru"] and NEW_WORDS in changes[0]["after"]["answer"]["ru"]


@pytest.mark.storage_free  # the knowledge files only
def test_fmt_leaves_the_shipped_files_unchanged(tmp_path: Path) -> None:
    copy = copy_knowledge(tmp_path / "copy")
    output = kb("fmt", str(copy), cwd=tmp_path)
    assert re.search(r"\d+ entries in \d+ files", output), output
    assert_same_tree(copy, KNOWLEDGE)


@pytest.mark.storage_free  # the knowledge files only
def test_fmt_rewrites_a_reformatted_file_into_the_canonical_form(tmp_path: Path) -> None:
    """The other direction: the same content written differently comes back as the shipped file."""
    import yaml

    copy = copy_knowledge(tmp_path / "copy")
    social = copy / "entries" / "social.yaml"
    data = yaml.safe_load(social.read_text(encoding="utf-8"))
    social.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True, default_flow_style=True, width=70),
                      encoding="utf-8")
    assert not filecmp.cmp(social, KNOWLEDGE / "entries" / "social.yaml", shallow=False)
    kb("fmt", str(copy), cwd=tmp_path)
    assert_same_tree(copy, KNOWLEDGE)


def _follow_up_to_nowhere(folder: Path) -> None:
    path = folder / "entries" / "roaming.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("followups: [roaming-write, web-chat]", "followups: [roaming-write, no-such-entry]"),
                    encoding="utf-8")


def _duplicate_id(folder: Path) -> None:
    path = folder / "entries" / "roaming.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("- id: roaming-write", "- id: roaming-support"),
                    encoding="utf-8")


@pytest.mark.storage_free  # the knowledge files only
@pytest.mark.parametrize("breakage", [_follow_up_to_nowhere, _duplicate_id], ids=["missing-follow-up", "duplicate-id"])
def test_check_fails_on_a_broken_copy(tmp_path: Path, breakage: object) -> None:
    copy = copy_knowledge(tmp_path / "broken")
    breakage(copy)  # type: ignore[operator]
    result = run_main("kb", "check", str(copy), cwd=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "error" in result.stderr and "roaming" in result.stderr
    assert "files are valid" not in result.stdout
