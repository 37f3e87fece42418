"""The `supportbot` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from intents.replies import Incoming, Outcome
from kernel.clock import parse_now
from storage.db import DatabaseError

from .config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from .runtime import Runtime


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="SQLite database file (default: [storage] path in config.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description="Tele2-style customer-support bot")
    parser.add_argument("--config", help="configuration file (default: config.toml, or $SUPPORTBOT_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.add_argument("--jsonl", action="store_true", help="one JSON object per line in and out (for scripts)")
    chat.add_argument("--user", default="console", help="user id for the interactive chat")
    chat.add_argument("--lang", choices=["ru", "en"], help="language hint")
    _add_db(chat)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge files and report clashing examples")
    check.add_argument("path", nargs="?", help="knowledge folder (default: the shipped one)")
    check.add_argument("--strict", action="store_true", help="exit 1 when an example matches another entry better")
    explain = kb_sub.add_parser("explain", help="show how a phrase is understood")
    explain.add_argument("text")
    export = kb_sub.add_parser("export", help="write the database's knowledge base as files (the layout of knowledge/)")
    export.add_argument("dir")
    _add_db(export)
    imp = kb_sub.add_parser("import", help="load a knowledge folder into the database as a new revision")
    imp.add_argument("dir")
    _add_db(imp)
    kb_train = kb_sub.add_parser("train", help="train the understanding model for a knowledge folder and store it there")
    kb_train.add_argument("path", nargs="?")
    fmt = kb_sub.add_parser("fmt", help="rewrite a knowledge folder's entry files in the canonical form")
    fmt.add_argument("dir", nargs="?")

    migrate = sub.add_parser("migrate", help="create or upgrade the database schema (and fill a new database)")
    _add_db(migrate)

    serve = sub.add_parser("serve", help="run the whole product: web chat, console, feedback form, channels")
    serve.add_argument("--host", help="address to listen on (default: [web] host)")
    serve.add_argument("--port", type=int, help="port (default: [web] port)")
    serve.add_argument("--workers", default="1", metavar="N|auto",
                       help="serve from N processes on the one port (SO_REUSEPORT), 'auto': one per CPU core; "
                            "needs the Redis bus (default: 1)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a worker of --workers
    _add_db(serve)

    agents = sub.add_parser("agents", help="support agent accounts")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    add = agents_sub.add_parser("add", help="create an account (the password is asked, or read from $SUPPORTBOT_NEW_PASSWORD)")
    add.add_argument("--login", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["agent", "editor", "admin"], default="agent")
    _add_db(add)
    passwd = agents_sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("--login", required=True)
    _add_db(passwd)
    listing = agents_sub.add_parser("list", help="list the accounts")
    _add_db(listing)

    telegram = sub.add_parser("telegram", help="Telegram set-up")
    tg_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    tg_set = tg_sub.add_parser("set-webhook", help="point Telegram at {public_url}/webhooks/telegram with the secret")
    tg_set.add_argument("--url", help="the public base address (default: [channels.telegram] public_url)")
    tg_sub.add_parser("delete-webhook", help="stop webhook delivery (for polling)")
    viber = sub.add_parser("viber", help="Viber set-up")
    vb_sub = viber.add_subparsers(dest="viber_command", required=True)
    vb_set = vb_sub.add_parser("set-webhook", help="point Viber at {public_url}/webhooks/viber")
    vb_set.add_argument("--url", help="the public base address (default: [channels.viber] public_url)")

    from . import billingtools

    billingtools.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"supportbot: configuration error: {exc}", file=sys.stderr)
        return 2
    problems = config.environment_problems()
    if problems:
        for problem in problems:
            print(f"supportbot: configuration error: {problem}", file=sys.stderr)
        return 2
    try:
        if args.command == "chat":
            return asyncio.run(chat_jsonl(config, args) if args.jsonl else chat_interactive(config, args))
        if args.command == "kb":
            from .kbtools import kb_command

            return kb_command(config, args)
        if args.command in ("billing", "sms"):
            from . import billingtools

            return billingtools.run(args, config)
        if args.command == "migrate":
            from .server import migrate_command

            return asyncio.run(migrate_command(config, args))
        if args.command == "serve":
            from .server import serve

            return serve(config, args)
        if args.command in ("telegram", "viber"):
            from .server import channel_command

            return asyncio.run(channel_command(config, args))
        if args.command == "agents":
            from .server import agents_command

            return asyncio.run(agents_command(config, args))
    except KeyboardInterrupt:
        return 130
    except DatabaseError as exc:  # a --db that cannot be opened, a server that cannot be reached
        print(f"supportbot: {exc}", file=sys.stderr)
        return 2
    return 2


# -- chat --jsonl -----------------------------------------------------------------------------


def parse_line(line: str) -> tuple[Incoming | None, dict[str, Any]]:
    """A JSON input line → an Incoming, or (None, error output)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, {"user": None, "error": f"not valid JSON: {exc.msg}"}
    if not isinstance(data, dict):
        return None, {"user": None, "error": "expected a JSON object"}
    user = data.get("user")
    if not isinstance(user, str) or not user:
        return None, {"user": user if isinstance(user, str) else None, "error": "'user' must be a non-empty string"}
    text, button, lang = data.get("text"), data.get("button"), data.get("lang")
    if text is None and button is None:
        return None, {"user": user, "error": "missing 'text' (or 'button')"}
    if text is not None and not isinstance(text, str):
        return None, {"user": user, "error": "'text' must be a string"}
    if button is not None and not isinstance(button, str):
        return None, {"user": user, "error": "'button' must be a string"}
    if lang is not None and lang not in ("ru", "en"):
        return None, {"user": user, "error": "'lang' must be 'ru' or 'en'"}
    try:
        now = parse_now(data.get("now")) if data.get("now") is not None else None
    except (TypeError, ValueError):
        return None, {"user": user, "error": "'now' must be an ISO-8601 date-time"}
    return Incoming(channel="cli", user_id=user, chat_id=user, text=text or "", button=button, lang_hint=lang,
                    now=now), {}


def render(user: str, outcome: Outcome) -> dict[str, Any]:
    return {
        "user": user,
        "text": outcome.text,
        "buttons": [{"title": b.title, "payload": b.payload} for b in outcome.buttons],
        "intent": outcome.intent,
        "action": outcome.action,
        "handoff": outcome.handoff,
    }


async def jsonl_reply(runtime: Runtime, line: str) -> dict[str, Any]:
    """The output object for one input line of `chat --jsonl`: the reply, or an error."""
    incoming, error = parse_line(line) if line.strip() else (None, {"user": None, "error": "empty line"})
    if incoming is None:
        return error
    try:
        return render(incoming.user_id, await runtime.core.handle(incoming))
    except Exception as exc:  # one bad turn must not end the session
        print(f"supportbot: error on {incoming.user_id}: {exc!r}", file=sys.stderr)
        return {"user": incoming.user_id, "error": f"internal error: {type(exc).__name__}"}


async def chat_jsonl(config: Config, args: argparse.Namespace) -> int:
    from .runtime import open_runtime

    runtime = await open_runtime(config, args.db)
    loop = asyncio.get_running_loop()
    out = sys.stdout
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            out.write(json.dumps(await jsonl_reply(runtime, line), ensure_ascii=False) + "\n")
            out.flush()
    finally:
        await runtime.close()
    return 0


async def chat_interactive(config: Config, args: argparse.Namespace) -> int:
    from .runtime import open_runtime

    runtime = await open_runtime(config, args.db)
    loop = asyncio.get_running_loop()
    buttons: list[str] = []
    print("supportbot — type your question (Ctrl-D to quit; a number presses a button)")
    try:
        while True:
            print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                print()
                break
            text = line.strip()
            if not text:
                continue
            button = None
            if text.isdigit() and 0 < int(text) <= len(buttons):
                button, text = buttons[int(text) - 1], ""
            outcome = await runtime.core.handle(
                Incoming(channel="console", user_id=args.user, text=text, button=button, lang_hint=args.lang))
            buttons = []
            for reply in outcome.replies:
                print(reply.text)
                for b in reply.buttons:
                    buttons.append(b.payload)
                    print(f"  [{len(buttons)}] {b.title}")
            if outcome.handoff:
                print("  (waiting for a live operator)")
    finally:
        await runtime.close()
    return 0


if __name__ == "__main__":  # the workers of `serve --workers N` start as `python -m supportbot.cli`
    sys.exit(main())
