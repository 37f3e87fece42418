"""Exit 0 when the PostgreSQL and Redis of the test run answer (SUPPORTBOT_DATABASE_URL,
SUPPORTBOT_REDIS_URL); with --cleanup, drop the schemas the test run left behind."""

from __future__ import annotations

import asyncio
import os
import sys


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
            for row in rows:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{row["schema_name"]}" CASCADE')
            return 0
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
