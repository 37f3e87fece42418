"""Exit 0 when the PostgreSQL and Redis of the test run answer (SUPPORTBOT_DATABASE_URL,
SUPPORTBOT_REDIS_URL); with --cleanup, drop the schemas test runs left behind first (before a run too:
317 schemas an interrupted run left made the PostgreSQL half 99–106 s instead of 76 s of wall time) and
vacuum the system catalogs they leave dead rows in."""

from __future__ import annotations

import asyncio
import os
import sys


async def drop(schemas: list[str], url: str, connections: int = 3) -> None:
    """Drop the schemas on a few connections at once, one schema a transaction: a DROP takes a lock on each
    of a schema's ~150 objects until it commits, and several schemas in one transaction ran PostgreSQL's
    shared lock table out of memory (one by one on one connection, the ~60 a run leaves took 2.3 s)."""
    import asyncpg

    queue = list(schemas)

    async def worker() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            while queue:
                name = queue.pop()
                await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE', timeout=60)
        finally:
            await conn.close()

    if queue:
        await asyncio.gather(*(worker() for _ in range(min(connections, len(queue)))))


async def main() -> int:
    import asyncpg
    import redis.asyncio as aioredis

    url = os.environ["SUPPORTBOT_DATABASE_URL"]
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except Exception as exc:
        print(f"PostgreSQL at {url.split('@')[-1]}: {exc}", file=sys.stderr)
        return 1
    try:
        if "--cleanup" in sys.argv:
            rows = await conn.fetch("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'sb\\_%'")
            try:
                await drop([r["schema_name"] for r in rows], url)
                # each run creates and drops hundreds of schemas (~20 MB of catalog rows): where autovacuum is
                # off (this machine's PostgreSQL), the dead rows piled up run after run (pg_class 46 MB,
                # pg_attribute 180 MB), and every catalog look-up of the tests' set-up scanned them (the
                # PostgreSQL half used 10% more of the machine's CPU). Vacuumed, their space is used again.
                await conn.execute("VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type, "
                                   "pg_catalog.pg_depend, pg_catalog.pg_constraint, pg_catalog.pg_index, "
                                   "pg_catalog.pg_attrdef, pg_catalog.pg_namespace, pg_catalog.pg_sequence",
                                   timeout=60)
            except Exception as exc:  # schemas left behind slow the next run down; they break nothing
                print(f"could not drop the test schemas left behind: {exc}", file=sys.stderr)
    finally:
        await conn.close()
    client = aioredis.from_url(os.environ["SUPPORTBOT_REDIS_URL"], socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        print(f"Redis: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
