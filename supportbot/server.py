"""`supportbot serve` and `supportbot agents …`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys

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


def serve(config: Config, args: argparse.Namespace) -> int:
    from web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
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
                loop=new_event_loop(config.web.event_loop))
    return 0


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
