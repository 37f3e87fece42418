"""`supportbot serve` and `supportbot agents …`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from aiohttp import web

from kernel.clock import utcnow
from storage.agents import AgentError, AgentStore
from storage.schema import applied, migrate

from .config import Config
from .database import open_database


async def ensure_admin(config: Config, db_path: str | None) -> None:
    """On the first start, create the `admin` account; its password comes from the environment
    or is generated and printed once."""
    db = await open_database(config, db_path)
    try:
        await migrate(db)
        store = AgentStore(db, config.web.password_hasher())
        if await store.count():
            return
        password = config.secret(config.web.admin_password_env)
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(12)
        assert password is not None
        await store.create("admin", "Administrator", "admin", password, utcnow())
        if generated:
            print("=" * 72, file=sys.stderr)
            print(f"  Console: log in as 'admin' with password: {password}", file=sys.stderr)
            print("  (shown once; change it with: supportbot agents passwd --login admin)", file=sys.stderr)
            print("=" * 72, file=sys.stderr)
    finally:
        await db.close()


def worker_count(value: str) -> int:
    """`--workers`: a number of processes, or "auto" (the CPU cores this process may run on)."""
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not Linux
            return max(1, os.cpu_count() or 1)
    if not value.isdigit() or not 1 <= int(value) <= 256:
        raise ValueError(f"--workers takes a number from 1 to 256 or 'auto', not {value!r}")
    return int(value)


def serve(config: Config, args: argparse.Namespace) -> int:
    try:
        workers = worker_count(args.workers)
    except ValueError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 2
    if workers > 1:
        return supervise(config, args, workers)
    from web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if not args.reuse_port:  # a worker of --workers: the parent has done it
        asyncio.run(ensure_admin(config, args.db))
    from bots.base import ChannelConfigError

    host = args.host or config.web.host
    port = args.port or config.web.port
    try:
        app = create_app(config, args.db)
    except ChannelConfigError as exc:
        print(f"supportbot: channel configuration error: {exc}", file=sys.stderr)
        return 2
    print(f"supportbot: serving on http://{host}:{port}/ (chat /chat, console /console, form /feedback)",
          file=sys.stderr, flush=True)
    sys.setswitchinterval(config.web.switch_interval_ms / 1000)
    web.run_app(app, host=host, port=port, shutdown_timeout=10, print=None, access_log=None,
                loop=new_event_loop(config.web.event_loop), reuse_port=args.reuse_port or None)
    return 0


# -- serve --workers N ------------------------------------------------------------------------------

RESTARTS = 5  # a worker that dies this many times in a row within STARTUP seconds of its start: give up
STARTUP = 30.0


def workers_problem(config: Config) -> str | None:
    """Why this configuration cannot be served by several processes (None: it can)."""
    if config.bus.backend != "redis":
        return ('--workers needs the Redis bus ([bus] backend = "redis" and $' + config.bus.url_env + "): the workers "
                "hear each other's events (a console on one, a chat on another), share rate limits and recognise "
                "redeliveries through it")
    return None


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on the port already (SO_REUSEPORT would let the workers share it with it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:  # in the worker, before exec: SIGTERM when the supervisor dies (Linux)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(config: Config, args: argparse.Namespace, workers: int) -> int:
    """`serve --workers N`: migrate once, then N `serve --reuse-port` processes on one port (the kernel
    spreads the connections over them), each a full instance (its own id, heartbeat and claims over
    the shared database and bus, as separate machines' instances are). SIGTERM/SIGINT stop them all;
    a worker that dies is started again."""
    problem = workers_problem(config)
    if problem:
        print(f"supportbot: {problem}", file=sys.stderr)
        return 2
    host = args.host or config.web.host
    port = args.port or config.web.port
    if port_in_use(host, port):
        print(f"supportbot: {host}:{port} is in use", file=sys.stderr)
        return 2
    asyncio.run(ensure_admin(config, args.db))  # migrations and the first admin, once
    if config.storage.backend == "sqlite":
        print("supportbot: note: the workers share one SQLite file; they write one at a time (PostgreSQL lets "
              "them write in parallel)", file=sys.stderr)
    argv = [sys.executable, "-m", "supportbot.cli", *(["--config", args.config] if args.config else []), "serve",
            "--host", host, "--port", str(port), "--reuse-port", *(["--db", args.db] if args.db else [])]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    proc.send_signal(signal.SIGTERM)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, preexec_fn=_die_with_parent)  # noqa: S603 - our own command

    procs: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    procs += [start() for _ in range(workers)]
    started = [time.monotonic()] * workers
    failures = [0] * workers
    print(f"supportbot: {workers} workers on http://{host}:{port}/ (pids {', '.join(str(p.pid) for p in procs)})",
          file=sys.stderr, flush=True)
    code = 0
    while not stopping:
        time.sleep(0.2)
        for index, proc in enumerate(procs):
            if stopping or proc.poll() is None:
                continue
            quick = time.monotonic() - started[index] < STARTUP
            failures[index] = failures[index] + 1 if quick else 1
            if failures[index] >= RESTARTS:
                print(f"supportbot: worker {index + 1} keeps exiting ({proc.returncode}); stopping", file=sys.stderr)
                code = 1
                stop(signal.SIGTERM, None)
                break
            print(f"supportbot: worker {index + 1} (pid {proc.pid}) exited with {proc.returncode}; starting it again",
                  file=sys.stderr, flush=True)
            time.sleep(min(5.0, 0.5 * failures[index]))
            procs[index], started[index] = start(), time.monotonic()
    deadline = time.monotonic() + 30
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return code


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """uvloop's loop when asked for and installed, else the standard library's."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            logging.getLogger(__name__).info("uvloop is not installed: the standard event loop serves")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def agents_command(config: Config, args: argparse.Namespace) -> int:
    db = await open_database(config, args.db)
    try:
        await migrate(db)
        store = AgentStore(db, config.web.password_hasher())
        if args.agents_command == "list":
            online = set(await store.online(utcnow()))
            for agent in await store.all():
                state = "active" if agent.active else "disabled"
                print(f"{agent.login}\t{agent.name}\t{agent.role}\t{state}{chr(9) + 'online' if agent.id in online else ''}")
            return 0
        password = os.environ.get("SUPPORTBOT_NEW_PASSWORD") or getpass.getpass("password (10+ characters): ")
        try:
            if args.agents_command == "add":
                agent = await store.create(args.login, args.name, args.role, password, utcnow())
                print(agent.id)
            else:
                agent = await store.by_login(args.login)
                if agent is None:
                    print(f"supportbot: no account {args.login!r}", file=sys.stderr)
                    return 1
                await store.set_password(agent.id, password)
        except AgentError as exc:
            print(f"supportbot: {exc}", file=sys.stderr)
            return 1
        return 0
    finally:
        await db.close()


async def channel_command(config: Config, args: argparse.Namespace) -> int:
    """`supportbot telegram set-webhook|delete-webhook`, `supportbot viber set-webhook`."""
    from bots.telegram import TelegramAdapter
    from bots.viber import ViberAdapter

    if args.command == "telegram":
        tg = config.channels.telegram
        token = config.secret(tg.token_env)
        if not token:
            print(f"supportbot: set {tg.token_env} first", file=sys.stderr)
            return 2
        adapter = TelegramAdapter(token, tg.api_url, tg.timeout_seconds)
        try:
            if args.telegram_command == "delete-webhook":
                ok = await adapter.delete_webhook()
            else:
                base = (args.url or tg.public_url).rstrip("/")
                secret = config.secret(tg.webhook_secret_env)
                if not base.startswith("https://") or not secret:
                    print(f"supportbot: need an https:// public URL (--url or [channels.telegram] public_url) and "
                          f"{tg.webhook_secret_env}", file=sys.stderr)
                    return 2
                ok = await adapter.set_webhook(f"{base}/webhooks/telegram", secret)
        except Exception as exc:
            print(f"supportbot: Telegram refused: {exc}", file=sys.stderr)
            return 1
        finally:
            await adapter.close()
        print("ok" if ok else "Telegram said no")
        return 0 if ok else 1
    vb = config.channels.viber
    token = config.secret(vb.token_env)
    base = (args.url or vb.public_url).rstrip("/")
    if not token or not base.startswith("https://"):
        print(f"supportbot: need {vb.token_env} and an https:// public URL (--url or [channels.viber] public_url)",
              file=sys.stderr)
        return 2
    viber = ViberAdapter(token, vb.sender_name, vb.sender_avatar, vb.api_url, vb.timeout_seconds)
    try:
        events = await viber.set_webhook(f"{base}/webhooks/viber")
    except Exception as exc:
        print(f"supportbot: Viber refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await viber.close()
    print("ok:", ", ".join(events or []))
    return 0


async def migrate_command(config: Config, args: argparse.Namespace) -> int:
    """Apply the schema migrations and fill a new database (knowledge base, demo billing), as a
    first start would. Safe to run from several instances at once."""
    from storage.db import DatabaseError

    from .runtime import open_runtime

    try:
        runtime = await open_runtime(config, args.db)
    except DatabaseError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    try:
        names = await applied(runtime.db)
        print(f"schema up to date ({len(names)} migrations, last {names[-1]}); knowledge base revision "
              f"{await runtime.kb_store.revision()}")
    finally:
        await runtime.close()
    await ensure_admin(config, args.db)
    return 0
