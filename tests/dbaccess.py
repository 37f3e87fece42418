"""Reading and writing a test's database from test code, on whichever backend the run uses
(SQLite file, or the PostgreSQL schema a `--db` value names). Synchronous, usable anywhere
(also inside a running event loop)."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from storage.postgres import schema_for, to_pg
from supportbot.config import load_config

_BACKENDS: dict[tuple[str | None, ...], str] = {}


def backend() -> str:
    """The run's storage backend (the configuration read once per choice of it: every runtime asks)."""
    key = tuple(os.environ.get(name) for name in ("SUPPORTBOT_CONFIG", "SUPPORTBOT_DATABASE_URL"))
    if key not in _BACKENDS:
        _BACKENDS[key] = load_config().storage.backend
    return _BACKENDS[key]


def examples(embedded: int) -> int:
    """How many examples a property test draws: `embedded` on SQLite, where the suite checks the
    logic; a third on PostgreSQL, whose run checks the same steps on the other storage."""
    return embedded if backend() != "postgres" else max(5, embedded // 3)


def _pg(db: str | Path, sql: str, params: tuple[Any, ...], fetch: bool) -> list[dict[str, Any]]:
    import asyncpg

    async def run() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(os.environ["SUPPORTBOT_DATABASE_URL"], timeout=10,
                                     server_settings={"search_path": schema_for(str(db))})
        try:
            if fetch:
                return [dict(r) for r in await conn.fetch(to_pg(sql), *params)]
            await conn.execute(to_pg(sql), *params)
            return []
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=30)


def query(db: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    if backend() == "postgres":
        return _pg(db, sql, params, True)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def execute(db: str | Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    if backend() == "postgres":
        _pg(db, sql, params, False)
        return
    conn = sqlite3.connect(str(db), timeout=10)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def exists(db: str | Path) -> bool:
    """The database has been created (a file, or a schema with tables)."""
    if backend() == "postgres":
        rows = _pg(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ?",
                   (schema_for(str(db)),), True)
        return bool(rows and rows[0]["n"])
    return Path(db).exists()


# -- the run's backends, for the product processes the tests start ------------------------------


def backend_settings() -> dict[str, dict[str, Any]]:
    """The config sections that put a `supportbot` subprocess on this run's backends (nothing on
    the embedded run; PostgreSQL storage and the chosen bus on the PostgreSQL + Redis run)."""
    config = load_config()
    if config.storage.backend != "postgres":
        return {}
    # the run's heartbeat too: a server killed by a test is taken for dead as soon as the run's config
    # says (6 s), not after the product's 15 s, before a restarted server takes its work again
    return {"storage": {"backend": "postgres", "heartbeat_seconds": config.storage.heartbeat_seconds,
                        "dead_after_seconds": config.storage.dead_after_seconds},
            "bus": {"backend": config.bus.backend}}


def backend_env() -> dict[str, str]:
    """The servers' addresses (environment variables the config names) for a subprocess."""
    config = load_config()
    names = [config.storage.url_env, config.bus.url_env] if config.storage.backend == "postgres" else []
    return {name: os.environ[name] for name in names if name in os.environ}


# -- a database as a first start leaves it, made once per test process ---------------------------

_TEMPLATE: list[str] = []  # the template's --db value, once made


async def template(cache: Any = None) -> str:
    """The --db value of a database as a first start leaves it (migrated; the knowledge base and the
    demo billing seeded), made once per test process: SQLite a file, PostgreSQL a schema."""
    if not _TEMPLATE:
        import tempfile

        from supportbot.runtime import open_runtime

        if backend() == "postgres":
            key = f"template-{uuid.uuid4().hex[:12]}"  # a schema sb_<hash>, dropped with the run's others
        else:
            folder = tempfile.mkdtemp(prefix="supportbot-template-")
            atexit.register(shutil.rmtree, folder, True)
            key = str(Path(folder) / "template.db")
        rt = await open_runtime(load_config(), key, cache=cache)
        await rt.close()
        _TEMPLATE.append(key)
    return _TEMPLATE[0]


# not copied: the trained model (2 MB) is in the tests' index cache, which a runtime asks first
NOT_COPIED = ("schema_migrations", "understanding_models")


async def _tables(conn: Any, schema: str) -> list[str]:
    return [r["table_name"] for r in await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
        schema)]


async def _copy_script(conn: Any, source: str, target: str) -> list[str]:
    """The statements that copy `source`'s rows and sequence values into `target` (FK checks off)."""
    out = [f'INSERT INTO "{target}"."{name}" SELECT * FROM "{source}"."{name}"'
           for name in await _tables(conn, source) if name not in NOT_COPIED]
    for seq in await conn.fetch("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = $1", source):
        if seq["last_value"] is not None:
            out.append(f"SELECT setval('\"{target}\".\"{seq['sequencename']}\"', {int(seq['last_value'])})")
    return out


async def fresh(db: str | Path, cache: Any = None) -> str:
    """Make `db` (a --db value) start as a copy of the template, so that opening it has nothing
    to seed: SQLite copies the file; PostgreSQL migrates the schema and copies the template's rows
    (sequences set to match). Returns `db` as text."""
    key = await template(cache)
    if backend() != "postgres":
        if not os.path.exists(db):  # noqa: ASYNC240 - a test's own file, just made
            shutil.copyfile(key, db)
        return str(db)
    import asyncpg

    from storage.postgres import PostgresDatabase
    from storage.schema import migrate

    target, source = schema_for(str(db)), schema_for(key)
    if _SPARE and await _from_spare(target, source):
        return str(db)
    pg = await PostgresDatabase.open(os.environ["SUPPORTBOT_DATABASE_URL"], str(db), min_size=1, max_size=2)
    try:
        await migrate(pg)
        conn: asyncpg.Connection = await pg.pool.acquire()
        try:
            async with conn.transaction():
                if await conn.fetchval(f'SELECT count(*) FROM "{target}".kb_entries'):
                    return str(db)
                script = ["SET LOCAL session_replication_role = replica", *await _copy_script(conn, source, target)]
                await conn.execute(";\n".join(script))
        finally:
            await pg.pool.release(conn)
    finally:
        await pg.close()
    return str(db)


# -- PostgreSQL: a finished test's schema, emptied, is the next test's --------------------------------
# Migrating a new schema (45 tables, 30 indexes) costs PostgreSQL ~150 ms and dropping it ~40 ms; a
# finished test's schema emptied (DELETE, sequences back to their start) and renamed is ready in ~40 ms.

_SPARE: list[str] = []  # this process's emptied schemas (migrated by this process's code)


async def _from_spare(target: str, source: str | None) -> bool:
    """Rename a spare schema to `target` and copy the rows of `source` (a template) in, if given;
    False when `target` exists already (the caller migrates, and seeds, it as for a new one)."""
    import asyncpg

    conn = await asyncpg.connect(os.environ["SUPPORTBOT_DATABASE_URL"], timeout=10)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", target):
            return False
        spare = _SPARE.pop()
        script = [f'ALTER SCHEMA "{spare}" RENAME TO "{target}"']
        if source is not None:
            script += ["SET LOCAL session_replication_role = replica", *await _copy_script(conn, source, target)]
        async with conn.transaction():
            await conn.execute(";\n".join(script), timeout=30)
        return True
    finally:
        await conn.close()


async def empty(db: str | Path) -> str:
    """`db` (a --db value) migrated and empty where that is cheaper than migrating it (PostgreSQL,
    with a spare schema at hand); otherwise as it was, for the caller to migrate. Returns `db` as text."""
    if backend() == "postgres" and _SPARE:
        await _from_spare(schema_for(str(db)), None)
    return str(db)


async def release(db: str | Path) -> None:
    """A test is done with `db` (its runtime closed): on PostgreSQL its schema is emptied (rows
    deleted, sequences back to their start; the migrations kept) and kept for the next test's
    `fresh`. SQLite: nothing (the file goes with the test's folder)."""
    if backend() != "postgres":
        return
    import asyncpg

    schema = schema_for(str(db))
    spare = f"sb_spare_{os.getpid()}_{len(_SPARE)}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(os.environ["SUPPORTBOT_DATABASE_URL"], timeout=10)
    try:
        sequences = await conn.fetch("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = $1", schema)
        script = ["SET LOCAL session_replication_role = replica",
                  *(f'DELETE FROM "{schema}"."{name}"' for name in await _tables(conn, schema)
                    if name != "schema_migrations"),
                  *(f"SELECT setval('\"{schema}\".\"{q['sequencename']}\"', {int(q['start_value'])}, false)"
                    for q in sequences),
                  f'ALTER SCHEMA "{schema}" RENAME TO "{spare}"']
        async with conn.transaction():  # a session left open on the schema would hold it: fail, do not hang
            await conn.execute(";\n".join(script), timeout=30)
    finally:
        await conn.close()
    _SPARE.append(spare)
