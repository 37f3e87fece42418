"""Opening the database the configuration names (light: the commands that need only the
database import this, not the whole runtime)."""

from __future__ import annotations

from storage.db import Database, DatabaseError, SqliteDatabase

from .config import Config


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
