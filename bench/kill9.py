"""kill -9 with messages in flight, counted per run: the web chat and Telegram.

    .venv/bin/python bench/kill9.py [--runs 10] [--messages 200] [--only webchat|telegram] [--per-second N]

Each run starts `supportbot serve` (its own process and temporary database; PostgreSQL + Redis
when $SUPPORTBOT_CONFIG says so, as in the tests), puts `--messages` in flight, kills the server
with SIGKILL once a quarter of them are done, starts it again and lets the clients finish (the
web chat's clients resend what was not acknowledged, with the same client ids; the Telegram
load generator posts again what got no 200, as Telegram redelivers). It prints, per run, how
many were lost and how many doubled; for Telegram also how many replies the server was sending
at the kill (attempt marked, not confirmed): the documented window in which a reply may arrive
twice. `--per-second 30` paces Telegram as Telegram itself does (the default lets the fake take
replies as fast as the server sends them, which puts more of them in that window). The
scenarios are the fault suite's (`tests/faults/kill9.py`), which runs one of each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes import FakePlatform, channel_env, channel_settings  # noqa: E402
from faults.kill9 import Run, telegram_run, webchat_run  # noqa: E402
from servers import ProcessServer  # noqa: E402


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--only", choices=("webchat", "telegram"))
    parser.add_argument("--per-second", type=float, default=1000.0,
                        help="Telegram sends a second (the fake takes any rate; Telegram's own limit is 30)")
    args = parser.parse_args()
    runs: list[Run] = []
    fake = FakePlatform().start()
    try:
        for kind in ("webchat", "telegram"):
            if args.only and args.only != kind:
                continue
            for i in range(1, args.runs + 1):
                with tempfile.TemporaryDirectory(prefix="kill9-") as tmp:
                    if kind == "webchat":
                        server = ProcessServer(Path(tmp)).start()
                        try:
                            run = await webchat_run(server, args.messages)
                        finally:
                            server.stop()
                    else:
                        server = ProcessServer(Path(tmp), {"channels": channel_settings(fake.url, args.per_second)},
                                               channel_env(("telegram",))).start()
                        try:
                            run = await telegram_run(server, fake, args.messages)
                        finally:
                            server.stop()
                runs.append(run)
                print(f"run {i:2d} {run.line()}", flush=True)
    finally:
        fake.stop()
    for kind in ("web chat", "telegram"):
        mine = [r for r in runs if r.kind == kind]
        if mine:
            print(f"{kind}: {len(mine)} runs, lost {sum(r.lost for r in mine)}, doubled {sum(r.doubled for r in mine)}"
                  + (f", in doubt at the kills {sum(r.in_doubt for r in mine)}" if kind == "telegram" else ""))
    return 1 if any(r.lost for r in runs) or any(r.doubled > r.in_doubt for r in runs) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
