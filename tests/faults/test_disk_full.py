"""Finding 3: a database that cannot be written (disk full). SQLite is filled up to a page limit
(`PRAGMA max_page_count` on the server's own connection, with a filler table using the free
pages); PostgreSQL gets triggers that fail writes with its own disk-full error (SQLSTATE 53100).
While full: /healthz is 503, a chat message gets a `storage_unavailable` error frame in the
user's language (the socket stays), webhooks and the form get a 503 with JSON. After space
is freed: nothing corrupted, the redelivered update answered once, health back to 200."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from clients import ChatClient
from fakes import FakePlatform, body_of, channel_env, channel_settings, new_chat, tg_sent, tg_text
from servers import AppServer

from supportbot.runtime import IndexCache

pytestmark = pytest.mark.timeout(180)
FULL_TABLES = ("messages", "inbound_updates", "tickets", "instances", "turns_log")


@pytest.fixture
async def full_server(tmp_path: Any, index_cache: IndexCache, fake: FakePlatform) -> AsyncIterator[AppServer]:
    srv = await AppServer(tmp_path, {"channels": channel_settings(fake.url)}, channel_env(("telegram",)),
                          cache=index_cache).start()
    try:
        yield srv
    finally:
        await srv.close()


async def fill(server: AppServer) -> None:
    db = server.runtime.db
    if db.dialect == "sqlite":
        pages = await db.fetchval("PRAGMA page_count")
        await db.execute(f"PRAGMA max_page_count = {int(pages) + 8}")
        await db.execute("CREATE TABLE filler (x BLOB)")
        with pytest.raises(Exception, match="full"):
            for _ in range(100_000):  # every free page taken
                await db.execute("INSERT INTO filler VALUES (randomblob(1000))")
    else:
        await db.execute("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                         "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; "
                         "END $$")
        for table in FULL_TABLES:
            await db.execute(f"CREATE TRIGGER {table}_full BEFORE INSERT OR UPDATE ON {table} "
                             "FOR EACH ROW EXECUTE FUNCTION disk_full()")


async def free(server: AppServer) -> None:
    db = server.runtime.db
    if db.dialect == "sqlite":
        await db.execute("PRAGMA max_page_count = 1073741823")
        await db.execute("DROP TABLE filler")
        assert await db.fetchval("PRAGMA integrity_check") == "ok"
    else:
        for table in FULL_TABLES:
            await db.execute(f"DROP TRIGGER {table}_full ON {table}")
        await db.execute("DROP FUNCTION disk_full()")


async def health(http: aiohttp.ClientSession, server: AppServer) -> tuple[int, dict[str, Any]]:
    async with http.get(server.url + "/healthz") as response:
        return response.status, await response.json()


async def test_finding_03_disk_full_is_visible_refused_cleanly_and_recovered(
        full_server: AppServer, fake: FakePlatform, http: aiohttp.ClientSession) -> None:
    server = full_server
    chat = await ChatClient.open(http, server, lang="en")
    assert (await chat.acked(await chat.send("how do I top up", "before-full-01")))["type"] == "ack"
    async with http.get(server.url + "/api/feedback/options") as response:
        options = await response.json()
    await fill(server)

    status, body = await health(http, server)
    assert status == 503 and body["status"] == "database unavailable", body
    error = await chat.acked(await chat.send("я" * 1990, "while-full-01"))  # needs pages the database cannot get
    assert error["type"] == "error" and error["error"] == "storage_unavailable"
    assert "cannot save" in error["text"]  # in the visitor's language
    assert not chat.ws.closed
    chat_id = new_chat()
    update = tg_text(chat_id, "как пополнить баланс " + "я" * 1990)  # pages the database cannot get
    async with http.post(server.url + "/webhooks/telegram", data=body_of(update),
                         headers={"X-Telegram-Bot-Api-Secret-Token": channel_env(("telegram",))[
                             "TELEGRAM_WEBHOOK_SECRET"]}) as response:
        assert response.status == 503 and (await response.json())["error"] == "storage_unavailable"
    ticket = {"phone": "+7 900 123-45-67", "name": "Анна", "region": options["regions"][0]["id"], "topic": "internet",
              "description": "Не работает мобильный интернет в центре города " + "я" * 2900, "email": ""}
    async with http.post(server.url + "/api/feedback", json=ticket, headers={"X-CSRF-Token": options["csrf"]}) as r:
        assert r.status == 503 and (await r.json())["error"] == "storage_unavailable"

    await free(server)
    async with asyncio.timeout(15):  # the health check probes again within seconds
        while (await health(http, server))[0] != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    since = len(chat.frames)
    again = await chat.acked(await chat.send("я" * 1990, "while-full-01"), since=since)  # sent again, same id
    assert again["type"] == "ack"
    async with http.post(server.url + "/webhooks/telegram", data=body_of(update),  # Telegram redelivers
                         headers={"X-Telegram-Bot-Api-Secret-Token": channel_env(("telegram",))[
                             "TELEGRAM_WEBHOOK_SECRET"]}) as response:
        assert response.status == 200
    await fake.wait(tg_sent(chat_id))
    await server.settled(chat_id)
    assert len(fake.matching(tg_sent(chat_id, ok=None))) == 1
    rows = server.query("SELECT count(*) AS n FROM messages WHERE client_id = 'while-full-01'")
    assert rows[0]["n"] == 1
    await chat.close()
