"""The code's shape, kept: SQL only in storage/ (the sandbox back end aside), nobody reaching
into the bus for its Redis client, the payload router and the channels' text payloads in step,
the bus never running a listener inside the publisher's turn. (The import layering is checked
by `lint-imports`, which scripts/test runs.)"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

from bots.base import is_payload
from kernel.bus import LocalBus
from supportbot.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["kernel", "knowledge", "intents", "storage", "backends", "handoff", "account", "bots", "web", "supportbot"]
# the sandbox back end stands in for the operator's own systems and keeps its own SQL
SANDBOX = {"backends/sandbox.py", "backends/sandbox_messaging.py"}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE)\b",
                 re.I | re.S)


def product_files() -> list[Path]:
    return sorted(p for package in PRODUCT for p in (ROOT / package).rglob("*.py"))


@pytest.mark.storage_free  # reads the source files
def test_no_sql_outside_storage() -> None:
    found = []
    for path in product_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("storage/") or rel in SANDBOX:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "SQL outside storage/:\n" + "\n".join(found)


@pytest.mark.storage_free  # reads the source files
def test_the_check_finds_sql_where_there_is_some() -> None:
    sandbox = (ROOT / "backends/sandbox.py").read_text(encoding="utf-8")
    assert any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value)
               for n in ast.walk(ast.parse(sandbox)))


@pytest.mark.storage_free  # reads the source files
def test_nobody_reaches_into_the_bus_for_its_redis_client() -> None:
    offenders = [p.relative_to(ROOT).as_posix() for p in product_files()
                 if re.search(r"getattr\([^)]*events[^)]*\"client\"", p.read_text(encoding="utf-8"))]
    assert offenders == []


async def test_every_registered_button_prefix_is_recognised_as_a_payload_in_text(runtime: Runtime) -> None:
    router = runtime.core.buttons
    assert {"kb:", "menu", "operator", "op:yes", "op:no", "act:", "auth:", "url:", "op:cancel", "rate:"} <= set(router.prefixes)
    pattern = router.pattern()
    for prefix in router.prefixes:
        sample = prefix + "x-1" if prefix.endswith(":") else prefix
        assert pattern.match(sample), prefix
        assert is_payload(sample), f"bots.base.PAYLOAD_RE does not know {prefix!r}"
    for text in ("привет", "menu please", "kb:", "xx:1"):
        assert not pattern.match(text) and not is_payload(text), text


async def test_a_press_goes_to_the_part_that_registered_its_prefix(runtime: Runtime) -> None:
    router = runtime.core.buttons
    assert router.route("act:svc:groups") == "act:"
    assert router.route("op:cancel") == "op:cancel"
    assert router.route("op:yes") == "op:yes"
    assert router.route("kb:roaming") == "kb:"
    assert router.route("nobody:1") is None
    try:
        router.register("kb:", None)
    except ValueError:
        pass
    else:
        raise AssertionError("a prefix registered twice must be refused")


@pytest.mark.storage_free  # the local bus alone
async def test_the_local_bus_runs_listeners_after_the_publisher_and_in_order() -> None:
    bus = LocalBus()
    seen: list[tuple[str, object]] = []

    async def slow(topic: str, event: dict) -> None:
        await asyncio.sleep(0)
        seen.append((topic, event["n"]))

    async def broken(topic: str, event: dict) -> None:
        raise RuntimeError("a broken listener")

    bus.subscribe("*", slow)
    bus.subscribe("queue", broken)
    for n in range(5):
        bus.publish("queue" if n % 2 else "conv:1", {"n": n})
    assert seen == []  # publish only queues: nothing ran inside the publisher's turn
    await bus.idle()
    assert seen == [("conv:1", 0), ("queue", 1), ("conv:1", 2), ("queue", 3), ("conv:1", 4)]
    gone: list[dict] = []

    async def unsubscribed(topic: str, event: dict) -> None:
        gone.append(event)

    unsubscribe = bus.subscribe("kb", unsubscribed)
    unsubscribe()
    bus.publish("kb", {"n": 9})
    await bus.idle()
    assert gone == [] and seen[-1] == ("kb", 9)
    await bus.close()
