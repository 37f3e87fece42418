"""One asynchronous database interface for every repository.

Repositories write portable SQL with ``?`` placeholders and ``RETURNING``, and never touch a
driver. The embedded implementation is SQLite (the standard library's driver) on one worker thread (the
event loop never blocks on the disk); a PostgreSQL implementation plugs in behind the same
`Database` interface.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]
Params = Sequence[Any]


class Executor(Protocol):
    """What a repository can do, in or out of a transaction."""

    async def execute(self, sql: str, params: Params = ()) -> int: ...
    async def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...
    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...


class Statement:
    """One statement of a batch: `fetch` is "none", "one", "all" or "value"."""

    __slots__ = ("fetch", "many", "params", "sql")

    def __init__(self, sql: str, params: Params = (), fetch: str = "none", many: bool = False) -> None:
        self.sql, self.params, self.fetch, self.many = sql, params, fetch, many


class Database(Executor, Protocol):
    dialect: str
    statements: int  # statements sent to the database so far (BEGIN and COMMIT included): benches and tests read it

    async def batch(self, statements: Sequence[Statement]) -> list[Any]:
        """Run statements in one write transaction (no lock beyond the rows they write: each
        statement must be safe on its own, as an insert with a unique key or a conditional
        update is); returns each statement's result (rowcount, row, rows or value)."""

    def transaction(self, key: str | None = None) -> Any:  # an async context manager yielding an Executor
        """A write transaction for a check-then-write. With a `key` ("conv:42", "login:tg:7"), it
        excludes only the transactions of the same key; without one, every write transaction
        of the database (kept for rare administrative writes: migrations, seeding, the sandbox
        billing). SQLite has one writer at a time either way."""

    async def ping(self) -> None:
        """Raise unless the database answers."""

    async def close(self) -> None: ...


class DatabaseError(RuntimeError):
    """The database could not be opened or migrated."""


def storage_failure(exc: BaseException) -> bool:
    """Whether an exception says the database could not do what it was asked (full disk, read-only,
    gone, locked too long, a constraint), rather than a bug of ours."""
    if isinstance(exc, sqlite3.Error | OSError | DatabaseError | TimeoutError | ConnectionError):
        return True
    return type(exc).__module__.split(".")[0] == "asyncpg"  # PostgresError, InterfaceError, pool errors


def unique_violation(exc: BaseException) -> bool:
    """Whether an exception is a unique constraint refusing a row (SQLite or PostgreSQL)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return type(exc).__name__ == "UniqueViolationError"


class _SqliteTx:
    """Statements inside one open transaction (the connection lock is held)."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._db._run(self._db._execute, sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        await self._db._run(self._db._executemany, sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._db._run(self._db._fetch, sql, params, 1)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._db._run(self._db._fetch, sql, params, None)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return next(iter(row.values())) if row else None


Call = tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]


class _Worker:
    """The one thread that talks to SQLite. It takes every call waiting when it wakes, runs them
    in order, and hands all their results back to the event loop at once: under load, one
    wake-up of each side per batch of calls instead of per call."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="sqlite", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._calls.put((loop, future, fn, args))
        return future

    def stop(self) -> None:
        self._calls.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            batch = [self._calls.get()]
            while True:
                try:
                    batch.append(self._calls.get_nowait())
                except queue.Empty:
                    break
            done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
            stopping = False
            for call in batch:
                if call is None:
                    stopping = True
                    continue
                loop, future, fn, args = call
                try:
                    outcome = (future, True, fn(*args))
                except BaseException as exc:  # handed to the caller
                    outcome = (future, False, exc)
                done.setdefault(loop, []).append(outcome)
            for loop, outcomes in done.items():
                try:
                    loop.call_soon_threadsafe(_settle, outcomes)
                except RuntimeError:  # that loop is closed: nobody waits any more
                    pass
            if stopping:
                return


def _settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class SqliteDatabase:
    """SQLite (WAL, busy timeout) on a dedicated thread; several processes may share the file."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self._busy_timeout = busy_timeout
        self._worker = _Worker()
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None
        self.statements = 0

    @classmethod
    async def open(cls, path: str | Path, busy_timeout: float = 10.0) -> SqliteDatabase:
        db = cls(path, busy_timeout)
        try:
            await db._run(db._connect)
        except BaseException:
            await asyncio.to_thread(db._worker.stop)  # no thread left behind
            raise
        return db

    # -- on the worker thread ------------------------------------------------------------------

    def _connect(self) -> None:
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=self._busy_timeout)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise DatabaseError(f"cannot open the database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        self._conn = conn

    def _execute(self, sql: str, params: Params) -> int:
        assert self._conn is not None
        self.statements += 1
        return self._conn.execute(sql, tuple(params)).rowcount

    def _executemany(self, sql: str, rows: Sequence[Params]) -> None:
        assert self._conn is not None
        self.statements += len(rows)
        self._conn.executemany(sql, [tuple(r) for r in rows])

    def _fetch(self, sql: str, params: Params, limit: int | None) -> list[Row]:
        assert self._conn is not None
        self.statements += 1
        cursor = self._conn.execute(sql, tuple(params))
        rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
        if limit:
            cursor.fetchall()  # finish the statement (RETURNING rows are written on step)
        return [dict(r) for r in rows]

    def _batch(self, statements: Sequence[Statement]) -> list[Any]:
        assert self._conn is not None
        conn = self._conn
        results: list[Any] = []
        conn.execute("BEGIN IMMEDIATE")
        self.statements += 2 + sum(len(st.params) if st.many else 1 for st in statements)  # with COMMIT
        try:
            for st in statements:
                if st.many:
                    conn.executemany(st.sql, [tuple(r) for r in st.params])
                    results.append(None)
                    continue
                cursor = conn.execute(st.sql, tuple(st.params))
                if st.fetch == "none":
                    results.append(cursor.rowcount)
                    continue
                rows = [dict(r) for r in cursor.fetchall()]
                if st.fetch == "all":
                    results.append(rows)
                elif st.fetch == "one":
                    results.append(rows[0] if rows else None)
                else:
                    results.append(next(iter(rows[0].values())) if rows else None)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results

    def _script(self, sql: str) -> None:
        assert self._conn is not None
        self._conn.executescript(sql)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await self._worker.submit(fn, args)

    async def _single(self, fn: Any, *args: Any) -> Any:
        """One call on the worker thread, outside any open transaction. The thread runs calls in
        the order they were submitted, so while no transaction is open a call goes straight to
        it (many may be queued there: the thread never waits for the event loop between them);
        while one is open, it waits for the transaction to end."""
        if self._lock.locked():
            async with self._lock:
                return await self._run(fn, *args)
        return await self._run(fn, *args)

    # -- the interface ---------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._single(self._execute, sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._single(self._fetch, sql, params, 1)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._single(self._fetch, sql, params, None)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return next(iter(row.values())) if row else None

    async def ping(self) -> None:
        await self.fetchval("SELECT 1")

    async def script(self, sql: str) -> None:
        async with self._lock:
            await self._run(self._script, sql)

    async def batch(self, statements: Sequence[Statement]) -> list[Any]:
        return await self._single(self._batch, statements)

    @asynccontextmanager
    async def transaction(self, key: str | None = None) -> AsyncIterator[_SqliteTx]:
        """BEGIN IMMEDIATE … COMMIT: writers from other processes wait, never deadlock (one writer
        at a time, whatever the key)."""
        async with self._lock:
            await self._run(self._execute, "BEGIN IMMEDIATE", ())
            try:
                yield _SqliteTx(self)
            except BaseException:
                await asyncio.shield(self._run(self._execute, "ROLLBACK", ()))
                raise
            else:
                await self._run(self._execute, "COMMIT", ())

    async def close(self) -> None:
        async with self._lock:
            await self._run(self._close)
        await asyncio.to_thread(self._worker.stop)
