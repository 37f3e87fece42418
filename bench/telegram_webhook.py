"""Telegram channel throughput and latency, end to end over loopback HTTP.

    .venv/bin/python bench/telegram_webhook.py [--concurrency 32] [--chats 2000] [--step 5]
                                               [--workers N|auto] [--storage sqlite|postgres]

Starts the tests' fake Telegram Bot API (`tests/fakes.py`, in its own process: answers sendMessage
with a Message and records when each arrived) and the real `supportbot serve` (its own process, a temporary
database, Telegram in webhook mode pointed at the fake, pacing limits raised so that the
server, not Telegram's 30 messages a second, is measured). A load generator posts text
updates (the Bot API's Update shape, round robin over `--chats` private chats) to
/webhooks/telegram. Then:

1. overload: `--concurrency` connections post back to back: how fast the webhook accepts
   (stores) updates, how many replies reach the fake meanwhile, how fast the backlog drains;
2. peak: open-loop rates rising in steps (×1.4) until the replies stop keeping up; the peak is
   the highest rate of replies (sendMessage at the fake) that kept up;
3. latency: updates at half the peak rate (open loop, on a fixed schedule): the time from
   posting an update to its reply's arrival at the fake, p50/p90/p99;
4. ceiling: the same load generator against a plain aiohttp handler answering "hello" (as many
   processes as the server has workers, on one port), the most the HTTP side alone can do on this
   machine; the peak is printed as a share of it.

`--workers N` runs `supportbot serve --workers N` (N processes on one port, SO_REUSEPORT): that
needs the Redis bus, so the server then uses PostgreSQL and Redis (a schema of its own, dropped
afterwards; $SUPPORTBOT_TEST_DATABASE_URL and $SUPPORTBOT_TEST_REDIS_URL, or the local defaults)
unless `--storage sqlite` asks for one SQLite file shared by the workers. The CPU lines give each
process's share (the server's workers one by one).

Every process shares the machine's CPUs: the numbers are for this machine, not for Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict, deque
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
SUPPORTBOT = Path(sys.executable).parent / "supportbot"
TOKEN = "123456:BENCH"
SECRET = "bench-webhook-secret"
QUESTIONS = ["как позвонить в поддержку", "что такое личный кабинет", "как позвонить с другого оператора",
             "можно ли написать в онлайн-чат на сайте"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def wait_workers(url: str, workers: int, timeout: float = 180) -> None:
    """Until `workers` different instance ids answered `url` (each worker of `serve --workers N` is one)."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers and time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(url, timeout=2) as response:
            seen.add(json.loads(response.read())["instance"])


# -- the helper processes ----------------------------------------------------------------------------


def serve_fake(port: int) -> None:
    """The fake Bot API (the tests' `fakes.FakePlatform`): sendMessage → a Message; GET /_arrivals →
    [[chat_id, monotonic time], …]."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import FakePlatform

    FakePlatform().serve_forever(port)


def serve_hello(port: int, reuse_port: bool = False) -> None:
    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_post("/webhooks/telegram", hello)
    app.router.add_get("/healthz", hello)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, reuse_port=reuse_port or None)


def spawn(*args: str, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(list(args), cwd=ROOT, env=env or os.environ.copy(), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


# -- the load generator ----------------------------------------------------------------------------------

_update_ids = itertools.count(1)


def update(chat: int) -> bytes:
    n = next(_update_ids)
    return json.dumps({"update_id": n, "message": {
        "message_id": n, "date": int(time.time()), "text": QUESTIONS[n % len(QUESTIONS)],
        "from": {"id": chat, "is_bot": False, "first_name": "Нагрузка", "language_code": "ru"},
        "chat": {"id": chat, "first_name": "Нагрузка", "type": "private"}}}, ensure_ascii=False).encode()


HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


async def closed_loop(url: str, concurrency: int, seconds: float, chats: list[int]
                      ) -> tuple[int, int, float, dict[int, list[float]]]:
    """`concurrency` connections posting back to back for `seconds`; (ok, errors, elapsed, post times by chat)."""
    posted: dict[int, list[float]] = defaultdict(list)
    ok = errors = 0
    chat_cycle = itertools.cycle(chats)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.monotonic()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal ok, errors
            while time.monotonic() < deadline:
                chat = next(chat_cycle)
                body = update(chat)
                posted[chat].append(time.monotonic())
                try:
                    async with http.post(url, data=body, headers=HEADERS) as response:
                        await response.read()
                        ok += response.status == 200
                        errors += response.status != 200
                except aiohttp.ClientError:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return ok, errors, time.monotonic() - started, posted


async def open_loop(url: str, rate: float, seconds: float, chats: list[int]) -> tuple[int, int, dict[int, list[float]]]:
    """Updates on a fixed schedule (`rate` a second), whatever the answers' latency."""
    posted: dict[int, list[float]] = defaultdict(list)
    counts = {"ok": 0, "errors": 0}
    chat_cycle = itertools.cycle(chats)
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:

        async def post(chat: int) -> None:
            posted[chat].append(time.monotonic())
            try:
                async with http.post(url, data=update(chat), headers=HEADERS) as response:
                    await response.read()
                    counts["ok" if response.status == 200 else "errors"] += 1
            except aiohttp.ClientError:
                counts["errors"] += 1

        started = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(next(chat_cycle))))
        await asyncio.gather(*tasks)
    return counts["ok"], counts["errors"], posted


async def arrivals(fake_url: str) -> list[tuple[str, float]]:
    async with aiohttp.ClientSession() as http, http.get(fake_url + "/_arrivals") as response:
        return [(str(c), float(t)) for c, t in await response.json()]


async def wait_replies(fake_url: str, expected: int, within: float) -> list[tuple[str, float]]:
    deadline = time.monotonic() + within
    while True:
        got = await arrivals(fake_url)
        if len(got) >= expected or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.5)


def latencies(posted: dict[int, list[float]], replies: list[tuple[str, float]]) -> list[float]:
    """Each chat's replies come in the order of its updates (one reply per update)."""
    queues: dict[str, deque[float]] = {str(c): deque(times) for c, times in posted.items()}
    out = []
    for chat, at in replies:
        queue = queues.get(chat)
        if queue:
            out.append(at - queue.popleft())
    return out


def cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system, all threads) a process has used so far; None: this process."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the workers of `serve --workers N`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process of every user), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def servers_cpu() -> float:
    """CPU seconds of every PostgreSQL and Redis server process of the machine (other users' included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if (entry / "comm").read_text().strip().startswith(("postgres", "redis-server")):
                    total += cpu(int(entry.name))
    return total


class CpuMeter:
    """CPU used by the server (each worker), the fake, this load generator, the database servers and
    the whole machine between two readings."""

    def __init__(self, server: int, fake: int) -> None:
        workers = children(server)
        self.pids: dict[str, int | None] = {"server": server, **{f"worker {i + 1}": pid for i, pid in enumerate(workers)},
                                            "fake Bot API": fake, "load generator": None}
        self.start = {name: self._read(pid) for name, pid in self.pids.items()}
        self.servers, self.machine = servers_cpu(), machine_busy()

    @staticmethod
    def _read(pid: int | None) -> float:
        with contextlib.suppress(OSError):
            return cpu(pid)
        return 0.0

    def report(self, updates: int, seconds: float) -> str:
        used = {name: self._read(pid) - self.start[name] for name, pid in self.pids.items()}
        parts = [f"{name} {used[name] / seconds:.2f} core ({used[name] / max(1, updates) * 1000:.2f} ms/update)"
                 for name in used]
        servers, machine = servers_cpu() - self.servers, machine_busy() - self.machine
        return (f"CPU: {', '.join(parts)}; PostgreSQL + Redis servers {servers / seconds:.2f} core; the whole machine "
                f"{machine / seconds:.2f} of {os.cpu_count()} cores")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the benchmark -------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-telegram-"))
    fake_port, app_port, hello_port = free_port(), free_port(), free_port()
    fake_url, app_url, hello_url = (f"http://127.0.0.1:{p}" for p in (fake_port, app_port, hello_port))
    config = work / "config.toml"
    workers = len(os.sched_getaffinity(0)) if args.workers == "auto" else int(args.workers)
    storage = args.storage or ("postgres" if workers > 1 else "sqlite")
    pg_url = os.environ.get("SUPPORTBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("SUPPORTBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    db = f"bench_tg_{os.urandom(6).hex()}" if storage == "postgres" else str(work / "bench.db")
    # a pool of 10 connections a worker: the PostgreSQL server may be shared (its max_connections)
    backends = (f'[storage]\nbackend = "{storage}"\npool_size = 10\n\n' if storage == "postgres" else "") + (
        '[bus]\nbackend = "redis"\n\n' if workers > 1 else "")
    config.write_text(
        f'{backends}[web]\nhost = "127.0.0.1"\nport = {app_port}\n\n[channels.telegram]\napi_url = "{fake_url}"\n'
        f"per_second = 100000.0\nper_chat_per_second = 1000.0\ntimeout_seconds = 10.0\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "VIBER_", "SUPPORTBOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, SUPPORTBOT_ADMIN_PASSWORD="bench-password-1",
               SUPPORTBOT_DATABASE_URL=pg_url, SUPPORTBOT_REDIS_URL=redis_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(spawn(sys.executable, __file__, "--serve-fake", str(fake_port)))
        procs.append(spawn(str(SUPPORTBOT), "--config", str(config), "serve", "--db", db, "--workers", str(workers),
                           env=env, log=work / "server.log"))
        wait_http(fake_url + "/_health", procs[0])
        wait_http(app_url + "/healthz", procs[1])
        wait_workers(app_url + "/healthz", workers)
        print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}; server: {workers} worker(s) on "
              f"{storage}; server log: {work / 'server.log'}")

        chats = [900_000_000 + i for i in range(args.chats)]
        webhook = app_url + "/webhooks/telegram"
        # warm-up: a few hundred turns (caches, the database file, connections)
        warm, *_ = await closed_loop(webhook, 8, 2.0, chats[:50])
        base = len(await wait_replies(fake_url, warm, 60))

        # 1. overload: connections posting back to back, faster than the server can answer
        meter = CpuMeter(procs[1].pid, procs[0].pid)
        ok, errors, elapsed, posted = await closed_loop(webhook, args.concurrency, args.seconds, chats)
        got = await wait_replies(fake_url, base + ok, max(60.0, args.seconds * 10))
        whole = max(at for _, at in got) - min(t for times in posted.values() for t in times)
        cpu_over = meter.report(ok, whole)
        replies = got[base:]
        t0 = min(t for times in posted.values() for t in times)
        during = sum(1 for _, at in replies if t0 + 1.0 <= at <= t0 + elapsed) / (elapsed - 1.0)
        after = [at for _, at in replies if at > t0 + elapsed]
        drain = len(after) / (after[-1] - t0 - elapsed) if len(after) > 1 else float("nan")
        lat_over = latencies(posted, replies)
        print(f"\n1. overload ({args.concurrency} connections back to back, {elapsed:.1f} s): the webhook accepted "
              f"{ok / elapsed:.0f} updates/s ({errors} errors) while {during:.0f} replies/s reached the fake; "
              f"the backlog then drained at {drain:.0f} replies/s; {len(replies)}/{ok} replies, latency p50 "
              f"{pct(lat_over, 0.5) * 1000:.0f} ms, max {max(lat_over) * 1000:.0f} ms")
        print(f"   {cpu_over} (from the first post to the last reply)")
        base = len(got)

        # 2. the peak: the highest rate whose replies keep up (open loop, rising in steps)
        print(f"\n2. peak search (open loop, {args.step:.0f} s a step; kept up = every reply within "
              f"{args.keep_up:.1f} s of the step's end and p99 < {args.keep_up:.1f} s)")
        rate, peak, last_bad = args.start_rate, 0.0, None
        while last_bad is None and rate <= args.max_rate:
            ok2, errors2, posted2 = await open_loop(webhook, rate, args.step, chats)
            started = min(t for times in posted2.values() for t in times)
            got2 = await wait_replies(fake_url, base + ok2, args.keep_up)
            replies2 = got2[base:]
            lat2 = latencies(posted2, replies2)
            in_time = sum(1 for _, at in replies2 if at <= started + args.step + args.keep_up)
            achieved = in_time / args.step
            kept = in_time == ok2 and errors2 == 0 and bool(lat2) and pct(lat2, 0.99) < args.keep_up
            print(f"   offered {rate:5.0f}/s → {achieved:5.0f} replies/s, p50 {pct(lat2, 0.5) * 1000:6.0f} ms, "
                  f"p99 {pct(lat2, 0.99) * 1000:6.0f} ms{'' if kept else '  (fell behind)'}")
            if kept:
                peak = max(peak, achieved)
                rate *= 1.4
            else:
                last_bad = rate
            base = len(await wait_replies(fake_url, base + ok2, 120))  # let any backlog drain
        print(f"   peak: {peak:.0f} replies/s")

        # 3. latency at half the peak
        rate = max(1.0, peak / 2)
        seconds = max(5.0, min(20.0, 2000 / rate))
        meter = CpuMeter(procs[1].pid, procs[0].pid)
        ok3, errors3, posted3 = await open_loop(webhook, rate, seconds, chats)
        got3 = await wait_replies(fake_url, base + ok3, 60)
        cpu_half = meter.report(ok3, seconds)
        lat = latencies(posted3, got3[base:])
        print(f"\n3. latency at half the peak ({rate:.0f} updates/s for {seconds:.0f} s, open loop): "
              f"{len(got3) - base}/{ok3} replies ({errors3} errors)")
        print(f"   update posted → sendMessage at the fake: p50 {pct(lat, 0.5) * 1000:.1f} ms, "
              f"p90 {pct(lat, 0.9) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f} ms, "
              f"mean {statistics.mean(lat) * 1000:.1f} ms")
        print(f"   {cpu_half}")

        # 4. the ceiling: the same load generator against "hello" (as many processes as the server's workers)
        for _ in range(workers):
            procs.append(spawn(sys.executable, __file__, "--serve-hello", str(hello_port),
                               *(["--reuse-port"] if workers > 1 else [])))
            wait_http(hello_url + "/healthz", procs[-1])
        await closed_loop(hello_url + "/webhooks/telegram", 8, 1.0, chats)
        ok4, errors4, elapsed4, _ = await closed_loop(hello_url + "/webhooks/telegram", args.concurrency,
                                                      args.seconds, chats)
        print(f"\n4. ceiling: a plain aiohttp 'hello' handler ({workers} process(es)), the same load generator "
              f"({args.concurrency} connections): {ok4 / elapsed4:.0f} requests/s ({errors4} errors)")
        print(f"\nsummary ({workers} worker(s), {storage}): peak {peak:.0f} replies/s with every reply within "
              f"{args.keep_up:.1f} s = {peak / max(1.0, ok4 / elapsed4) * 100:.1f}% of the 'hello' ceiling "
              f"{ok4 / elapsed4:.0f} requests/s; at {rate:.0f} updates/s p50 {pct(lat, 0.5) * 1000:.0f} ms, "
              f"p99 {pct(lat, 0.99) * 1000:.0f} ms; webhook alone under overload {ok / elapsed:.0f} updates/s")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
            if proc.poll() is None:
                proc.kill()
        if storage == "postgres":
            await drop_schema(pg_url, db)


async def drop_schema(url: str, schema: str) -> None:
    import asyncpg

    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(url, timeout=10)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=6.0, help="overload and ceiling runs")
    parser.add_argument("--step", type=float, default=5.0, help="seconds per step of the peak search")
    parser.add_argument("--start-rate", type=float, default=20.0)
    parser.add_argument("--max-rate", type=float, default=5000.0)
    parser.add_argument("--keep-up", type=float, default=1.0, help="seconds a reply may lag to count as kept up")
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", default="1", help="server processes on the one port (N or auto)")
    parser.add_argument("--storage", choices=("sqlite", "postgres"),
                        help="the server's database (default: sqlite with one worker, postgres with several)")
    parser.add_argument("--serve-hello", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake)
    elif args.serve_hello:
        serve_hello(args.serve_hello, args.reuse_port)
    else:
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
