"""Wiring: open the database, load the knowledge base, build the core and its services.

Every entry point (the `chat` command, the web server, the channel adapters) gets its
objects from one `Runtime`; nothing is global.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from account.actions import ACTIONS
from account.auth import LoginPolicy, LoginService
from account.diagnose import Diagnose
from account.feedback import Feedback
from account.flows import AccountActions, ActionsPolicy
from backends.billing import BillingBackend
from backends.messaging import EmailSender, SmsGateway
from backends.sandbox import SandboxBilling
from backends.sandbox_messaging import SandboxEmail, SandboxSms
from handoff.console import Console
from handoff.queue import HandoffQueue, Presence
from intents.dialogue import Core, KnowledgeHolder
from intents.learned import Model, knowledge_digest, train
from intents.normalize import Normalizer, load_token_table
from kernel.bus import EventBus, LocalBus, RedisBus, Shared
from kernel.clock import utcnow
from kernel.ratelimit import SharedRateLimiter
from knowledge import loader
from knowledge.model import Entry, KnowledgeBase
from storage.agentdesk import AgentDesk
from storage.agents import AgentStore
from storage.conversations import ConversationStore
from storage.db import Database, DatabaseError
from storage.diagnoses import DiagnosisStore
from storage.knowledge import KnowledgeStore
from storage.logins import load_secret
from storage.schema import migrate
from storage.tickets import TicketStore

from .config import Config
from .database import open_database


@dataclass(repr=False)  # its fields hold the whole knowledge base and model: a repr of them runs to megabytes
class Runtime:
    config: Config
    db: Database
    normalizer: Normalizer
    knowledge: KnowledgeHolder
    conversations: ConversationStore
    kb_store: KnowledgeStore
    handoff: HandoffQueue
    core: Core
    billing: BillingBackend
    sms: SmsGateway
    email: EmailSender
    login: LoginService
    actions: AccountActions
    tickets: TicketStore
    agents: AgentStore
    events: EventBus
    console: Console = field(init=False)
    cache: IndexCache | None = field(init=False, default=None)
    training: asyncio.Task[None] | None = field(init=False, default=None)  # the full retraining after a save
    sandbox: SandboxBilling | None = field(init=False, default=None)  # the sandbox back end, when it serves

    def __repr__(self) -> str:
        return f"<Runtime on {type(self.db).__name__}, knowledge revision {self.knowledge.kb.revision}>"

    @property
    def shared(self) -> Shared | None:
        """What the instances of a deployment share besides events (Redis); None for one instance."""
        return self.events.shared

    async def reload_knowledge(self, retrain: bool = True) -> None:
        """Rebuild the index from the database's entries off the event loop, then swap it in.

        The understanding model for the new knowledge comes from the database when one was
        trained for it already (another instance, an earlier start, a rollback). Otherwise the
        classifier is retrained at once with the current calibration kept (the new base is live
        within ~1-2 s), and, with `retrain`, the full training with cross-validated calibration
        runs in the background and replaces it when done."""
        entries = await self.kb_store.entries()
        revision = await self.kb_store.revision()
        kb_dir = knowledge_dir(self.config)
        names = await catalogue_names(self.billing)
        holder = await asyncio.to_thread(
            build_holder, with_catalogue(loader.load(kb_dir, entries, revision, self.cache.files if self.cache else None), names),
            self.normalizer,
            self.config.understanding.threshold, self.cache)
        previous = self.knowledge.model
        model, full = await stored_model(self.kb_store, holder, self.cache)
        if model is None:
            model = await asyncio.to_thread(train, holder.kb, holder.matcher, holder.kb.negatives,
                                            stacker=previous.stacker if previous is not None else None)
            full = previous is None
            if full:
                await self.kb_store.save_model(model.digest, model.to_bytes(), utcnow())
        holder = holder.with_model(model)
        self.knowledge = holder
        self.core.knowledge = holder
        if not full and retrain and self.config.understanding.full_retrain:
            if self.training is not None:
                self.training.cancel()
            self.training = asyncio.create_task(self._train_fully(holder))

    async def _train_fully(self, holder: KnowledgeHolder) -> None:
        model = await asyncio.to_thread(train, holder.kb, holder.matcher, holder.kb.negatives)
        await self.kb_store.save_model(model.digest, model.to_bytes(), utcnow())
        if self.knowledge.kb is holder.kb:  # still the knowledge in use
            self.knowledge = self.core.knowledge = holder.with_model(model)
        self.events.publish("kb", {"revision": holder.kb.revision, "model": model.digest})

    async def close(self) -> None:
        if self.training is not None:
            self.training.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.training
        await self.events.close()
        await self.db.close()


async def catalogue_names(billing: BillingBackend) -> list[str]:
    """The names subscribers give services ("родительский контроль", "caller id")."""
    return [name for s in await billing.services() for name in (s.name_ru, s.name_en, *s.aliases)]


def with_catalogue(kb: KnowledgeBase, names: list[str]) -> KnowledgeBase:
    """The knowledge base with the service catalogue's names as the "service" concept, so that
    "подключи родительский контроль" is understood as a service request."""
    synonyms = dict(kb.synonyms)
    synonyms["service"] = [*synonyms.get("service", []), *names]
    return KnowledgeBase(kb.entries, kb.regions, kb.countries, synonyms, kb.messages, kb.revision, kb.negatives,
                         kb.calibration)


def knowledge_dir(config: Config) -> Path:
    return Path(config.knowledge.path) if config.knowledge.path else loader.SHIPPED


async def open_bus(config: Config, db: Database) -> EventBus:
    """The event bus; with Redis, one channel per database (instances of one deployment share
    their database, so they share the channel; other deployments on the same Redis do not)."""
    if config.bus.backend == "redis":
        url = config.secret(config.bus.url_env)
        if not url:
            raise DatabaseError(f"[bus] backend is redis but {config.bus.url_env} is not set")
        return await RedisBus.open(url, f"{config.bus.channel}:{getattr(db, 'schema', 'sqlite')}")
    return LocalBus()


async def open_backends(config: Config, db: Database) -> tuple[BillingBackend, SmsGateway, EmailSender]:
    """The operator's systems the bot talks to, as `[backends]` chooses. The sandbox (the only
    implementation shipped) keeps its ledger and outboxes in the product's own database and fills
    a new one with the demo subscribers."""
    if config.backends.billing == "sandbox":
        sandbox = SandboxBilling(db)
        await sandbox.seed_demo(utcnow())
        billing: BillingBackend = sandbox
    if config.backends.messaging == "sandbox":
        sms: SmsGateway = SandboxSms(db)
        email: EmailSender = SandboxEmail(db)
    return billing, sms, email


@dataclass(repr=False)
class IndexCache:
    """Knowledge indexes already built, by content, for processes that open many runtimes on
    the same knowledge (the test suite); a deployment opens one and needs none."""

    normalizer: Normalizer = field(default_factory=lambda: shipped_normalizer())
    files: loader.ParsedFiles = field(default_factory=loader.ParsedFiles)
    holders: dict[str, KnowledgeHolder] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    # the holder with its model, by the stored entries it was built from (and the files, the threshold and
    # the catalogue): a runtime on knowledge seen before neither parses, loads, hashes nor looks up anything
    ready: dict[str, KnowledgeHolder] = field(default_factory=dict)

    def source_key(self, documents: list[str], revision: int, names: list[str], kb_dir: Path, threshold: float) -> str:
        digest = hashlib.sha256()
        for document in documents:
            digest.update(document.encode())
            digest.update(b"\0")
        files = sorted((str(p), s.st_mtime_ns, s.st_size) for p in kb_dir.rglob("*") if (s := p.stat()) and p.is_file())
        digest.update(json.dumps([revision, names, files, threshold], ensure_ascii=False).encode())
        return digest.hexdigest()


SHIPPED_MODEL = loader.SHIPPED / "understanding.npz"  # trained for the shipped knowledge: `supportbot kb train`
SHIPPED_TOKENS = loader.SHIPPED / "tokens.json.gz"  # its words, analysed (`supportbot kb train`): ~0.3 s off a start


def shipped_normalizer() -> Normalizer:
    """A normalizer that starts with the shipped knowledge's words already analysed."""
    return Normalizer(load_token_table(SHIPPED_TOKENS))


def shipped_model(digest: str) -> Model | None:
    """The model shipped with the package, when it was trained on exactly this knowledge."""
    found = shipped_model_file(digest)
    return found[0] if found is not None else None


def shipped_model_file(digest: str) -> tuple[Model, bytes] | None:
    """The shipped model and its file's bytes (stored as they are: compressing it again costs a
    first start ~0.2 s), when it was trained on exactly this knowledge."""
    try:
        blob = SHIPPED_MODEL.read_bytes()
        model = Model.from_bytes(blob)
    except (OSError, ValueError, KeyError):
        return None
    return (model, blob) if model.digest == digest else None


async def stored_model(kb_store: KnowledgeStore, holder: KnowledgeHolder, cache: IndexCache | None = None
                       ) -> tuple[Model | None, bool]:
    """The trained model for this knowledge without training: from the cache, the database or
    the package. (model, True) when found; (None, False) when it must be trained."""
    digest = knowledge_digest(holder.kb, holder.kb.negatives)
    if cache is not None and digest in cache.models:
        return cache.models[digest], True
    model = None
    blob = await kb_store.model(digest)
    if blob is not None:
        with contextlib.suppress(ValueError, KeyError):
            model = Model.from_bytes(blob)
    if model is None:
        shipped = await asyncio.to_thread(shipped_model_file, digest)
        if shipped is not None:
            model = shipped[0]
            await kb_store.save_model(digest, shipped[1], utcnow())
    if model is not None and cache is not None:
        cache.models[digest] = model
    return model, model is not None


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
        files = cache.files if cache is not None else None
        if await kb_store.empty():  # a first start (seed checks again: another instance may have seeded meanwhile)
            await kb_store.seed(await asyncio.to_thread(loader.load_entries, kb_dir, files), utcnow())
        documents = await kb_store.entry_documents()
        revision = await kb_store.revision()
        normalizer = cache.normalizer if cache is not None else shipped_normalizer()
        billing, sms, email = await open_backends(config, db)
        names = await catalogue_names(billing)
        threshold = config.understanding.threshold
        source = cache.source_key(documents, revision, names, kb_dir, threshold) if cache is not None else ""
        holder = cache.ready.get(source) if cache is not None else None
        if holder is None:
            entries = [Entry.model_validate(json.loads(data)) for data in documents]
            holder = await asyncio.to_thread(
                build_holder, with_catalogue(loader.load(kb_dir, entries, revision, files), names), normalizer,
                threshold, cache)
            model, _ = await stored_model(kb_store, holder, cache)
            if model is None:  # knowledge no model was trained for yet: trained once, then stored
                model = await asyncio.to_thread(train, holder.kb, holder.matcher, holder.kb.negatives)
                await kb_store.save_model(model.digest, model.to_bytes(), utcnow())
                if cache is not None:
                    cache.models[model.digest] = model
            holder = holder.with_model(model)
            if cache is not None:
                cache.ready[source] = holder
        conversations = ConversationStore(db)
        agents_store = AgentStore(db, config.web.password_hasher())
        if presence is None:
            desk = AgentDesk(db)

            async def presence() -> int:  # agents whose console is open (heartbeats in the database), not away
                online = await agents_store.online(utcnow())
                return len(online) - await desk.away(online)
        handoff = HandoffQueue(db, conversations, presence, config.handoff.max_wait_minutes)
        key = await load_secret(db, "login", config.secret(config.login.secret_env))
        lc = config.login
        login = LoginService(db, billing, sms, key, LoginPolicy(
            code_ttl=timedelta(minutes=lc.code_ttl_minutes), max_attempts=lc.max_attempts,
            per_minute=lc.sends_per_minute, per_hour=lc.sends_per_hour, session_ttl=timedelta(days=lc.session_days),
            per_address_hour=config.limits.login_codes_per_hour))
        tickets = TicketStore(db)
        actions = AccountActions(billing, login, email, ActionsPolicy(
            payment_url=config.payments.page_url, trust_shared_contact=lc.trust_shared_contact,
            session_ttl=timedelta(days=lc.session_days)),
            actions=[*ACTIONS.values(), Feedback(tickets), Diagnose(DiagnosisStore(db), handoff)])
        events = bus or await open_bus(config, db)
        core = Core(holder, conversations, handoff, actions, suggest_min=config.understanding.suggest_min,
                    menu_size=config.dialogue.menu_size, events=events)
        actions.register_buttons(core.buttons)
        if events.shared is not None:  # several instances: one count of codes per address for all of them
            login.address_limiter = SharedRateLimiter(events.shared.client, events.shared.key("login-codes"),
                                                      login.address_limiter.rate, login.address_limiter.burst)
        handoff.register_buttons(core.buttons)
        agents = agents_store
        runtime = Runtime(config, db, normalizer, holder, conversations, kb_store, handoff, core, billing, sms, email,
                          login, actions, tickets, agents, events)
        runtime.cache = cache
        runtime.sandbox = billing if isinstance(billing, SandboxBilling) else None
        runtime.console = Console(db, conversations, handoff, agents, tickets, events, billing, email, sms,
                                  lambda: runtime.knowledge.kb, diagnoses=DiagnosisStore(db))
        return runtime
    except BaseException:
        await db.close()
        raise
