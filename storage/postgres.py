"""PostgreSQL behind the same `Database` interface, on asyncpg.

Repositories keep writing portable SQL with `?` placeholders; they are rewritten to `$n`
here. Nothing takes a lock for the whole database on the paths every message takes:

- a keyed `transaction("conv:42")` (a check-then-write: a queue entry before a handoff, a rate
  limit before a code is sent) holds an advisory lock of that key, so only transactions of the
  same key take turns (and the database's lock in shared mode, see below);
- `batch` (the turn's writes, a reply queued with its update marked done) takes no advisory lock
  at all: its statements are safe by themselves (unique keys, conditional updates, the rows
  they write locked until commit). A turn locks its conversation's row before it writes the
  conversation's messages, so one conversation's message ids become visible in order (the live
  views read "after id N" per conversation);
- claims of work (inbox, outbox) skip rows another instance holds (`FOR UPDATE SKIP LOCKED`);
- an unkeyed `transaction()` (migrations, seeding, the sandbox billing, administrative writes)
  still holds the database's lock exclusively: it excludes every other transaction that takes
  the lock (in either mode), as before. None of them is on a message's path.

Reads outside transactions run in parallel.

`--db` selects the database: for PostgreSQL it names a schema (`sb_<hash>` of the value), so
one server holds many isolated databases (the test suite runs each test in its own).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg

from .db import DatabaseError, Params, Row, Statement

WRITE_LOCK = 727_2024  # with the schema's hash: the database's lock (exclusive: unkeyed transactions; shared: keyed ones)
EXCLUSIVE = "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))"
KEYED = ("SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema())), "
         "pg_advisory_xact_lock(hashtext(current_schema()), hashtext($2))")
PLACEHOLDER = re.compile(r"\?")


def to_pg(sql: str) -> str:
    """`?` placeholders → `$1, $2, …` (our SQL never has a literal question mark)."""
    counter = iter(range(1, 10_000))
    return PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def schema_for(key: str | None) -> str:
    if not key:
        return "public"
    if re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", key):
        return key
    return "sb_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """numeric → int when whole (SUM of kopecks), float otherwise (AVG)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _row(record: asyncpg.Record) -> Row:
    return {k: _plain(v) for k, v in record.items()}


def _count(status: str) -> int:
    """asyncpg's command status ("UPDATE 3", "INSERT 0 1") → rows affected."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PgExecutor:
    def __init__(self, conn: asyncpg.Connection, db: PostgresDatabase) -> None:
        self._conn = conn
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        self._db.statements += 1
        return _count(await self._conn.execute(to_pg(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._db.statements += len(rows)
            await self._conn.executemany(to_pg(sql), [tuple(r) for r in rows])

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        self._db.statements += 1
        record = await self._conn.fetchrow(to_pg(sql), *params)
        return _row(record) if record is not None else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        self._db.statements += 1
        return [_row(r) for r in await self._conn.fetch(to_pg(sql), *params)]

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        self._db.statements += 1
        return _plain(await self._conn.fetchval(to_pg(sql), *params))


class PostgresDatabase:
    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema
        self.path = f"postgres:{schema}"
        self.statements = 0  # sent to the server (BEGIN, COMMIT and locks included)

    @classmethod
    async def open(cls, url: str, key: str | None = None, min_size: int = 2, max_size: int = 20,
                   connect_timeout: float = 10.0) -> PostgresDatabase:
        schema = schema_for(key)
        try:
            conn = await asyncpg.connect(url, timeout=connect_timeout)
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            finally:
                await conn.close()
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=connect_timeout,
                                             command_timeout=60, server_settings={"search_path": schema},
                                             reset=_keep_session)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise DatabaseError(f"cannot open PostgreSQL ({_safe(url)}, schema {schema}): {exc}") from exc
        assert pool is not None
        return cls(pool, schema)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.pool.acquire() as conn:
            return await _PgExecutor(conn, self).execute(sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self.pool.acquire() as conn:
            return await _PgExecutor(conn, self).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.pool.acquire() as conn:
            return await _PgExecutor(conn, self).fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        async with self.pool.acquire() as conn:
            return await _PgExecutor(conn, self).fetchval(sql, params)

    async def batch(self, statements: Sequence[Statement]) -> list[Any]:
        if len(statements) == 1 and not statements[0].many:  # one statement is a transaction by itself
            return [await self._one(statements[0])]
        results: list[Any] = []
        async with self._begin() as tx:
            for st in statements:
                if st.many:
                    await tx.executemany(st.sql, st.params)  # type: ignore[arg-type]
                    results.append(None)
                elif st.fetch == "none":
                    results.append(await tx.execute(st.sql, st.params))
                elif st.fetch == "all":
                    results.append(await tx.fetchall(st.sql, st.params))
                elif st.fetch == "one":
                    results.append(await tx.fetchone(st.sql, st.params))
                else:
                    results.append(await tx.fetchval(st.sql, st.params))
        return results

    async def _one(self, st: Statement) -> Any:
        async with self.pool.acquire() as conn:
            tx = _PgExecutor(conn, self)
            if st.fetch == "none":
                return await tx.execute(st.sql, st.params)
            if st.fetch == "all":
                return await tx.fetchall(st.sql, st.params)
            if st.fetch == "one":
                return await tx.fetchone(st.sql, st.params)
            return await tx.fetchval(st.sql, st.params)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[_PgExecutor]:
        async with self.pool.acquire() as conn, conn.transaction():
            self.statements += 2  # BEGIN, COMMIT (or ROLLBACK)
            yield _PgExecutor(conn, self)

    @asynccontextmanager
    async def transaction(self, key: str | None = None) -> AsyncIterator[_PgExecutor]:
        async with self._begin() as tx:
            if key is None:
                await tx.execute(EXCLUSIVE, (WRITE_LOCK,))
            else:
                await tx.execute(KEYED, (WRITE_LOCK, key))
            yield tx

    async def ping(self) -> None:
        await self.fetchval("SELECT 1")

    async def drop(self) -> None:
        """Remove this database's schema (tests)."""
        async with self.pool.acquire() as conn:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    async def close(self) -> None:
        await self.pool.close()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset between uses: sessions keep no state of their own (locks end with their
    transaction, the search path is the pool's), so the default reset's round trip is saved."""


def _safe(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//…@", url)
