"""Load on the web chat: many concurrent WebSocket sessions asking questions.

    .venv/bin/python bench/webchat_ws.py [--sessions 2000] [--duration 60]
    .venv/bin/python bench/webchat_ws.py --url http://127.0.0.1:8080 [--pid PID]

(With --url, the server's per-address [limits] must allow the load: every session comes from
this machine's one address. The server the bench starts has them raised to fit.)

Without --url it starts `supportbot serve` on a free port and a fresh temporary database
(and stops it at the end). Each session takes its own visitor token (POST /api/chat/session),
opens /ws/chat and, until the duration is over, sends one of a mix of known questions every
2-5 s (random). A reply's latency is the time from sending to the first `messages` frame
holding a bot message (not the echo of the question). After the duration, outstanding
answers are awaited for up to --drain seconds.

Before the load one visitor asks every question once (--warmup rounds), so the numbers are
of a warm server; the warm-up latencies are printed too (the first answers after a start are
slow). Prints: sessions connected, messages sent / answered / unanswered, throughput (answers/s),
latency p50/p90/p99/max, errors by kind, and the server process's memory (VmRSS peak sampled
every 0.5 s and VmHWM from /proc/<pid>/status) and CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SUPPORTBOT = Path(sys.executable).parent / "supportbot"

QUESTIONS = [
    "что такое личный кабинет",
    "что такое обещанный платеж",
    "как настроить автоплатеж",
    "как пополнить счет банковской картой",
    "как позвонить в поддержку",
    "как подключить роуминг",
    "где в личном кабинете посмотреть свой тариф и остатки",
    "как перенести номер в теле2",
    "привет",
    "what is a promised payment",
    "how do I top up with a bank card",
    "how does autopay work",
]


@dataclass
class Stats:
    connected: int = 0
    connect_failed: int = 0
    sent: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # messages answered with an error frame (rate_limited, ...)
    dropped: int = 0  # sockets closed by the server before the end
    connect_seconds: list[float] = field(default_factory=list)


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_fd_limit(needed: int) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def start_server(workdir: Path, sessions: int, min_interval: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = workdir / "config.toml"
    # every simulated visitor comes from this one address: the per-address limits ([limits]) are
    # raised to fit the load (a real deployment sees thousands of addresses)
    per_minute = int(sessions * 60 / min_interval * 2) + 1000
    config.write_text(f'[payments]\npage_url = "{url}/pay/{{token}}"\n\n[web]\nport = {port}\n\n'
                      f'[limits]\nchat_sessions_per_minute = {sessions * 2 + 100}\nchat_sockets = {sessions + 100}\n'
                      f'chat_messages_per_minute = {per_minute}\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env.update(SUPPORTBOT_CONFIG=str(config), SUPPORTBOT_ADMIN_PASSWORD=secrets.token_urlsafe(12))
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen([str(SUPPORTBOT), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--db", str(workdir / "bench.db")], cwd=workdir, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, url


async def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with http.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url}/healthz did not answer 200 within {limit} s")


class Memory:
    """Samples the server's VmRSS; VmHWM is the kernel's own peak."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak_rss_kb = 0
        self.start_rss_kb = 0

    def read(self) -> dict[str, int]:
        if self.pid is None:
            return {}
        values = {}
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return {}
        return values

    def cpu_seconds(self) -> float | None:
        if self.pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def sample(self) -> None:
        rss = self.read().get("VmRSS", 0)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


# -- one session ----------------------------------------------------------------------------------


class Session:
    def __init__(self, n: int, http: aiohttp.ClientSession, url: str, stats: Stats, rng: random.Random,
                 args: argparse.Namespace) -> None:
        self.n = n
        self.http = http
        self.url = url
        self.stats = stats
        self.rng = rng
        self.args = args
        self.pending: deque[float] = deque()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.all_answered = asyncio.Event()
        self.all_answered.set()
        self.closing = False

    async def connect(self, gate: asyncio.Semaphore) -> bool:
        origin = {"Origin": self.url}
        async with gate:
            started = time.monotonic()
            try:
                async with self.http.post(self.url + "/api/chat/session", json={}, headers=origin) as response:
                    token = (await response.json())["token"]
                self.ws = await self.http.ws_connect(self.url + "/ws/chat", params={"token": token, "lang": "ru"},
                                                     headers=origin, heartbeat=None, timeout=aiohttp.ClientWSTimeout(
                                                         ws_close=5))
                first = await self.ws.receive_json(timeout=30)
                assert first["type"] == "history", first
            except Exception as exc:  # counted and reported
                self.stats.connect_failed += 1
                self.stats.errors[f"connect: {type(exc).__name__}"] += 1
                return False
        self.stats.connected += 1
        self.stats.connect_seconds.append(time.monotonic() - started)
        return True

    async def read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            kind = frame.get("type")
            if kind == "messages" and any(m["direction"] != "in" for m in frame["messages"]):
                # one turn's push holds its question and answer; a late push may hold several turns
                turns = max(1, sum(1 for m in frame["messages"] if m["direction"] == "in"))
                now = time.monotonic()
                for _ in range(min(turns, len(self.pending))):
                    self.stats.latencies.append(now - self.pending.popleft())
                    self.stats.answered += 1
                if not self.pending:
                    self.all_answered.set()
            elif kind == "error":
                self.stats.errors[str(frame.get("error"))] += 1
                self.stats.refused += 1
                if self.pending:  # an error answers (refuses) that message
                    self.pending.popleft()
                    if not self.pending:
                        self.all_answered.set()
        if not self.closing:
            self.stats.dropped += 1
            self.stats.errors["socket closed by the server"] += 1

    async def talk(self, until: float) -> None:
        assert self.ws is not None
        await asyncio.sleep(self.rng.uniform(0, self.args.max_interval))  # spread the first messages
        while time.monotonic() < until and not self.ws.closed:
            self.pending.append(time.monotonic())
            self.all_answered.clear()
            try:
                await self.ws.send_str(json.dumps({"type": "say", "text": self.rng.choice(QUESTIONS)}, ensure_ascii=False))
            except (ConnectionError, RuntimeError) as exc:
                self.pending.pop()
                self.stats.errors[f"send: {type(exc).__name__}"] += 1
                return
            self.stats.sent += 1
            await asyncio.sleep(self.rng.uniform(self.args.min_interval, self.args.max_interval))

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None and not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def warm_up(url: str, rounds: int) -> list[float]:
    """One visitor asks every question `rounds` times, one after another: the latencies (the
    first answers after a start are slow while the language tools load their data)."""
    latencies: list[float] = []
    if rounds <= 0:
        return latencies
    origin = {"Origin": url}
    async with aiohttp.ClientSession() as http:
        async with http.post(url + "/api/chat/session", json={}, headers=origin) as response:
            token = (await response.json())["token"]
        async with http.ws_connect(url + "/ws/chat", params={"token": token, "lang": "ru"}, headers=origin) as ws:
            await ws.receive_json(timeout=30)
            for _ in range(rounds):
                for question in QUESTIONS:
                    sent = time.monotonic()
                    await ws.send_str(json.dumps({"type": "say", "text": question}, ensure_ascii=False))
                    while True:
                        frame = await ws.receive_json(timeout=60)
                        if frame.get("type") == "messages" and any(m["direction"] != "in" for m in frame["messages"]):
                            latencies.append(time.monotonic() - sent)
                            break
    return latencies


# -- the run --------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def run(args: argparse.Namespace) -> dict[str, object]:
    fd_limit = raise_fd_limit(args.sessions * 2 + 512)
    proc = None
    workdir = None
    url = args.url
    pid = args.pid
    if url is None:
        workdir = Path(tempfile.mkdtemp(prefix="webchat-bench-"))
        proc, url = start_server(workdir, args.sessions, args.min_interval)
        pid = proc.pid
    url = url.rstrip("/")
    await wait_healthy(url, proc)
    memory = Memory(pid)
    cold_rss_kb = memory.read().get("VmRSS", 0)
    warm = await warm_up(url, args.warmup)
    memory.start_rss_kb = memory.read().get("VmRSS", 0)
    client_cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = memory.cpu_seconds()
    cpu_wall_start = time.monotonic()
    stats = Stats()
    rng = random.Random(args.seed)
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(memory.run(stop_sampling))
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    http = aiohttp.ClientSession(connector=connector)
    sessions = [Session(n, http, url, stats, random.Random(rng.random()), args) for n in range(args.sessions)]
    try:
        gate = asyncio.Semaphore(args.connect_concurrency)
        t0 = time.monotonic()
        ok = await asyncio.gather(*(s.connect(gate) for s in sessions))
        connect_wall = time.monotonic() - t0
        live = [s for s, good in zip(sessions, ok, strict=True) if good]
        print(f"connected {len(live)}/{args.sessions} sessions in {connect_wall:.1f} s; talking for {args.duration:g} s",
              file=sys.stderr, flush=True)
        readers = [asyncio.create_task(s.read()) for s in live]
        started = time.monotonic()
        until = started + args.duration
        await asyncio.gather(*(s.talk(until) for s in live))
        send_window = time.monotonic() - started
        answered_in_window = stats.answered
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.all_answered.wait() for s in live)), args.drain)
        elapsed = time.monotonic() - started
        memory.sample()
        mem_now = memory.read()
        cpu_after = memory.cpu_seconds()
        cpu_wall = time.monotonic() - cpu_wall_start
        client_cpu = resource.getrusage(resource.RUSAGE_SELF)
        unanswered = sum(len(s.pending) for s in live)
        await asyncio.gather(*(s.close() for s in live))
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    finally:
        await http.close()
        stop_sampling.set()
        await sampler
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat = stats.latencies
    return {
        "server": url + (" (started by the bench)" if proc is not None else ""),
        "fd_limit": fd_limit[0],
        "sessions_requested": args.sessions,
        "sessions_connected": stats.connected,
        "connect_wall_s": round(connect_wall, 2),
        "connect_p50_ms": round(pct(stats.connect_seconds, 50) * 1000, 1),
        "connect_p99_ms": round(pct(stats.connect_seconds, 99) * 1000, 1),
        "warmup_first_answer_ms": round(warm[0] * 1000, 1) if warm else None,
        "warmup_p50_ms": round(pct(warm, 50) * 1000, 1) if warm else None,
        "warmup_max_ms": round(max(warm) * 1000, 1) if warm else None,
        "warmup_last_answer_ms": round(warm[-1] * 1000, 1) if warm else None,
        "duration_s": args.duration,
        "messages_sent": stats.sent,
        "messages_answered": stats.answered,
        "answered_within_duration": answered_in_window,
        "refused_with_error_frame": stats.refused,
        "unanswered_after_drain": unanswered,
        "throughput_answers_per_s": round(answered_in_window / send_window, 1) if send_window else 0.0,
        "throughput_incl_drain_answers_per_s": round(stats.answered / elapsed, 1) if elapsed else 0.0,
        "offered_load_msgs_per_s": round(stats.sent / send_window, 1) if send_window else 0.0,
        "latency_p50_ms": round(pct(lat, 50) * 1000, 1),
        "latency_p90_ms": round(pct(lat, 90) * 1000, 1),
        "latency_p99_ms": round(pct(lat, 99) * 1000, 1),
        "latency_max_ms": round(max(lat) * 1000, 1) if lat else float("nan"),
        "latency_mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else float("nan"),
        "errors": dict(stats.errors),
        "sockets_dropped_by_server": stats.dropped,
        "server_rss_idle_mb": round(cold_rss_kb / 1024, 1),
        "server_rss_after_warmup_mb": round(memory.start_rss_kb / 1024, 1),
        "server_rss_peak_sampled_mb": round(memory.peak_rss_kb / 1024, 1),
        "server_vmhwm_mb": round(mem_now.get("VmHWM", 0) / 1024, 1),
        "server_cpu_s": round(cpu_after - cpu_before, 1) if cpu_before is not None and cpu_after is not None else None,
        "server_cpu_share_of_one_core": round((cpu_after - cpu_before) / cpu_wall, 2)
        if cpu_before is not None and cpu_after is not None else None,
        "client_cpu_s": round(client_cpu.ru_utime + client_cpu.ru_stime - client_cpu_before.ru_utime
                              - client_cpu_before.ru_stime, 1),
        "workdir": str(workdir) if workdir else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one on a temporary database)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory")
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    parser.add_argument("--min-interval", type=float, default=2.0)
    parser.add_argument("--max-interval", type=float, default=5.0)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for outstanding answers")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="sessions connecting at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=1, help="rounds of every question before the load (0: none)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
