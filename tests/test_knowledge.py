"""The knowledge files: they load, they are complete, every entry answers its own examples,
broken files give clear errors, and `supportbot kb check` works."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from servers import run_main

from intents.computed import compute
from intents.matcher import Matcher
from knowledge import loader
from knowledge.model import ACTIONS, MAX_ANSWER, KnowledgeBase

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_FILES = ("regions.yaml", "countries.yaml", "synonyms.yaml", "messages.yaml", "messages_account.yaml",
                   "messages_handoff.yaml", "messages_diagnose.yaml")
MAX_REPLY = 1200
# clocks that give every peak-hours status: weekday peak, evening, quiet night, weekend (UTC; MSK = UTC+3)
CLOCKS = [datetime(2026, 11, 24, 12, 20, tzinfo=UTC), datetime(2026, 11, 24, 16, 30, tzinfo=UTC),
          datetime(2026, 11, 24, 21, 5, tzinfo=UTC), datetime(2026, 11, 28, 9, 0, tzinfo=UTC)]
# messages the dialogue core and the operator queue use, with the values they fill in
CORE_MESSAGES = {
    "welcome": {}, "help": {}, "menu": {}, "rephrase": {}, "did_you_mean": {}, "offer_operator": {},
    "operator_declined": {}, "operator_button": {}, "yes": {}, "no": {}, "nothing_to_cancel": {}, "stale_button": {},
    "empty": {}, "too_long": {"limit": 4000}, "peak_peak": {"time": "15:20"}, "peak_evening": {"time": "20:00"},
    "peak_quiet": {"time": "22:30"}, "peak_weekend": {"time": "12:00"}, "region_number": {"region": "R", "phone": "P"},
    "region_no_number": {"region": "R"}, "queued": {"position": 1, "wait": "W"}, "queued_no_agents": {"position": 1},
    "queued_long_wait": {"position": 1, "wait": "W"}, "still_queued": {"position": 1, "wait": "W"},
    "queue_cancelled": {}, "feedback_button": {}, "cancel_queue_button": {}, "minutes": {"n": 3},
    "less_than_minute": {}, "unknown_wait": {},
}


# -- the shipped files ------------------------------------------------------------------------


def test_every_shipped_file_loads(kb: KnowledgeBase) -> None:
    files = sorted((loader.SHIPPED / "entries").glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(raw, list) and raw, path
        assert loader.parse_entries(raw, str(path)), path
    for name in REFERENCE_FILES:
        assert yaml.safe_load((loader.SHIPPED / name).read_text(encoding="utf-8")), name
    fresh = loader.load()
    assert [e.id for e in fresh.entries] == [e.id for e in kb.entries]
    assert len(kb.entries) >= 40
    assert len(kb.regions) >= 80
    assert kb.countries and kb.synonyms and kb.messages


def test_ids_are_unique(kb: KnowledgeBase) -> None:
    ids = [e.id for e in kb.entries]
    assert len(ids) == len(set(ids))
    assert set(kb.by_id) == set(ids)


def test_every_entry_has_both_languages(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert entry.examples.ru and entry.examples.en, entry.id
        assert entry.answer.ru.strip() and entry.answer.en.strip(), entry.id
        assert entry.title.ru.strip() and entry.title.en.strip(), entry.id
        assert all(x.strip() for x in entry.examples.ru + entry.examples.en), entry.id


def test_answers_fit_a_message(kb: KnowledgeBase) -> None:
    too_long = [(e.id, lang, len(e.answer.get(lang))) for e in kb.entries for lang in ("ru", "en")
                if len(e.answer.get(lang)) > MAX_ANSWER]
    assert MAX_ANSWER == 1100
    assert too_long == []


def test_computed_answers_fit_a_message(kb: KnowledgeBase) -> None:
    computed = [e for e in kb.entries if e.compute]
    assert {e.compute for e in computed} == {"peak_hours", "region_number"}
    too_long = []
    for entry in computed:
        for lang in ("ru", "en"):
            for region in [None, *(r.id for r in kb.regions)]:
                for now in CLOCKS:
                    line = compute(entry.compute, kb, now, lang, region)  # type: ignore[arg-type]
                    text = f"{line}\n\n{entry.answer.get(lang)}" if line else entry.answer.get(lang)
                    if len(text) > MAX_REPLY:
                        too_long.append((entry.id, lang, region, len(text)))
    assert too_long == []


def test_actions_and_handoff_entries(kb: KnowledgeBase) -> None:
    actions = {e.action for e in kb.entries if e.action}
    assert actions <= set(ACTIONS)
    assert "autopay" in actions and "balance" in actions
    assert [e.id for e in kb.entries if e.handoff] == ["operator-request"]
    assert kb.by_id["out-of-scope"].out_of_scope


def test_regions_are_valid(kb: KnowledgeBase) -> None:
    assert len(kb.regions_by_id) == len(kb.regions)
    for region in kb.regions:
        ZoneInfo(region.tz)  # a real time zone
        assert region.aliases.ru and region.aliases.en, region.id
    phones = {r.id: r.support_phone for r in kb.regions if r.support_phone}
    assert phones["kemerovo-oblast"] == "(904) 990-00-00"
    assert phones["nizhny-novgorod-oblast"] == "(831) 291-16-11"
    assert kb.regions_by_id["tomsk-oblast"].support_phone is None


@pytest.mark.parametrize(("key", "values"), sorted(CORE_MESSAGES.items()))
def test_core_messages_exist_in_both_languages(kb: KnowledgeBase, key: str, values: dict) -> None:
    for lang in ("ru", "en"):
        text = kb.message(key, lang, **values)
        assert text.strip()
        assert "{" not in text, (key, lang, text)  # every placeholder filled


def test_unknown_message_key_is_a_clear_error(kb: KnowledgeBase) -> None:
    with pytest.raises(KeyError, match="no_such_message"):
        kb.message("no_such_message", "ru")


# -- every entry answers its own examples (in-sample: must be 100%) ---------------------------

# Own examples the matcher sends elsewhere: the right entry is cut from the shortlist because
# retrieval ranks by content words only, before marks like @neg are counted (see the xfail below).
KNOWN_MISROUTED = {
    ("support-other-phone", "which number if my phone isn't on tele2"),
    ("cant-get-through", "не могу дозвониться в теле2"),
}


def _own_example_failures(kb: KnowledgeBase, matcher: Matcher) -> list[tuple[str, str, str]]:
    failures = []
    for entry in kb.entries:
        for lang, text in entry.examples.all():
            match = matcher.match(text, lang)
            if match.best is None or match.best.entry_id != entry.id or not match.confident:
                got = f"{match.best.entry_id} {match.best.score:.2f}" if match.best else "nothing"
                failures.append((entry.id, text, got))
    return failures


def test_every_entry_answers_its_own_examples(kb: KnowledgeBase, matcher: Matcher) -> None:
    failures = [f for f in _own_example_failures(kb, matcher) if (f[0], f[1]) not in KNOWN_MISROUTED]
    assert failures == [], "\n".join(f"[{e}] {t!r} → {g}" for e, t, g in failures)


@pytest.mark.parametrize(("entry_id", "text"), sorted(KNOWN_MISROUTED))
def test_known_misrouted_own_example(matcher: Matcher, entry_id: str, text: str) -> None:
    match = matcher.match(text)
    assert match.best is not None
    assert (match.best.entry_id, match.confident) == (entry_id, True)


def test_follow_ups_exist(kb: KnowledgeBase) -> None:
    with_followups = [e for e in kb.entries if e.followups]
    assert len(with_followups) >= len(kb.entries) - 3
    for entry in with_followups:
        for ref in entry.followups:
            assert ref in kb.by_id, (entry.id, ref)
            assert ref != entry.id
        assert len(set(entry.followups)) == len(entry.followups), entry.id


# -- broken files -----------------------------------------------------------------------------

ENTRY = """\
- id: {id}
  group: test
  title: {{ru: Тест, en: Test}}
  examples: {{ru: [тестовый вопрос про {id}], en: [test question about {id}]}}
  answer:
    ru: Ответ
{en}  followups: {followups}
{extra}"""


def entry_yaml(entry_id: str = "t-one", *, en: str = "    en: Answer\n", followups: str = "[]", extra: str = "") -> str:
    return ENTRY.format(id=entry_id, en=en, followups=followups, extra=extra)


def knowledge_folder(root: Path, entries: dict[str, str]) -> Path:
    """A knowledge folder with copies of the shipped reference files and the given entry files."""
    folder = root / "kb"
    (folder / "entries").mkdir(parents=True)
    for name in REFERENCE_FILES:
        shutil.copy(loader.SHIPPED / name, folder / name)
    for name, text in entries.items():
        (folder / "entries" / name).write_text(text, encoding="utf-8")
    return folder


def test_a_valid_temp_folder_loads(tmp_path: Path) -> None:
    folder = knowledge_folder(tmp_path, {"a.yaml": entry_yaml("t-one"), "b.yaml": entry_yaml("t-two", followups="[t-one]")})
    kb = loader.load(folder)
    assert [e.id for e in kb.entries] == ["t-one", "t-two"]
    assert kb.by_id["t-two"].followups == ["t-one"]


@pytest.mark.parametrize(
    ("files", "must_mention"),
    [
        pytest.param({"a.yaml": entry_yaml("t-dup"), "b.yaml": entry_yaml("t-dup")}, ["duplicate", "t-dup"], id="duplicate-id"),
        pytest.param({"a.yaml": entry_yaml(en="")}, ["a.yaml", "t-one", "answer.en"], id="missing-en-answer"),
        pytest.param({"a.yaml": entry_yaml(followups="[t-missing]")}, ["t-one", "t-missing", "does not exist"],
                     id="unknown-follow-up"),
        pytest.param({"a.yaml": entry_yaml(followups="[t-one]")}, ["t-one", "itself"], id="self-follow-up"),
        pytest.param({"a.yaml": entry_yaml(), "bad.yaml": "- id: [unclosed\n  group: x\n"}, ["bad.yaml", "not valid YAML"],
                     id="bad-yaml"),
        pytest.param({"a.yaml": entry_yaml(extra="  action: teleport\n")}, ["a.yaml", "t-one", "unknown action 'teleport'"],
                     id="unknown-action"),
        pytest.param({"a.yaml": entry_yaml(extra="  compute: weather\n")}, ["a.yaml", "t-one", "compute"], id="unknown-compute"),
        pytest.param({"a.yaml": entry_yaml("Bad_Id")}, ["a.yaml", "Bad_Id", "id"], id="bad-id"),
        pytest.param({"a.yaml": entry_yaml(extra="  colour: red\n")}, ["a.yaml", "t-one", "colour"], id="unknown-field"),
        pytest.param({"a.yaml": entry_yaml(en="    en: " + "x" * 1200 + "\n")}, ["a.yaml", "t-one", "over 1100"],
                     id="answer-too-long"),
        pytest.param({"a.yaml": entry_yaml().replace("en: [test question about t-one]", "en: []")},
                     ["a.yaml", "t-one", "no en example"], id="no-en-examples"),
        pytest.param({"a.yaml": "id: t-one\ngroup: test\n"}, ["a.yaml", "expected a list"], id="not-a-list"),
    ],
)
def test_broken_entries_give_a_clear_error(tmp_path: Path, files: dict[str, str], must_mention: list[str]) -> None:
    folder = knowledge_folder(tmp_path, files)
    with pytest.raises(loader.KnowledgeError) as caught:
        loader.load(folder)
    message = str(caught.value)
    for part in must_mention:
        assert part in message, message


def test_broken_reference_file_is_named(tmp_path: Path) -> None:
    folder = knowledge_folder(tmp_path, {"a.yaml": entry_yaml()})
    (folder / "regions.yaml").write_text("- id: x\n  name: {ru: X}\n", encoding="utf-8")
    with pytest.raises(loader.KnowledgeError, match=r"regions\.yaml"):
        loader.load(folder)


def test_missing_entries_folder(tmp_path: Path) -> None:
    with pytest.raises(loader.KnowledgeError, match="no such folder"):
        loader.load_entries(tmp_path)
    (tmp_path / "entries").mkdir()
    with pytest.raises(loader.KnowledgeError, match="no entries"):
        loader.load_entries(tmp_path)


def test_missing_bot_message_is_reported(tmp_path: Path) -> None:
    folder = knowledge_folder(tmp_path, {"a.yaml": entry_yaml()})
    messages = yaml.safe_load((folder / "messages.yaml").read_text(encoding="utf-8"))
    del messages["rephrase"]
    (folder / "messages.yaml").write_text(yaml.safe_dump(messages, allow_unicode=True), encoding="utf-8")
    with pytest.raises(loader.KnowledgeError, match="rephrase"):
        loader.load(folder)


def test_computed_entry_cannot_exceed_the_reply_limit(tmp_path: Path) -> None:
    answer = "    en: " + "x" * MAX_ANSWER + "\n"
    folder = knowledge_folder(tmp_path, {"a.yaml": entry_yaml(en=answer, extra="  compute: region_number\n")})
    try:
        kb = loader.load(folder)
    except loader.KnowledgeError:
        return  # rejected: fine
    line = compute("region_number", kb, CLOCKS[0], "en", "tomsk-oblast")
    assert line is not None
    assert len(f"{line}\n\n{kb.entries[0].answer.en}") <= MAX_REPLY


# -- `supportbot kb check` --------------------------------------------------------------------


def run_supportbot(*args: str) -> subprocess.CompletedProcess[str]:
    """`supportbot ARGS` through its entry point, in this process."""
    return run_main(*args, cwd=ROOT)


def test_kb_check_shipped(kb: KnowledgeBase) -> None:
    result = run_supportbot("kb", "check")
    assert result.returncode == 0, result.stderr
    examples = sum(len(e.examples.ru) + len(e.examples.en) for e in kb.entries)
    summary = re.search(r"^(\d+) entries, (\d+) example questions, (\d+) regions: files are valid; (\d+) examples match "
                        r"another entry better \(([\d.]+)% answer their own entry\)$", result.stdout, re.MULTILINE)
    assert summary, result.stdout[-2000:]
    assert int(summary.group(1)) == len(kb.entries)
    assert int(summary.group(2)) == examples
    assert int(summary.group(3)) == len(kb.regions)
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == int(summary.group(4))
    assert "error" not in result.stderr.lower()


def test_kb_check_broken_folder(tmp_path: Path) -> None:
    folder = knowledge_folder(tmp_path, {"a.yaml": entry_yaml(followups="[t-missing]")})
    result = run_supportbot("kb", "check", str(folder))
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "t-missing" in result.stderr
    assert "files are valid" not in result.stdout


def test_the_canonical_form_keeps_every_field(kb: KnowledgeBase) -> None:
    """`kb fmt` and the editor's export write entries back as YAML: nothing may be lost (slots,
    record, buttons, compute …) — every shipped entry survives the round trip unchanged."""
    import yaml

    from knowledge.dumper import dump_entry
    from knowledge.loader import parse_entries

    for entry in kb.entries:
        (again,) = parse_entries(yaml.safe_load(dump_entry(entry)), entry.id)
        assert again == entry, entry.id
    assert {e.id for e in kb.entries if e.slots} >= {"complaint"} and kb.by_id["praise"].record == "praise"
