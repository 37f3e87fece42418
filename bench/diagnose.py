"""Latency of a diagnostic turn after login ("не работает интернет" → the checks → the answer), in
process on SQLite, beside the turns it should cost about as much as.

    .venv/bin/python bench/diagnose.py [--turns 600] [--budget-ms 50]

Subscribers in every situation the diagnosis tells apart (SIM blocked, a debt, gigabytes or
minutes used up, mobile internet off, a known problem in the region, nothing wrong → handoff) are
made with the sandbox's `set_account`; each measured turn is a fresh logged-in conversation (the
login, by a shared contact, is not measured) saying a problem in Russian or English. For
comparison, the same number of turns of a knowledge answer and of the `balance` action after
login. Prints p50/p99/mean per kind and whether the diagnostic turn's p99 is within the budget
(the whole turn, from the message to the stored answer).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.replies import Contact, Incoming  # noqa: E402
from supportbot.config import Config  # noqa: E402
from supportbot.runtime import Runtime, open_runtime  # noqa: E402

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
SITUATIONS: list[dict[str, object]] = [
    {"blocked": True, "gb": 0.0}, {"balance": -5000}, {"gb": 0.0}, {"minutes": 0}, {"sms": 0},
    {"services_off": ("mobile-internet",)}, {"services_off": ("sms-mms",)}, {"region_id": "novosibirsk-oblast"}, {},
]
PROBLEMS = ["не работает интернет", "no mobile data", "не могу позвонить", "can't make calls", "не отправляются смс",
            "my texts won't send", "куда делись деньги", "where did my money go", "интернет тормозит",
            "мой номер заблокирован"]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    samples = sorted(samples)
    return (samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.99)] * 1000,
            statistics.mean(samples) * 1000)


async def setup(rt: Runtime) -> list[str]:
    phones = []
    for i, situation in enumerate(SITUATIONS):
        phone = f"+7999100{i:04d}"
        sub = await rt.billing.add_subscriber(phone, f"Bench {i}", 30000, "moy-razgovor", NOW,
                                              created_at=NOW - timedelta(days=400), region_id="moscow")
        await rt.billing.set_account(sub.id, NOW, **situation)  # type: ignore[arg-type]
        phones.append(phone)
    await rt.billing.add_incident("novosibirsk-oblast", "calls", NOW - timedelta(hours=1), NOW + timedelta(hours=5))
    await rt.billing.add_incident("novosibirsk-oblast", "internet", NOW - timedelta(hours=1), None)
    return phones


async def login(rt: Runtime, user: str, phone: str, now: datetime) -> None:
    await rt.core.handle(Incoming("bench", user, contact=Contact(phone, user), now=now))


async def measure(rt: Runtime, kind: str, turns: int, phones: list[str], tag: str = "") -> list[float]:
    samples = []
    for i in range(turns):
        user = f"{kind}{tag}-{i}"
        now = NOW + timedelta(seconds=i)
        if kind != "faq":
            await login(rt, user, phones[i % len(phones)], now)
        text = {"diagnose": PROBLEMS[i % len(PROBLEMS)], "faq": "какой номер у поддержки теле2",
                "balance": "какой у меня баланс"}[kind]
        t0 = time.perf_counter()
        out = await rt.core.handle(Incoming("bench", user, text=text, now=now))
        samples.append(time.perf_counter() - t0)
        assert kind == "faq" or out.action == kind, (kind, text, out.action)
    return samples


async def run(turns: int) -> dict[str, tuple[float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        rt = await open_runtime(Config(), str(Path(tmp) / "bench.db"))
        try:
            phones = await setup(rt)
            await measure(rt, "diagnose", 30, phones, "-warm")  # warm-up: caches, the SQLite page cache
            return {kind: percentiles(await measure(rt, kind, turns, phones)) for kind in ("faq", "balance", "diagnose")}
        finally:
            await rt.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--budget-ms", type=float, default=50.0, help="the p99 a turn must stay under")
    args = parser.parse_args()
    results = asyncio.run(run(args.turns))
    for kind, (p50, p99, mean) in results.items():
        print(f"{kind:9} turn ({args.turns}): p50 {p50:.2f} ms  p99 {p99:.2f} ms  mean {mean:.2f} ms")
    p99 = results["diagnose"][1]
    verdict = "within" if p99 <= args.budget_ms else "OVER"
    print(f"diagnostic turn p99 {p99:.2f} ms: {verdict} the {args.budget_ms:g} ms turn budget")
    return 0 if p99 <= args.budget_ms else 1


if __name__ == "__main__":
    sys.exit(main())
