"""Wiring: open the database, load the knowledge base, build the core and its services.

Every entry point (the `chat` command, the web server, the channel adapters) gets its
objects from one `Runtime`; nothing is global.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from account.auth import LoginPolicy, LoginService, load_secret
from account.diagnose import Diagnose
from account.feedback import Feedback
from account.flows import AccountActions, ActionsPolicy
from backends.messaging import SandboxEmail, SandboxSms
from backends.sandbox import SandboxBilling
from handoff.agents import AgentStore
from handoff.console import Console
from handoff.events import EventBus, LocalBus
from handoff.queue import HandoffQueue, Presence
from handoff.tickets import TicketStore
from intents.clock import utcnow
from intents.dialogue import Core, KnowledgeHolder
from intents.normalize import Normalizer
from knowledge import loader
from knowledge.model import KnowledgeBase
from storage.conversations import ConversationStore
from storage.db import Database, DatabaseError, SqliteDatabase
from storage.diagnoses import DiagnosisStore
from storage.knowledge import KnowledgeStore
from storage.schema import migrate

from .config import Config


@dataclass
class Runtime:
    config: Config
    db: Database
    normalizer: Normalizer
    knowledge: KnowledgeHolder
    conversations: ConversationStore
    kb_store: KnowledgeStore
    handoff: HandoffQueue
    core: Core
    billing: SandboxBilling
    sms: SandboxSms
    email: SandboxEmail
    login: LoginService
    actions: AccountActions
    tickets: TicketStore
    agents: AgentStore
    events: EventBus
    console: Console = field(init=False)
    cache: IndexCache | None = field(init=False, default=None)

    async def reload_knowledge(self) -> None:
        """Rebuild the index from the database's entries off the event loop, then swap it in."""
        entries = await self.kb_store.entries()
        revision = await self.kb_store.revision()
        kb_dir = knowledge_dir(self.config)
        names = await catalogue_names(self.billing)
        holder = await asyncio.to_thread(
            build_holder, with_catalogue(loader.load(kb_dir, entries, revision), names), self.normalizer,
            self.config.understanding.threshold, self.cache)
        self.knowledge = holder
        self.core.knowledge = holder

    async def close(self) -> None:
        close_bus = getattr(self.events, "close", None)
        if close_bus is not None:
            await close_bus()
        await self.db.close()


async def catalogue_names(billing: SandboxBilling) -> list[str]:
    """The names subscribers give services ("родительский контроль", "caller id")."""
    return [name for s in await billing.services() for name in (s.name_ru, s.name_en, *s.aliases)]


def with_catalogue(kb: KnowledgeBase, names: list[str]) -> KnowledgeBase:
    """The knowledge base with the service catalogue's names as the "service" concept, so that
    "подключи родительский контроль" is understood as a service request."""
    synonyms = dict(kb.synonyms)
    synonyms["service"] = [*synonyms.get("service", []), *names]
    return KnowledgeBase(kb.entries, kb.regions, kb.countries, synonyms, kb.messages, kb.revision)


def knowledge_dir(config: Config) -> Path:
    return Path(config.knowledge.path) if config.knowledge.path else loader.SHIPPED


async def open_database(config: Config, db_path: str | None = None) -> Database:
    """SQLite: `db_path` is the file. PostgreSQL: the server comes from the environment and
    `db_path` names the schema (so `--db` keeps meaning "which database")."""
    if config.storage.backend == "postgres":
        from storage.postgres import PostgresDatabase

        url = config.secret(config.storage.url_env)
        if not url:
            raise DatabaseError(f"[storage] backend is postgres but {config.storage.url_env} is not set")
        return await PostgresDatabase.open(url, db_path, max_size=config.storage.pool_size)
    path = db_path or config.storage.path
    return await SqliteDatabase.open(path, config.storage.busy_timeout_seconds)


async def open_bus(config: Config, db: Database) -> EventBus:
    """The event bus; with Redis, one channel per database (instances of one deployment share
    their database, so they share the channel; other deployments on the same Redis do not)."""
    if config.bus.backend == "redis":
        from handoff.events import RedisBus

        url = config.secret(config.bus.url_env)
        if not url:
            raise DatabaseError(f"[bus] backend is redis but {config.bus.url_env} is not set")
        return await RedisBus.open(url, f"{config.bus.channel}:{getattr(db, 'schema', 'sqlite')}")
    return LocalBus()


@dataclass
class IndexCache:
    """Knowledge indexes already built, by content, for processes that open many runtimes on
    the same knowledge (the test suite); a deployment opens one and needs none."""

    normalizer: Normalizer = field(default_factory=Normalizer)
    holders: dict[str, KnowledgeHolder] = field(default_factory=dict)


def build_holder(kb: KnowledgeBase, normalizer: Normalizer, threshold: float, cache: IndexCache | None) -> KnowledgeHolder:
    if cache is None:
        return KnowledgeHolder.build(kb, normalizer, threshold)
    digest = hashlib.sha256(json.dumps([[e.model_dump_json() for e in kb.entries], kb.synonyms, threshold,
                                        kb.revision], ensure_ascii=False).encode()).hexdigest()
    if digest not in cache.holders:
        cache.holders[digest] = KnowledgeHolder.build(kb, normalizer, threshold)
    return cache.holders[digest]


async def open_runtime(config: Config, db_path: str | None = None, presence: Presence | None = None,
                       bus: EventBus | None = None, cache: IndexCache | None = None) -> Runtime:
    db = await open_database(config, db_path)
    try:
        await migrate(db)
        kb_store = KnowledgeStore(db)
        kb_dir = knowledge_dir(config)
        shipped = await asyncio.to_thread(loader.load_entries, kb_dir)
        await kb_store.seed(shipped, utcnow())
        entries = await kb_store.entries()
        revision = await kb_store.revision()
        normalizer = cache.normalizer if cache is not None else Normalizer()
        billing = SandboxBilling(db)
        await billing.seed_demo(utcnow())
        names = await catalogue_names(billing)
        holder = await asyncio.to_thread(
            build_holder, with_catalogue(loader.load(kb_dir, entries, revision), names), normalizer,
            config.understanding.threshold, cache)
        conversations = ConversationStore(db)
        agents_store = AgentStore(db)
        if presence is None:
            async def presence() -> int:  # agents whose console is open (heartbeats in the database)
                return len(await agents_store.online(utcnow()))
        handoff = HandoffQueue(db, conversations, presence, config.handoff.max_wait_minutes)
        sms, email = SandboxSms(db), SandboxEmail(db)
        key = await load_secret(db, "login", config.secret(config.login.secret_env))
        lc = config.login
        login = LoginService(db, billing, sms, key, LoginPolicy(
            code_ttl=timedelta(minutes=lc.code_ttl_minutes), max_attempts=lc.max_attempts,
            per_minute=lc.sends_per_minute, per_hour=lc.sends_per_hour, session_ttl=timedelta(days=lc.session_days)))
        tickets = TicketStore(db)
        actions = AccountActions(billing, login, email, ActionsPolicy(
            payment_url=config.payments.page_url, trust_shared_contact=lc.trust_shared_contact,
            session_ttl=timedelta(days=lc.session_days)), extra=[Feedback(tickets), Diagnose(DiagnosisStore(db), handoff)])
        events = bus or await open_bus(config, db)
        core = Core(holder, conversations, handoff, actions, suggest_min=config.understanding.suggest_min,
                    menu_size=config.dialogue.menu_size, events=events)
        agents = agents_store
        runtime = Runtime(config, db, normalizer, holder, conversations, kb_store, handoff, core, billing, sms, email,
                          login, actions, tickets, agents, events)
        runtime.cache = cache
        runtime.console = Console(db, conversations, handoff, agents, tickets, events, billing, email, sms,
                                  lambda: runtime.knowledge.kb, diagnoses=DiagnosisStore(db))
        return runtime
    except BaseException:
        await db.close()
        raise
