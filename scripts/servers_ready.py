"""Exit 0 when the PostgreSQL and Redis of the test run answer (SUPPORTBOT_DATABASE_URL,
SUPPORTBOT_REDIS_URL); with --cleanup, drop the schemas test runs left behind first (before a run too:
317 schemas an interrupted run left made the PostgreSQL half 99–106 s instead of 76 s of wall time)."""

from __future__ import annotations

import asyncio
import os
import sys


async def drop(schemas: list[str], url: str, connections: int = 3, batch: int = 8) -> None:
    """Drop the schemas, a few at a time on a few connections (one by one on one connection, the ~60 a
    run leaves took 2.3 s; all in one statement would take a lock per table of each in one transaction)."""
    import asyncpg

    queue = [schemas[i:i + batch] for i in range(0, len(schemas), batch)]

    async def worker() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            while queue:
                names = queue.pop()
                await conn.execute("DROP SCHEMA IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE", timeout=60)
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
            await drop([r["schema_name"] for r in rows], url)
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
