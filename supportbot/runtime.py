"""Wiring: open the database, load the knowledge base, build the core and its services.

Every entry point (the `chat` command, the web server, the channel adapters) gets its
objects from one `Runtime`; nothing is global.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from handoff.queue import HandoffQueue, Presence, nobody_online
from intents.clock import utcnow
from intents.dialogue import Core, KnowledgeHolder
from intents.normalize import Normalizer
from knowledge import loader
from storage.conversations import ConversationStore
from storage.db import Database, SqliteDatabase
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

    async def reload_knowledge(self) -> None:
        """Rebuild the index from the database's entries off the event loop, then swap it in."""
        entries = await self.kb_store.entries()
        revision = await self.kb_store.revision()
        kb_dir = knowledge_dir(self.config)
        holder = await asyncio.to_thread(
            lambda: KnowledgeHolder.build(loader.load(kb_dir, entries, revision), self.normalizer,
                                          self.config.understanding.threshold))
        self.knowledge = holder
        self.core.knowledge = holder

    async def close(self) -> None:
        await self.db.close()


def knowledge_dir(config: Config) -> Path:
    return Path(config.knowledge.path) if config.knowledge.path else loader.SHIPPED


async def open_database(config: Config, db_path: str | None = None) -> Database:
    path = db_path or config.storage.path
    return await SqliteDatabase.open(path, config.storage.busy_timeout_seconds)


async def open_runtime(config: Config, db_path: str | None = None, presence: Presence = nobody_online) -> Runtime:
    db = await open_database(config, db_path)
    try:
        await migrate(db)
        kb_store = KnowledgeStore(db)
        kb_dir = knowledge_dir(config)
        shipped = await asyncio.to_thread(loader.load_entries, kb_dir)
        await kb_store.seed(shipped, utcnow())
        entries = await kb_store.entries()
        revision = await kb_store.revision()
        normalizer = Normalizer()
        holder = await asyncio.to_thread(
            lambda: KnowledgeHolder.build(loader.load(kb_dir, entries, revision), normalizer,
                                          config.understanding.threshold))
        conversations = ConversationStore(db)
        handoff = HandoffQueue(db, conversations, presence, config.handoff.max_wait_minutes)
        from account.actions import AccountActions

        actions = AccountActions()
        core = Core(holder, conversations, handoff, actions, suggest_min=config.understanding.suggest_min,
                    menu_size=config.dialogue.menu_size)
        return Runtime(config, db, normalizer, holder, conversations, kb_store, handoff, core)
    except BaseException:
        await db.close()
        raise
