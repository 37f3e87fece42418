"""The editor's JSON API against the real server: validation (400 naming the field, nothing
saved), CSRF and roles, "nothing changed", retire and rollback as the bot sees them, and the
revision diffs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Api, Server, answer_text, ask

# one test process runs the module: its server (and each save's retraining) is a module fixture
pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("editor-api")]
Entry = dict[str, Any]


def _new(entry: Entry) -> Entry:
    entry["id"] = "travel-sim-test"
    entry["examples"] = {"ru": ["где купить местную симку в поездке"], "en": ["where to buy a local sim abroad"]}
    entry["followups"] = []
    return entry


def _set(path: str, value: Any) -> Callable[[Entry], Entry]:
    def change(entry: Entry) -> Entry:
        *head, last = path.split(".")
        target = entry
        for key in head:
            target = target[key]
        target[last] = value
        return entry

    return change


def _repeat_example(entry: Entry) -> Entry:
    entry["examples"]["ru"].append(entry["examples"]["ru"][0])
    return entry


def _missing_follow_up(entry: Entry) -> Entry:
    entry["followups"] = [*entry["followups"], "no-such-entry"]
    return entry


def _bad_id(entry: Entry) -> Entry:
    entry = _new(entry)
    entry["id"] = "Bad Id!"
    return entry


# (case id, new entry?, change to social-networks, words every one of which the error must contain)
CASES = [
    ("empty-answer", False, _set("answer.ru", "   "), ["answer.ru", "empty"]),
    ("no-en-examples", False, _set("examples.en", []), ["no en example questions"]),
    ("bad-id", True, _bad_id, ["id:", "lowercase"]),
    ("oversized-answer", False, _set("answer.en", "word " * 230), ["en answer", "over 1100 characters"]),
    ("duplicate-id", True, lambda e: e, ["id:", "'social-networks' already exists"]),
    ("missing-follow-up", False, _missing_follow_up, ["follow-up", "no-such-entry"]),
    ("repeated-example", False, _repeat_example, ["examples", "repeated"]),
]


@pytest.mark.parametrize(("new", "change", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_invalid_save_is_400_naming_the_field_and_saves_nothing(
        server: Server, editor_api: Api, new: bool, change: Callable[[Entry], Entry], words: list[str]) -> None:
    before = await editor_api.entry("social-networks")
    revision, revisions = await editor_api.revision(), await editor_api.revisions()
    draft = change(copy.deepcopy(before))
    for confirm in (False, True):  # confirming clashes never lets an invalid entry through
        status, data = await editor_api.save(draft, new=new, confirm=confirm)
        assert status == 400, data
        message = " | ".join(data["errors"])
        for word in words:
            assert word in message, message
    assert await editor_api.revision() == revision
    assert await editor_api.revisions() == revisions
    assert await editor_api.entry("social-networks") == before
    status, data = await editor_api.get("/api/kb/entries/travel-sim-test")
    assert status == 404


async def test_check_reports_the_same_errors(editor_api: Api) -> None:
    entry = await editor_api.entry("social-networks")
    entry["answer"]["ru"] = ""
    status, data = await editor_api.post("/api/kb/check", {"entry": entry})
    assert status == 400 and any(e.startswith("answer.ru") for e in data["errors"]), data


async def test_csrf_is_required_for_changes(server: Server, editor_api: Api) -> None:
    entry = await editor_api.entry("service-centers")
    entry["answer"]["ru"] += " Проверка CSRF."
    revision = await editor_api.revision()
    other = await Api.login(server, server.editor)  # a second session of the same editor: its own token
    try:
        assert other.csrf != editor_api.csrf
        for token in (None, "", "not-the-token", other.csrf):
            status, data = await editor_api.post("/api/kb/save", {"entry": entry}, csrf=token)
            assert status == 403, (token, data)
            assert "CSRF" in data["error"]
        for path, body in [("/api/kb/retire", {"id": "service-centers"}), ("/api/kb/check", {"entry": entry}),
                           ("/api/kb/test", {"text": "баланс"}), ("/api/kb/revisions/1/rollback", None),
                           ("/api/kb/unanswered/resolve", {"turn_ids": [1], "entry_id": "refund", "text": "x"})]:
            status, _ = await editor_api.post(path, body, csrf=None)
            assert status == 403, path
    finally:
        await other.close()
    assert await editor_api.revision() == revision
    assert "Проверка CSRF" not in (await editor_api.entry("service-centers"))["answer"]["ru"]


async def test_saving_an_unchanged_entry_is_nothing_changed(editor_api: Api) -> None:
    entry = await editor_api.entry("refund")
    revision = await editor_api.revision()
    status, data = await editor_api.save(entry, confirm=True)
    assert status == 400, data
    assert data["errors"] == ["nothing changed"]
    assert await editor_api.revision() == revision


async def test_roles_are_checked_on_the_server(server: Server, editor_api: Api) -> None:
    agent = await Api.login(server, server.agent)
    anonymous = Api.anonymous(server)
    try:
        assert agent.csrf  # a real session with a valid token: only the role is missing
        entry = await editor_api.entry("refund")
        for path in ("/api/kb/entries", "/api/kb/entries/refund", "/api/kb/revisions", "/api/kb/unanswered",
                     "/api/analytics", "/api/analytics.csv"):
            status, data = await agent.get(path)
            assert status == 403, (path, data)
            status, data = await anonymous.get(path)
            assert status == 401, (path, data)
        entry["answer"]["ru"] += " Агент правит."
        status, data = await agent.save(entry)
        assert status == 403 and data["error"] == "the editor role is needed", data
        status, data = await agent.post("/api/kb/retire", {"id": "refund"})
        assert status == 403, data
        status, data = await anonymous.post("/api/kb/save", {"entry": entry}, csrf="anything")
        assert status == 401, data
    finally:
        await agent.close()
        await anonymous.close()


async def test_retire_then_rollback_brings_the_entry_back(server: Server, editor_api: Api) -> None:
    entry = await editor_api.entry("support-611-cost")
    answer = answer_text(entry)
    questions = ["звонок на 611 бесплатный?", "сколько стоит позвонить в поддержку",
                 "платно ли звонить в техподдержку теле2"]
    assert all(q in entry["examples"]["ru"] for q in questions)
    for q in questions:
        assert answer in await ask(server, q), q

    status, data = await editor_api.post("/api/kb/retire", {"id": "support-611-cost"})
    assert status == 200, data
    for q in questions:
        assert answer not in await ask(server, q), q
        status, tested = await editor_api.post("/api/kb/test", {"text": q})
        assert status == 200 and tested["entry"] != "support-611-cost", tested
    status, listing = await editor_api.get("/api/kb/entries")
    assert "support-611-cost" not in [e["id"] for e in listing["entries"]]
    status, listing = await editor_api.get("/api/kb/entries", retired="1", q="611")
    assert {"id": "support-611-cost", "retired": True}.items() <= next(
        e for e in listing["entries"] if e["id"] == "support-611-cost").items()

    retired = (await editor_api.revisions())[0]
    assert retired["entries"] == ["support-611-cost"] and retired["author"] == "editor"
    status, diff = await editor_api.get(f"/api/kb/revisions/{retired['id']}")
    assert status == 200
    text = diff["diffs"][0]["diff"]
    assert "-- id: support-611-cost" in text and not any(
        line.startswith("+") and not line.startswith("+++") for line in text.splitlines())

    status, data = await editor_api.post(f"/api/kb/revisions/{retired['id']}/rollback")
    assert status == 200, data
    status, back = await editor_api.get("/api/kb/entries/support-611-cost")
    assert back == {"entry": entry, "retired": False}
    for q in questions:
        assert answer in await ask(server, q), q
    newest = (await editor_api.revisions())[0]
    assert newest["message"] == f"rollback of revision {retired['id']}" and newest["entries"] == ["support-611-cost"]


async def test_revision_diff_shows_the_changed_line(editor_api: Api) -> None:
    entry = await editor_api.entry("service-centers")
    old_line = entry["answer"]["ru"].splitlines()[0]
    new_line = old_line.replace("Фирменные салоны Tele2", "Фирменные салоны связи Tele2")
    assert new_line != old_line
    entry["answer"]["ru"] = entry["answer"]["ru"].replace(old_line, new_line)
    status, data = await editor_api.save(entry, message="салоны связи")
    assert status == 200, data
    newest = (await editor_api.revisions())[0]
    assert (newest["message"], newest["entries"], newest["author"]) == ("салоны связи", ["service-centers"], "editor")
    status, diff = await editor_api.get(f"/api/kb/revisions/{newest['id']}")
    assert status == 200
    assert [d["id"] for d in diff["diffs"]] == ["service-centers"]
    changed = [line for line in diff["diffs"][0]["diff"].splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [f"-      {old_line}", f"+      {new_line}"]


async def test_new_entry_then_bot_answers_it(server: Server, editor_api: Api) -> None:
    entry = {"id": "esim-transfer-test", "group": "service_center",
             "title": {"ru": "Перенос eSIM на новый телефон", "en": "Moving an eSIM to a new phone"},
             "examples": {"ru": ["как перенести есим на новый айфон"], "en": ["how to move my esim to a new iphone"]},
             "answer": {"ru": "Перенести eSIM можно в салоне Tele2 с паспортом (тест).",
                        "en": "An eSIM can be moved in a Tele2 shop with your passport (test)."}}
    status, data = await editor_api.save(entry, new=True, confirm=True, message="new entry")
    assert status == 200, data
    assert entry["answer"]["ru"] in await ask(server, "как перенести есим на новый айфон")
    status, data = await editor_api.save(entry, new=True, confirm=True)
    assert status == 400 and data["errors"] == ["id: an entry 'esim-transfer-test' already exists"], data


async def test_revision_number_of_a_save_addresses_that_revision(editor_api: Api) -> None:
    entry = await editor_api.entry("sim-replacement")
    entry["answer"]["en"] += " (revision id test)"
    status, data = await editor_api.save(entry, message="revision id test")
    assert status == 200, data
    newest = (await editor_api.revisions())[0]
    assert newest["message"] == "revision id test"
    assert data["revision"] == newest["id"]
