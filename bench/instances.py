"""Scale-out: Telegram traffic over N = 1, 2, 3 instances sharing one PostgreSQL and one Redis.

    .venv/bin/python bench/instances.py [--instances 1,2,3] [--duration 20] [--workers 48] [--chats 400]
                                        [--storage postgres|sqlite]

With `--storage sqlite` the instances share one SQLite file (and Redis) instead: several
processes on one machine (no statement counts or lock sampling then).

For each N: a fresh schema (`--db bench_<hex>`, dropped afterwards), `supportbot migrate`, N
`supportbot --config CFG serve` processes (`[storage] backend = "postgres"`, `[bus] backend =
"redis"`, the Telegram channel pointed at a fake Bot API served by this script), a warm-up, then
a closed-loop load generator for --duration seconds: --workers concurrent senders, each owning
its own chats (so a chat never has two updates in flight), post Telegram text updates — knowledge
questions with one answer each — to the instances' webhooks round-robin and wait for the reply to
arrive at the fake. Printed for each N:

- updates/s end to end: replies received at the fake per second during the window;
- latency p50/p99/max: from posting the update to its reply arriving at the fake;
- DB statements per message: how many statements the instances sent to PostgreSQL during the
  window, divided by the replies. Measured by wrapping asyncpg: each instance runs as
  `python bench/instances.py --child COUNTS -- <supportbot arguments>`, which patches
  `asyncpg.Connection.execute/executemany/fetch/fetchrow/fetchval` with counters (so BEGIN,
  COMMIT, the advisory write lock and the pool's reset query on every connection release are
  counted too, each a network round trip) and writes them to a file every 0.25 s. Statements
  are counted, not wire round trips: the first use of a statement on a connection also prepares
  it (one more round trip, not counted — rare once warm). pg_stat_statements is not loaded on
  this server (shared_preload_libraries is empty), and pg_stat_database counts every user of
  the server, hence the wrapper.
  Redis commands per message are counted the same way (`redis.asyncio` `execute_command`).
- sessions of this database waiting for an advisory lock, and for any lock (pg_stat_activity sampled
  every 0.2 s). A message's path takes no advisory lock (storage/postgres.py): a turn locks its own
  conversation's row, claims skip rows another instance holds; only administrative writes (and
  the sandbox billing) still lock the whole schema.
- CPU, in cores, during the window: each instance; every PostgreSQL and Redis server process of
  the machine (other users of those servers included); this script (the load and the fake); the
  whole machine (/proc/stat). Per message: instance, PostgreSQL and Redis CPU milliseconds.

The instances, PostgreSQL, Redis, the fake and the load generator all share this machine's CPUs:
N > 1 adds processes, not cores (the CPU count and load average are printed); when the machine
line is near the core count, the machine is the limit, not the product.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("SUPPORTBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SUPPORTBOT_SCALE_REDIS_URL", "redis://127.0.0.1:6379/14")
TG_TOKEN = "123456:BENCH"
TG_SECRET = "bench-webhook_secret"
QUESTIONS = ["что такое личный кабинет", "что такое обещанный платеж", "как настроить автоплатеж",
             "как пополнить счет банковской картой", "как позвонить в поддержку", "как подключить роуминг",
             "как перенести номер в теле2"]
KINDS = ("select", "insert", "update", "delete", "begin", "commit", "rollback", "write_lock", "pool_reset", "other")
REDIS = "redis"  # Redis commands the instance sent (counted apart from the SQL statements)


# -- child mode: one instance with counted statements ---------------------------------------------------


def kind_of(query: str) -> str:
    head = query.lstrip()[:40].upper()
    if head.startswith("SELECT PG_ADVISORY_XACT_LOCK"):
        return "write_lock"
    if head.startswith("SELECT PG_ADVISORY_UNLOCK_ALL"):
        return "pool_reset"
    word = re.split(r"[\s;(]", head, maxsplit=1)[0].lower() if head else "other"
    if word in ("begin", "start"):
        return "begin"
    if word == "with":
        return "select"
    return word if word in KINDS else "other"


def child(count_file: Path, argv: list[str]) -> int:
    """Run the supportbot command `argv` with asyncpg's statements counted into `count_file`."""
    import asyncpg.connection

    counts = dict.fromkeys((*KINDS, REDIS), 0)  # fixed keys: a reader thread may copy it at any time

    def wrap(name: str) -> None:
        original = getattr(asyncpg.connection.Connection, name)

        async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            counts[kind_of(query)] += 1
            return await original(self, query, *args, **kwargs)

        setattr(asyncpg.connection.Connection, name, counted)

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
        wrap(name)
    import redis.asyncio.client

    original_command = redis.asyncio.client.Redis.execute_command

    async def redis_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts[REDIS] += 1
        return await original_command(self, *args, **kwargs)

    redis.asyncio.client.Redis.execute_command = redis_command  # type: ignore[method-assign]

    def writer() -> None:
        tmp = count_file.with_suffix(".tmp")
        while True:
            tmp.write_text(json.dumps(dict(counts)))
            tmp.replace(count_file)
            time.sleep(0.25)

    threading.Thread(target=writer, daemon=True, name="counts").start()
    from supportbot.cli import main

    return main(argv)


# -- the fake Telegram ---------------------------------------------------------------------------------


class FakeTelegram:
    """The tests' fake Bot API (`tests/fakes.py`, a thread of its own) with each sendMessage resolving
    the waiter of its chat (in the bench's loop) and counted by the instance that sent it."""

    def __init__(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from fakes import FakePlatform

        self.platform = FakePlatform()
        self.platform.on_call = self._on_call
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.replies = 0
        self.by_instance: Counter[str] = Counter()
        self.unexpected = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return self.platform.url

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.platform.start()

    async def stop(self) -> None:
        self.platform.stop()

    def _on_call(self, call: Any) -> None:  # in the fake's thread
        if call.method == "sendMessage" and self.loop is not None:
            self.loop.call_soon_threadsafe(self._arrived, call.chat_id, call.instance, call.at)

    def _arrived(self, chat: str, instance: str, arrived: float) -> None:
        self.replies += 1
        self.by_instance[instance or "?"] += 1
        waiter = self.waiters.pop(chat, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(arrived)
        else:
            self.unexpected += 1


# -- the deployment ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Deployment:
    def __init__(self, workdir: Path, fake_url: str, n: int, pool_size: int, storage: str = "postgres") -> None:
        self.workdir = workdir
        self.storage = storage
        self.db = f"bench_{secrets.token_hex(6)}" if storage == "postgres" else str(workdir / "bench.db")
        drop = ("SUPPORTBOT_", "TELEGRAM_", "VK_", "VIBER_")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        self.env.update(SUPPORTBOT_DATABASE_URL=PG_URL, SUPPORTBOT_REDIS_URL=REDIS_URL,
                        SUPPORTBOT_ADMIN_PASSWORD=secrets.token_urlsafe(12), SUPPORTBOT_WEB_SECRET=secrets.token_hex(16),
                        SUPPORTBOT_LOGIN_SECRET=secrets.token_hex(16), TELEGRAM_BOT_TOKEN=TG_TOKEN,
                        TELEGRAM_WEBHOOK_SECRET=TG_SECRET, PYTHONUNBUFFERED="1")
        self.names = [chr(ord("A") + i) for i in range(n)]
        self.ports = {name: free_port() for name in self.names}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for name in [*self.names, "cli"]:
            api = f"{fake_url}/i/{name}"
            (workdir / f"{name}.toml").write_text(
                f'[storage]\nbackend = "{storage}"\npool_size = {pool_size}\n\n[bus]\nbackend = "redis"\n\n'
                f'[web]\nhost = "127.0.0.1"\n\n[channels.telegram]\napi_url = "{api}"\nper_second = 100000.0\n'
                'per_chat_per_second = 50.0\ntimeout_seconds = 10.0\n', encoding="utf-8")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def counts_file(self, name: str) -> Path:
        return self.workdir / f"{name}.counts.json"

    def start(self) -> None:
        supportbot = Path(sys.executable).parent / "supportbot"
        subprocess.run([str(supportbot), "--config", str(self.workdir / "cli.toml"), "migrate", "--db", self.db],
                       cwd=self.workdir, env=self.env, check=True, capture_output=True, timeout=300)
        for name in self.names:
            with open(self.workdir / f"{name}.log", "wb") as log:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), "--child", str(self.counts_file(name)), "--",
                     "--config", str(self.workdir / f"{name}.toml"), "serve", "--port", str(self.ports[name]),
                     "--db", self.db], cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)

    async def wait_ready(self, limit: float = 300) -> None:
        import aiohttp

        deadline = time.monotonic() + limit
        async with aiohttp.ClientSession() as http:
            for name in self.names:
                while True:
                    if self.procs[name].poll() is not None:
                        raise SystemExit(f"instance {name} exited: see {self.workdir / (name + '.log')}")
                    with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                        async with http.get(self.url(name) + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                            if r.status == 200:
                                break
                    if time.monotonic() > deadline:
                        raise SystemExit(f"instance {name} did not become healthy in {limit} s")
                    await asyncio.sleep(0.2)

    def statements(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for name in self.names:
            with contextlib.suppress(FileNotFoundError, ValueError):
                total.update(json.loads(self.counts_file(name).read_text()))
        return total

    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_instance().values())

    def cpu_by_instance(self) -> dict[str, float]:
        return {name: process_cpu(proc.pid) for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    async def drop(self) -> None:
        import asyncpg
        import redis.asyncio as aioredis

        if self.storage == "postgres":
            conn = await asyncpg.connect(PG_URL, timeout=10)
            try:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{self.db}" CASCADE')
            finally:
                await conn.close()
        client = aioredis.from_url(REDIS_URL)
        try:
            keys = [k async for k in client.scan_iter(match=f"supportbot:{self.db}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds a process has used (0 when it is gone)."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def servers_cpu() -> dict[str, float]:
    """CPU seconds used so far by every PostgreSQL and Redis server process of this machine (other
    users of the same servers included), and by this script (the load generator and the fake)."""
    totals = {"postgres": 0.0, "redis": 0.0, "bench": process_cpu(os.getpid())}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            comm = (entry / "comm").read_text().strip()
            if comm == "postgres" or comm.startswith("postgres"):
                totals["postgres"] += process_cpu(int(entry.name))
            elif comm.startswith("redis-server"):
                totals["redis"] += process_cpu(int(entry.name))
    return totals


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every process of every user), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# -- the load --------------------------------------------------------------------------------------------


class Load:
    def __init__(self, dep: Deployment, fake: FakeTelegram, http: Any) -> None:
        self.dep = dep
        self.fake = fake
        self.http = http
        self.update_ids = itertools.count(random.randrange(1, 10**6) * 1000)
        self.targets = itertools.cycle(dep.names)
        self.errors: Counter[str] = Counter()

    def update(self, chat: int, text: str) -> dict[str, Any]:
        person = {"id": chat, "is_bot": False, "first_name": "Нагрузка", "language_code": "ru"}
        return {"update_id": next(self.update_ids), "message": {
            "message_id": next(self.update_ids) % 10**6, "from": person, "date": int(time.time()), "text": text,
            "chat": {"id": chat, "type": "private", "first_name": "Нагрузка"}}}

    async def ask(self, chat: int, text: str, wait: float = 60) -> tuple[float, float] | None:
        """Post one update; (sent, answered) monotonic times, or None on an error or a timeout."""
        import aiohttp

        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.fake.waiters[str(chat)] = waiter
        started = time.monotonic()
        name = next(self.targets)
        try:
            async with self.http.post(self.dep.url(name) + "/webhooks/telegram", json=self.update(chat, text),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
                                      timeout=aiohttp.ClientTimeout(total=30)) as response:
                await response.read()
                if response.status != 200:
                    self.errors[f"HTTP {response.status}"] += 1
                    return None
            answered = await asyncio.wait_for(waiter, wait)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.errors[type(exc).__name__] += 1
            return None
        finally:
            self.fake.waiters.pop(str(chat), None)
        return started, answered

    async def run(self, workers: int, chats: int, seconds: float) -> list[tuple[float, float]]:
        stop_at = time.monotonic() + seconds
        done: list[tuple[float, float]] = []
        base = 800_000_000 + random.randrange(10**6) * 100

        async def worker(k: int) -> None:
            own = [base + k + workers * j for j in range(max(1, chats // workers))]
            rng = random.Random(k)
            for n in itertools.count():
                if time.monotonic() >= stop_at:
                    return
                result = await self.ask(own[n % len(own)], rng.choice(QUESTIONS))
                if result is not None:
                    done.append(result)

        await asyncio.gather(*(worker(k) for k in range(workers)))
        return done


async def sample_lock_waits(stop: asyncio.Event, sqlite: bool = False) -> list[tuple[int, int]]:
    """Every 0.2 s: the sessions of this database waiting for an advisory lock, and for any lock (a row,
    a transaction, an advisory lock); other users of the same database are counted too."""
    import asyncpg

    samples: list[tuple[int, int]] = []
    if sqlite:
        await stop.wait()
        return samples
    conn = await asyncpg.connect(PG_URL, timeout=10)
    try:
        while not stop.is_set():
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE wait_event = 'advisory') AS advisory, count(*) AS any FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()")
            samples.append((row["advisory"], row["any"]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        await conn.close()
    return samples


async def schema_bytes(schema: str) -> int:
    """Bytes the schema's tables take (with their indexes and TOAST); 0 on SQLite."""
    import asyncpg

    if not schema.startswith("bench_"):
        return 0
    conn = await asyncpg.connect(PG_URL, timeout=10)
    try:
        return int(await conn.fetchval(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'", schema))
    finally:
        await conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_one(n: int, args: argparse.Namespace, fake: FakeTelegram) -> dict[str, Any]:
    import aiohttp

    with tempfile.TemporaryDirectory(prefix=f"bench-instances-{n}-") as tmp:
        dep = Deployment(Path(tmp), fake.url, n, args.pool_size, args.storage)
        started = time.monotonic()
        try:
            await asyncio.to_thread(dep.start)
            await dep.wait_ready()
            startup = time.monotonic() - started
            connector = aiohttp.TCPConnector(limit=args.workers * 2)
            async with aiohttp.ClientSession(connector=connector) as http:
                load = Load(dep, fake, http)
                # warm-up: every instance answers every question a few times (first answers are slow)
                await load.run(min(args.workers, 4 * n), 4 * n, args.warmup)
                load.errors.clear()
                fake.by_instance.clear()
                replies_before, stmts_before, cpu_before = fake.replies, dep.statements(), dep.cpu_by_instance()
                servers_before, machine_before = servers_cpu(), machine_cpu()
                bytes_before = await schema_bytes(dep.db)
                t0 = time.monotonic()
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_lock_waits(stop, args.storage == "sqlite"))
                done = await load.run(args.workers, args.chats, args.duration)
                elapsed = time.monotonic() - t0
                stop.set()
                waits = await sampler
                replies, stmts = fake.replies - replies_before, dep.statements() - stmts_before
                cpu_each = {k: v - cpu_before.get(k, 0.0) for k, v in dep.cpu_by_instance().items()}
                servers = {k: v - servers_before[k] for k, v in servers_cpu().items()}
                machine = machine_cpu() - machine_before
                cpu = sum(cpu_each.values())
                redis_commands = stmts.pop(REDIS, 0)
                await asyncio.sleep(1.0)  # the last replies marked sent
                grown = await schema_bytes(dep.db) - bytes_before
            in_window = [b - a for a, b in done if b <= t0 + elapsed]
            return {"n": n, "startup": startup, "replies": replies, "elapsed": elapsed, "rate": len(in_window) / elapsed,
                    "p50": percentile(in_window, 0.5), "p99": percentile(in_window, 0.99),
                    "max": max(in_window, default=float("nan")), "statements": stmts,
                    "per_message": sum(stmts.values()) / max(1, replies), "errors": dict(load.errors),
                    "by_instance": dict(fake.by_instance), "unexpected": fake.unexpected, "cpu": cpu,
                    "cpu_each": cpu_each, "servers": servers, "machine": machine,
                    "redis_per_message": redis_commands / max(1, replies), "bytes_per_message": grown / max(1, replies),
                    "lock_waits": (sum(a for a, _ in waits) / max(1, len(waits)), max((a for a, _ in waits), default=0)),
                    "any_lock_waits": (sum(b for _, b in waits) / max(1, len(waits)), max((b for _, b in waits), default=0))}
        finally:
            await asyncio.to_thread(dep.stop)
            with contextlib.suppress(Exception):
                await dep.drop()


async def main(args: argparse.Namespace) -> None:
    fake = FakeTelegram()
    await fake.start()
    results = []
    try:
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; PostgreSQL {PG_URL.split('@')[-1]}, "
              f"Redis {REDIS_URL.split('@')[-1]}; {args.workers} concurrent senders over {args.chats} chats, "
              f"{args.duration:g} s per run", flush=True)
        for n in args.instances:
            result = await bench_one(n, args, fake)
            results.append(result)
            replies = max(1, result["replies"])
            parts = ", ".join(f"{k} {v / replies:.1f}" for k, v in result["statements"].most_common() if v)
            print(f"\nN={n}: started in {result['startup']:.1f} s; {result['rate']:.1f} updates/s end to end "
                  f"(replies at the fake in {result['elapsed']:.1f} s: {result['replies']}); "
                  f"latency p50 {result['p50'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, "
                  f"max {result['max'] * 1000:.0f} ms", flush=True)
            print(f"     DB statements per message: {result['per_message']:.1f} "
                  f"({parts}); "
                  f"instances' CPU {result['cpu'] / result['elapsed']:.2f} cores; replies sent by "
                  f"{result['by_instance']}; errors {result['errors'] or 'none'}", flush=True)
            elapsed = result["elapsed"]
            each = ", ".join(f"{k} {v / elapsed:.2f}" for k, v in result["cpu_each"].items())
            servers = ", ".join(f"{k} {v / elapsed:.2f}" for k, v in result["servers"].items())
            print(f"     sessions waiting for an advisory lock: {result['lock_waits'][0]:.2f} on average, "
                  f"{result['lock_waits'][1]} at most; for any lock: {result['any_lock_waits'][0]:.2f} on average, "
                  f"{result['any_lock_waits'][1]} at most; load average {os.getloadavg()[0]:.1f}", flush=True)
            print(f"     CPU (cores) — instances: {each}; {servers}; the whole machine {result['machine'] / elapsed:.2f} "
                  f"of {os.cpu_count()}", flush=True)
            print(f"     per message: {result['cpu'] * 1000 / replies:.2f} ms of instance CPU, "
                  f"{result['servers']['postgres'] * 1000 / replies:.2f} ms of PostgreSQL CPU, "
                  f"{result['servers']['redis'] * 1000 / replies:.2f} ms of Redis CPU, "
                  f"{result['per_message']:.1f} SQL statements, {result['redis_per_message']:.1f} Redis commands, "
                  f"{result['bytes_per_message'] / 1024:.1f} KiB of PostgreSQL tables and indexes", flush=True)
    finally:
        await fake.stop()
    print("\n  N  updates/s   p50 ms   p99 ms   DB statements/message   advisory lock waiters (avg)   instances' CPU"
          "   machine CPU")
    for r in results:
        print(f"  {r['n']}  {r['rate']:9.1f}  {r['p50'] * 1000:7.0f}  {r['p99'] * 1000:7.0f}  {r['per_message']:12.1f}"
              f"  {r['lock_waits'][0]:27.2f}  {r['cpu'] / r['elapsed']:14.2f}  {r['machine'] / r['elapsed']:11.2f}")
    if len(results) > 1:
        print(f"  N={results[1]['n']} / N={results[0]['n']}: {results[1]['rate'] / max(1e-9, results[0]['rate']):.2f}x")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", default="1,2,3", help="the Ns to run, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per N")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of light load before measuring")
    parser.add_argument("--workers", type=int, default=48, help="concurrent senders (closed loop)")
    parser.add_argument("--chats", type=int, default=480, help="distinct Telegram chats")
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL connections per instance")
    parser.add_argument("--storage", choices=("postgres", "sqlite"), default="postgres",
                        help="the instances share PostgreSQL, or one SQLite file on this machine")
    args = parser.parse_args(argv)
    args.instances = [int(x) for x in args.instances.split(",")]
    return args


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        sys.exit(child(Path(sys.argv[2]), sys.argv[4:] if sys.argv[3] == "--" else sys.argv[3:]))
    asyncio.run(main(parse(sys.argv[1:])))
