"""`supportbot chat --jsonl`, the fixed interface for scripts: one output line per input line,
error lines for bad input, the clock and the language from the line, state in the database
across runs. Two runs of the command serve the whole module (each costs a process start), and
one more ends its input at once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, run_jsonl
from servers import run_main

from knowledge.model import KnowledgeBase
from supportbot.config import load_config
from supportbot.database import open_database

# the command's contract (lines in and out, the clock and language from the line): its storage only keeps
# the conversation, so it runs on the embedded backends only (the PostgreSQL run covers that storage)
# one test process runs the module: its two `chat --jsonl` runs are module fixtures, which a second process
# would run again (~3 s of CPU)
pytestmark = [pytest.mark.wording, pytest.mark.xdist_group("cli-jsonl")]

REPLY_KEYS = {"user", "text", "buttons", "intent", "action", "handoff"}
ERROR_KEYS = {"user", "error"}
MAX_REPLY = 1200
PEAK_QUESTION = "когда удобнее всего звонить в поддержку, чтобы не ждать"

VARIED = [
    "по какому телефону обращаться в техподдержку теле2",
    "сколько стоит дозвониться на 611 с моей симки",
    "до скольки сегодня работает горячая линия",
    "как мне позвонить в теле2 если у меня билайн",
    "бабушка звонит с домашнего проводного, какой номер ей набрать",
    "я за границей, по какому номеру звонить в поддержку",
    "подскажите телефон поддержки для Кемерово",
    "где найти офис теле2 поблизости",
    "как вернуть деньги с номера теле2",
    "хочу заменить старую симку на esim",
    "нужно переоформить симку на отца, что для этого нужно",
    "в приложении как посмотреть детализацию звонков",
    "что за тональный режим на домашнем телефоне",
    "есть ли у теле2 сообщество во вконтакте",
    "когда удобнее всего звонить в поддержку, чтобы не ждать",
    "а что ты вообще умеешь делать?",
    "how do I get a refund of money from my tele2 number",
    "where is the nearest tele2 store",
    "what time is best to ring the hotline",
    "какая погода будет завтра в Казани",
]


@dataclass
class Run:
    lines: list[dict | str]
    out: list[dict]

    def answer(self, marker: str) -> dict:
        """The output for the input line whose user is `marker` (one line per such user)."""
        found = [o for i, o in zip(self.lines, self.out, strict=True) if isinstance(i, dict) and i.get("user") == marker]
        assert len(found) == 1, found
        return found[0]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jsonl") / "new" / "bot.db"  # neither the folder nor the file exists yet


@pytest.fixture(scope="module")
def first_run(db: Path) -> Run:
    assert not db.exists()
    lines: list[dict | str] = [
        {"user": "ok-1", "text": "как вернуть деньги с номера теле2"},
        "this is not json",
        "[1, 2, 3]",
        {"user": "bad-missing"},
        {"user": "bad-now", "text": "привет", "now": "yesterday"},
        {"user": "bad-now-type", "text": "привет", "now": 12345},
        {"user": "bad-lang", "text": "привет", "lang": "de"},
        {"text": "no user here"},
        {"user": "bad-text", "text": 5},
        {"user": "ok-2", "text": "where is the nearest tele2 store"},
        {"user": "peak", "text": PEAK_QUESTION, "now": "2026-11-24T15:20:00+03:00"},
        {"user": "late", "text": PEAK_QUESTION, "now": "2026-11-24T22:30:00+03:00"},
        {"user": "weekend", "text": PEAK_QUESTION, "now": "2026-11-28T12:00:00+03:00"},
        {"user": "naive", "text": PEAK_QUESTION, "now": "2026-11-24T15:20:00"},
        {"user": "hint-en", "text": "0", "lang": "en"},
        {"user": "misser", "text": "фывапролдж"},
        {"user": "refund", "text": "как вернуть деньги с номера теле2"},
        *({"user": f"varied-{n}", "text": text} for n, text in enumerate(VARIED)),
        {"user": "long", "text": ("как вернуть деньги с номера теле2 " + "очень " * 2000)[:10_000]},
    ]
    return Run(lines, run_jsonl(lines, db))


@pytest.fixture(scope="module")
def second_run(db: Path, first_run: Run) -> Run:
    refund = first_run.answer("refund")
    payload = next(b["payload"] for b in refund["buttons"] if b["payload"].startswith("kb:"))
    lines: list[dict | str] = [
        {"user": "misser", "text": "ывапр олдж"},
        {"user": "refund", "button": payload},
        {"user": "stale", "button": "kb:no-such-entry"},
        {"user": "misser-yes", "text": "йцукен гшщзх"},
        "",  # blank lines get an output line each, and what follows is answered
        "   ",
        {"user": "after-blank", "text": "привет"},
    ]
    return Run(lines, run_jsonl(lines, db))


# -- the shape of the output ------------------------------------------------------------------


def test_one_output_line_per_input_line_in_order(first_run: Run) -> None:
    assert len(first_run.out) == len(first_run.lines)
    for line, out in zip(first_run.lines, first_run.out, strict=True):
        if isinstance(line, dict) and isinstance(line.get("user"), str):
            assert out["user"] == line["user"]


def test_replies_have_exactly_the_contract_keys(first_run: Run) -> None:
    replies = [o for o in first_run.out if "error" not in o]
    assert len(replies) == len(first_run.lines) - 8  # eight bad lines
    for out in replies:
        assert set(out) == REPLY_KEYS
        assert isinstance(out["text"], str) and out["text"]
        assert isinstance(out["handoff"], bool)
        assert out["intent"] is None or isinstance(out["intent"], str)
        assert out["action"] is None or isinstance(out["action"], str)
        for button in out["buttons"]:
            assert set(button) == {"title", "payload"}
            assert button["title"] and button["payload"]


def test_an_answer(first_run: Run, kb: KnowledgeBase) -> None:
    out = first_run.answer("ok-1")
    assert out["intent"] == "refund"
    assert out["text"] == kb.by_id["refund"].answer.ru
    assert out["handoff"] is False
    assert out["action"] is None
    assert [b["payload"] for b in out["buttons"]] == [f"kb:{ref}" for ref in kb.by_id["refund"].followups]
    english = first_run.answer("ok-2")
    assert (english["intent"], english["text"]) == ("service-centers", kb.by_id["service-centers"].answer.en)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "user", "error"),
    [
        (1, None, "not valid JSON"),
        (2, None, "expected a JSON object"),
        (3, "bad-missing", "missing 'text'"),
        (4, "bad-now", "'now'"),
        (5, "bad-now-type", "'now'"),
        (6, "bad-lang", "'lang'"),
        (7, None, "'user'"),
        (8, "bad-text", "'text'"),
    ],
)
def test_bad_lines_give_error_lines(first_run: Run, index: int, user: str | None, error: str) -> None:
    out = first_run.out[index]
    assert set(out) == ERROR_KEYS
    assert out["user"] == user
    assert error in out["error"]


def test_valid_lines_after_errors_are_answered(first_run: Run) -> None:
    after = first_run.out[9:]
    assert after and all("error" not in o for o in after)


def test_blank_line_gets_an_output_line(second_run: Run) -> None:
    assert len(second_run.out) == len(second_run.lines)
    assert second_run.out[-3:-1] == [{"user": None, "error": "empty line"}] * 2
    assert second_run.out[-1]["user"] == "after-blank" and "error" not in second_run.out[-1]


# -- the clock and the language ---------------------------------------------------------------


def test_now_changes_the_peak_hours_answer(first_run: Run) -> None:
    peak, late, weekend = (first_run.answer(u)["text"].split("\n\n")[0] for u in ("peak", "late", "weekend"))
    assert "15:20" in peak and "час пик" in peak and "это не час пик" not in peak and "21:00" in peak
    assert "22:30" in late and "хорошее время" in late
    assert "выходной" in weekend
    assert len({peak, late, weekend}) == 3


def test_naive_now_is_moscow_time(first_run: Run) -> None:
    assert first_run.answer("naive")["text"].split("\n\n")[0] == first_run.answer("peak")["text"].split("\n\n")[0]


def test_lang_hint(first_run: Run, kb: KnowledgeBase) -> None:
    out = first_run.answer("hint-en")
    assert out["handoff"] is True
    assert out["text"] == kb.message("queued_no_agents", "en", position=1)


def test_long_message(first_run: Run) -> None:
    out = first_run.answer("long")
    assert out["intent"] == "refund"
    assert "4000" in out["text"]


def test_replies_stay_under_the_messenger_limit(first_run: Run) -> None:
    varied = [first_run.answer(f"varied-{n}") for n in range(len(VARIED))]
    assert len(varied) == 20
    assert sum(1 for o in varied if o["intent"]) >= 18  # they are real questions, mostly answered
    too_long = [(o["user"], len(o["text"])) for o in first_run.out if len(o.get("text", "")) > MAX_REPLY]
    assert too_long == []


# -- state across runs ------------------------------------------------------------------------


def test_db_is_created_and_filled(first_run: Run, db: Path) -> None:
    async def users() -> set[str]:
        database = await open_database(load_config(), str(db))
        try:
            rows = await database.fetchall("SELECT user_key FROM conversations WHERE channel = 'cli'")
            return {r["user_key"] for r in rows}
        finally:
            await database.close()

    if load_config().storage.backend == "sqlite":
        assert db.is_file()
    assert {"ok-1", "misser", "peak"} <= asyncio.run(users())


def test_first_miss_in_the_first_run(first_run: Run, kb: KnowledgeBase) -> None:
    out = first_run.answer("misser")
    assert out["intent"] is None
    assert out["text"] == kb.message("rephrase", "ru")


def test_state_persists_across_runs(second_run: Run, kb: KnowledgeBase) -> None:
    out = second_run.answer("misser")  # the second miss, in a new process
    assert out["text"] == kb.message("offer_operator", "ru")
    assert [b["payload"] for b in out["buttons"]] == ["op:yes", "op:no"]
    # a user seen for the first time in this run has no misses yet
    fresh = second_run.answer("misser-yes")
    assert fresh["text"] == kb.message("rephrase", "ru")


def test_button_from_a_previous_reply(first_run: Run, second_run: Run, kb: KnowledgeBase) -> None:
    payload = second_run.lines[1]["button"]  # type: ignore[index]
    assert payload in [b["payload"] for b in first_run.answer("refund")["buttons"]]
    out = second_run.answer("refund")
    entry_id = payload.removeprefix("kb:")
    assert out["intent"] == entry_id
    assert out["text"] == kb.by_id[entry_id].answer.ru
    stale = second_run.answer("stale")
    assert stale["text"] == kb.message("stale_button", "ru")


# -- end of input -----------------------------------------------------------------------------


def test_empty_input_exits_zero(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "supportbot"
    result = subprocess.run([str(exe), "chat", "--jsonl", "--db", str(tmp_path / "empty.db")], input="", capture_output=True,
                            text=True, timeout=60, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert [json.loads(line) for line in result.stdout.splitlines()] == []


@pytest.mark.parametrize("command", [["chat", "--jsonl"], ["agents", "list"], ["kb", "export", "out"]])
def test_a_database_that_cannot_be_opened_is_a_clear_error(tmp_path: Path, command: list[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A --db naming a directory (or under a path that cannot be created): one line, exit 2, no traceback.
    Through the command's entry point in this process (what it prints and returns is the subject)."""
    for name in [k for k in os.environ if k.startswith("SUPPORTBOT_")]:  # the embedded default
        monkeypatch.delenv(name)
    for db in (tmp_path, Path("/proc/no-such-dir/x.db")):
        result = run_main(*command, "--db", str(db), cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"supportbot: cannot open the database {db}"), result.stderr
        assert "Traceback" not in result.stderr
