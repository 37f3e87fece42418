"""What a message of the longest length costs to read, by its shape.

    .venv/bin/python bench/hostile_text.py

Each shape (one character or word repeated, runs of spaces, lines, marks or digits, Latin and
wrong-layout Russian, words of random letters, and two everyday messages for comparison) is sent through `Core.handle` as
a first message and as a follow-up to an answer, at the core's longest length (`MAX_TEXT`). Prints
the CPU time of each turn and the worst of them. A rule's pattern that tries each place of a long
run in turn costs time squared: before the input was squeezed and such patterns were anchored, a
run of 4,000 digits took 2 s, of spaces after a first answer over a minute.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.dialogue import MAX_TEXT  # noqa: E402
from intents.replies import Incoming  # noqa: E402
from supportbot.config import load_config  # noqa: E402
from supportbot.runtime import open_runtime  # noqa: E402

UNITS = {
    "one long word": "x", "one Cyrillic letter": "а", "digits": "1", "digits and spaces": "1 ", "dots": ".",
    "exclamation marks": "!", "question marks": "?", "apostrophes": "'", "dashes": "-", "emoji": "😀",
    "spaces": " ", "line breaks": "\n", "mixed white space": " \t\n", "a two-letter word": "a ",
    "очень": "очень ", "не": "не ", "уже": "уже ", "было 1": "было 1 ", "100 руб": "100 руб ", "how": "how ",
    "a link": "http://x.ru/", "digits 0-9": "1234567890", "'а, '": "а, ", "'? '": "? ",
    "Latin Russian": "kak popolnit schet ", "wrong layout": "rfr gjgjkybnm cxtn ",
}
EVERYDAY = {
    "everyday (ru)": "здравствуйте, у меня списали деньги за подписку, я её не подключала, верните пожалуйста. ",
    "everyday (en)": "hello, my internet does not work since yesterday and I topped up 500 rub but it is gone. ",
}


def random_words(alphabet: str, seed: int) -> str:
    """Words of 3–9 random letters: each one unknown, so each is looked up, corrected and transliterated."""
    rng = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < MAX_TEXT:
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))))
    return " ".join(words)[:MAX_TEXT]


def long_text(unit: str) -> str:
    text = unit * (MAX_TEXT // len(unit) + 1)
    return ("x" + text[: MAX_TEXT - 2] + "x") if unit.isspace() else text[:MAX_TEXT]


async def main() -> int:
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = await open_runtime(config, str(Path(tmp) / "bench.db"))
        try:
            await runtime.core.handle(Incoming(channel="bench", user_id="warm", chat_id="warm", text="как пополнить счёт"))
            shapes = {**{name: long_text(unit) for name, unit in UNITS.items()},
                      "random Latin words": random_words("abcdefghijklmnopqrstuvwxyz", 1),
                      "random Cyrillic words": random_words("абвгдежзийклмнопрстуфхцчшщыьэюя", 2),
                      **{name: long_text(text) for name, text in EVERYDAY.items()}}
            print(f"{'shape (' + str(MAX_TEXT) + ' characters)':34} {'first':>8} {'follow-up':>10}")
            worst = (0.0, "")
            for number, (name, text) in enumerate(shapes.items()):
                costs = []
                for follow in (False, True):
                    user = f"u{number}{'f' if follow else ''}"
                    if follow:
                        first = Incoming(channel="bench", user_id=user, chat_id=user, text="как пополнить счёт")
                        await runtime.core.handle(first)
                    started = time.process_time()
                    await runtime.core.handle(Incoming(channel="bench", user_id=user, chat_id=user, text=text))
                    costs.append(time.process_time() - started)
                    worst = max(worst, (costs[-1], name))
                print(f"{name:34} {costs[0] * 1000:6.0f} ms {costs[1] * 1000:8.0f} ms")
            print(f"worst: {worst[0] * 1000:.0f} ms of CPU ({worst[1]})")
        finally:
            await runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
