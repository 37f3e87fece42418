"""The findings of the security and fault test (issue 13), each as a regression test named after
it. Findings 1 and 2 (kill -9) are in test_kill9.py, 3 (disk full) in test_disk_full.py, 14 also
in test_chat_protocol.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from account_helpers import last_code, login, now_utc
from clients import ChatClient, ConsoleClient, console_login, new_agent
from conftest import ChatClient as CoreClient
from fakes import TG_SECRET, VIBER_TOKEN, VK_GROUP, VK_SECRET, viber_sign
from servers import SUPPORTBOT, AppServer

from intents.entities import find_money
from intents.replies import Incoming
from kernel.clock import utcnow
from storage.agents import LoginDelays
from supportbot.runtime import Runtime

pytestmark = pytest.mark.timeout(180)
MARIA = "+79990000002"  # a demo subscriber who may take a promised payment


# -- 4: nothing irreversible before the turn can be stored -----------------------------------------------


async def test_finding_04_a_lone_surrogate_in_a_confirmation_is_stored_and_answered(bot: CoreClient) -> None:
    now = now_utc()
    await login(bot, MARIA, now, first="хочу обещанный платёж")
    await bot.press("act:opt:30000", now=now)
    done = await bot.say("да\ud800", now=now)  # once: credited, then the turn could not be stored
    assert "зачислено" in done.text, done.text
    conv = await bot.runtime.conversations.get_or_create("test", bot.user, now)
    rows = await bot.runtime.conversations.messages(conv.id)
    assert [r["text"] for r in rows if r["direction"] == "in"][-1] == "да"
    assert done.text in "\n".join(r["text"] for r in rows if r["direction"] == "out")
    log = bot.runtime.db
    assert await log.fetchval("SELECT count(*) FROM turns_log WHERE conversation_id = ? AND text = 'да'",
                              (conv.id,)) == 1


# -- 5 and 7: sign-in throttling ---------------------------------------------------------------------------


async def test_finding_05_spaces_and_case_do_not_bypass_the_login_throttle(limited: AppServer,
                                                                           http: aiohttp.ClientSession) -> None:
    victim = await limited.create_agent("victim5", "Жертва")
    attacker = {"X-Forwarded-For": "198.51.100.5"}
    for _ in range(5):
        assert (await console_login(http, limited, "victim5", "wrong-password-1", headers=attacker)).status == 401
    for variant in (" victim5", "VICTIM5 ", "\tVictim5"):  # one login however written: the account's wait counts
        assert (await limited.runtime.agents.authenticate(variant, "wrong-password-1", "198.51.100.6", utcnow())
                is None)
    for variant in (" victim5", "Victim5", "victim5 "):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
            response = await console_login(fresh, limited, variant, victim.password,
                                           headers={"X-Forwarded-For": "203.0.113.55"})
            assert response.status == 429, variant
            assert "sb_agent" not in response.cookies
    rows = limited.query("SELECT DISTINCT login FROM login_failures WHERE ip IN ('198.51.100.5', '198.51.100.6')")
    assert [r["login"] for r in rows] == ["victim5"]


async def test_finding_07_failures_delay_progressively_and_never_lock_the_admin_out(runtime: Runtime) -> None:
    agents, delays = runtime.agents, LoginDelays(free=5, address_max=900, account_max=60)
    t0 = utcnow()
    for i in range(40):  # a botnet: 40 wrong passwords for the admin from 40 addresses
        assert await agents.authenticate("admin", "wrong-password", f"192.0.2.{i}", t0) is None
    waits = [await agents.login_delay("admin", "203.0.113.1", t0 + timedelta(seconds=s), delays) for s in (0, 30, 60)]
    assert waits[0] == 60 and 0 < waits[1] <= 30 and waits[2] == 0  # short, and over within a minute
    assert await agents.login_delay("admin", "203.0.113.1", t0, delays, known_device=True) == 0
    for i in range(10):  # one address failing over and over waits longer and longer, up to 15 minutes
        await agents.authenticate(f"user{i}", "wrong-password", "198.51.100.66", t0)
    address_waits = [await agents.login_delay("nobody", "198.51.100.66", t0, delays)]
    for i in range(10, 20):
        await agents.authenticate(f"user{i}", "wrong-password", "198.51.100.66", t0)
    address_waits.append(await agents.login_delay("nobody", "198.51.100.66", t0, delays))
    assert address_waits == [32, 900]
    later = t0 + timedelta(minutes=16)  # the failures are forgotten after the window
    assert await agents.login_delay("admin", "198.51.100.66", later, delays) == 0


# -- 6: the client's address behind a proxy ----------------------------------------------------------------


async def test_finding_06_a_rotated_leftmost_forwarded_for_is_not_a_new_client(limited: AppServer,
                                                                              http: aiohttp.ClientSession) -> None:
    async with http.get(limited.url + "/api/feedback/options") as response:
        options = await response.json()
    ticket = {"phone": "+7 900 123-45-67", "name": "Анна", "region": options["regions"][0]["id"], "topic": "internet",
              "description": "Не работает мобильный интернет в центре города", "email": ""}
    statuses = []
    for i in range(10):  # the proxy appends the real client; whatever the client wrote is further left
        headers = {"X-CSRF-Token": options["csrf"], "X-Forwarded-For": f"10.9.{i}.{i}, 198.51.100.61"}
        async with http.post(limited.url + "/api/feedback", json=ticket, headers=headers) as response:
            statuses.append(response.status)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 5
    for i in range(8):
        await console_login(http, limited, "admin", "wrong-password", headers={"X-Forwarded-For": f"10.8.0.{i}, 198.51.100.62"})
    response = await console_login(http, limited, "nobody", "wrong-password",
                                   headers={"X-Forwarded-For": "10.7.7.7, 198.51.100.62"})
    assert response.status == 429


# -- 8: limits per address --------------------------------------------------------------------------------


async def test_finding_08_fresh_tokens_do_not_dodge_the_limits(limited: AppServer, http: aiohttp.ClientSession) -> None:
    address = {"X-Forwarded-For": "198.51.100.81"}
    statuses = []
    for _ in range(12):  # new visitor tokens: 10 a minute per address
        async with http.post(limited.url + "/api/chat/session", json={}, headers={**limited.origin, **address}) as r:
            statuses.append(r.status)
            if r.status == 429:
                assert int(r.headers["Retry-After"]) >= 1
    assert statuses.count(200) == 10 and statuses[-1] == 429
    # messages: all visitors of one address together, 120 at once (then 2 a second)
    tokens = []
    for i in range(15):
        async with http.post(limited.url + "/api/chat/session", json={},
                             headers={**limited.origin, "X-Forwarded-For": f"198.51.100.{100 + i}"}) as r:
            tokens.append((await r.json())["token"])
    sockets = [await http.ws_connect(limited.url + "/ws/chat", params={"token": t},
                                     headers={**limited.origin, "X-Forwarded-For": "198.51.100.82"}) for t in tokens]
    for ws in sockets:
        await ws.receive_json()  # history
    for n, ws in enumerate(sockets):
        for k in range(20):  # 300 messages, 20 per visitor (within each visitor's own burst)
            await ws.send_json({"type": "say", "id": f"lim-{n}-{k:04d}", "text": "/help"})
    acked = limited_count = 0
    for ws in sockets:
        seen = 0
        while seen < 20:
            frame = await ws.receive_json(timeout=60)
            if frame.get("type") == "ack":
                acked, seen = acked + 1, seen + 1
            elif frame.get("type") == "error":
                assert frame["error"] == "rate_limited" and frame["retry_after"] >= 1
                limited_count, seen = limited_count + 1, seen + 1
        await ws.close()
    assert acked + limited_count == 300 and acked >= 120 and limited_count >= 100  # 120 at once, then a trickle
    # sockets: 20 open at once per address
    opened, refused = [], 0
    for _ in range(21):
        try:
            opened.append(await http.ws_connect(limited.url + "/ws/chat", params={"token": tokens[0]},
                                                headers={**limited.origin, "X-Forwarded-For": "198.51.100.83"}))
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 429
            refused += 1
    assert len(opened) == 20 and refused == 1
    for ws in opened:
        await ws.close()


async def test_finding_08_login_codes_are_limited_per_address(runtime: Runtime) -> None:
    """SMS pumping: codes for many numbers, one client address, a fresh visitor each time."""
    core, limited_replies = runtime.core, []
    for i in range(12):
        user = f"pump{i}"
        await core.handle(Incoming(channel="web", user_id=user, text="какой у меня баланс", address="198.51.100.88"))
        out = await core.handle(Incoming(channel="web", user_id=user, text=f"+7999000{i:04d}", address="198.51.100.88"))
        limited_replies.append(out.text)
    codes = await runtime.db.fetchval("SELECT count(*) FROM login_codes WHERE user_key LIKE 'web:pump%'")
    assert codes == 10 and limited_replies[10] == limited_replies[11] != limited_replies[9]
    await core.handle(Incoming(channel="web", user_id="pump-other", text="какой у меня баланс", address="198.51.100.89"))
    await core.handle(Incoming(channel="web", user_id="pump-other", text="+79990009999", address="198.51.100.89"))
    assert await runtime.db.fetchval("SELECT count(*) FROM login_codes WHERE user_key = 'web:pump-other'") == 1


# -- 9: codes never kept in clear while one is out ---------------------------------------------------------


async def test_finding_09_a_code_typed_when_not_expected_is_masked_while_one_is_out(bot: CoreClient) -> None:
    rt, now = bot.runtime, now_utc()
    await bot.say("какой у меня баланс", now=now)
    await bot.say(MARIA, now=now)  # a code is sent
    await bot.say("отмена", now=now)
    await bot.say("мой код 123 456, а телефон +7 999 123-45-67", now=now)
    stranger = CoreClient(rt, user="no-code")
    await stranger.say("заказ 654321", now=now)  # nobody sent this one a code: nothing to hide
    conv = await rt.conversations.get_or_create("test", bot.user, now)
    texts = [r["text"] for r in await rt.conversations.messages(conv.id) if r["direction"] == "in"]
    assert texts[-1] == "мой код ••••••, а телефон +7 999 123-45-67"
    logged = await rt.db.fetchall("SELECT text FROM turns_log WHERE conversation_id = ?", (conv.id,))
    assert not any(re.search(r"123\s?456", r["text"]) for r in logged)
    other = await rt.conversations.get_or_create("test", "no-code", now)
    assert next(r["text"] for r in await rt.conversations.messages(other.id)) == "заказ 654321"


# -- 10, 11: webhooks refuse before they read ---------------------------------------------------------------


def raw_post(port: int, path: str, headers: bytes, body: bytes) -> int:
    """An HTTP request with whatever bytes in its headers (clients refuse to send non-UTF-8); its status."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + headers + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


async def test_finding_10_a_secret_header_that_is_not_utf8_is_refused_not_a_500(server: AppServer) -> None:
    body = json.dumps({"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"},
                                                   "date": 0, "text": "x"}}).encode()
    for header in (b"X-Telegram-Bot-Api-Secret-Token: \xff\xfe\xc3\x28\r\n", b"X-Telegram-Bot-Api-Secret-Token: \xd0\r\n"):
        assert await asyncio.to_thread(raw_post, server.port, "/webhooks/telegram", header, body) == 401
    assert await asyncio.to_thread(raw_post, server.port, "/webhooks/viber",
                                   b"X-Viber-Content-Signature: \xff\xfe\r\n", body) == 403


DEEP = "[" * 5000 + "]" * 5000


async def test_finding_11_deep_json_is_refused_before_any_parsing_goes_wrong(server: AppServer,
                                                                            http: aiohttp.ClientSession) -> None:
    vk = f'{{"type": "message_new", "group_id": {VK_GROUP}, "secret": "{VK_SECRET}", "object": {DEEP}}}'.encode()
    async with http.post(server.url + "/webhooks/vk", data=vk, headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    tg = f'{{"update_id": 5, "message": {DEEP}}}'.encode()
    async with http.post(server.url + "/webhooks/telegram", data=tg,
                         headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}) as r:
        assert r.status == 400  # signed, and still refused
    async with http.post(server.url + "/webhooks/telegram", data=tg, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}) as r:
        assert r.status == 401  # the secret first
    viber = f'{{"event": "message", "message_token": 1, "message": {DEEP}}}'.encode()
    async with http.post(server.url + "/webhooks/viber", data=viber,
                         headers={"X-Viber-Content-Signature": viber_sign(viber, VIBER_TOKEN)}) as r:
        assert r.status == 400
    async with http.post(server.url + "/api/chat/session", data=DEEP, headers=server.origin) as r:
        assert r.status == 400
    chat = await ChatClient.open(http, server)
    await chat.ws.send_str(f'{{"type": "say", "id": "deep-frame-1", "text": {DEEP}}}')
    error = await chat.wait_for(lambda f: f.get("type") == "error")
    assert error["error"] in ("bad_frame", "too_long")
    await chat.close()


# -- 12: numbers and settings out of range -------------------------------------------------------------------


async def test_finding_12_integers_out_of_range_and_bad_settings_are_refused_clearly(
        server: AppServer, http: aiohttp.ClientSession, tmp_path: Path) -> None:
    token = await ChatClient.new_token(http, server)
    for after in (str(2**70), "-1", "abc", "1e3"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(server.url + "/ws/chat", params={"token": token, "after": after}, headers=server.origin)
        assert refused.value.status == 400
    agent = await new_agent(server, role="editor")
    console = await ConsoleClient.open(server, agent)
    result = await console.op("open", conversation_id=2**70)
    assert result["ok"] is False and "out of range" in result["error"]
    assert (await console.op("queue"))["ok"] is True  # the socket stays
    async with console.http.get(server.url + "/api/kb/unanswered?limit=abc") as r:
        assert r.status == 400 and "limit" in (await r.json())["error"]
    async with console.http.get(server.url + f"/api/kb/revisions/{2**70}") as r:
        assert r.status == 400
    await console.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")} | {"SUPPORTBOT_REDIS_URL": "not-a-url"}
    done = await asyncio.to_thread(subprocess.run, [str(SUPPORTBOT), "serve"], cwd=tmp_path, env=env,
                                   capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == ["supportbot: configuration error: SUPPORTBOT_REDIS_URL is not a Redis URL (redis://host:port/db)"]


# -- 13: money -----------------------------------------------------------------------------------------------


@pytest.mark.storage_free
@pytest.mark.parametrize("text, kopecks", [
    ("100.999 руб", [10_099_900]), ("99,999 руб", [9_999_900]), ("1.500 руб", [150_000]), ("1 500 руб", [150_000]),
    ("12345678901234567890 рублей", [1_234_567_890_123_456_789_000]), ("-100 рублей", [-10_000]),
    ("минус 100 рублей", [-10_000]), ("99,99 ₽", [9_999]), ("1.500,50 руб", [150_050]), ("1,500.50 rub", [150_050]),
    ("100.9999 руб", []), ("200 р.", [20_000]),
])
def test_finding_13_amounts_are_read_as_people_write_them(text: str, kopecks: list[int]) -> None:
    assert find_money(text) == kopecks


@pytest.mark.parametrize("lang, typed, allowed", [
    ("ru", "-100 рублей", "от 10 до 15 000 ₽"), ("ru", "100.999 руб", "от 10 до 15 000 ₽"),
    ("ru", "12345678901234567890 рублей", "от 10 до 15 000 ₽"), ("en", "-100 roubles", "10–15,000 ₽"),
])
async def test_finding_13_out_of_range_amounts_are_refused_with_the_range(runtime: Runtime, lang: str, typed: str,
                                                                         allowed: str) -> None:
    bot = CoreClient(runtime, user=f"money-{lang}-{len(typed)}")
    now = now_utc()
    if lang == "ru":
        await login(bot, MARIA, now, first="пополнить баланс")
    else:  # the same in English
        await bot.say("top up my balance", now=now, lang="en")
        await bot.say(MARIA, now=now)
        assert "logged in" in (await bot.say(await last_code(runtime, MARIA), now=now)).text.lower()
    refused = await bot.say(typed, now=now)
    assert allowed in refused.text, refused.text
    assert await runtime.db.fetchval("SELECT count(*) FROM payments") == 0


@pytest.mark.storage_free
@pytest.mark.parametrize("web, forwarded, peer, client", [
    ({"proxy_hops": 1}, "6.6.6.6, 198.51.100.7", "10.0.0.2", "198.51.100.7"),
    ({"proxy_hops": 2}, "6.6.6.6, 198.51.100.7, 10.0.0.9", "10.0.0.2", "198.51.100.7"),
    ({"trusted_proxies": ["10.0.0.0/8"]}, "6.6.6.6, 198.51.100.7, 10.0.0.9", "10.0.0.2", "198.51.100.7"),
    ({"trusted_proxies": ["10.0.0.0/8"]}, "6.6.6.6", "192.0.2.1", "192.0.2.1"),  # the peer is not our proxy
    ({}, "6.6.6.6", "192.0.2.1", "192.0.2.1"),  # no proxy configured: the header means nothing
    ({"trust_proxy": True}, "6.6.6.6, 198.51.100.7", "10.0.0.2", "198.51.100.7"),  # one hop
])
def test_finding_06_the_client_address_is_read_right_to_left_past_our_proxies(web: dict, forwarded: str, peer: str,
                                                                              client: str) -> None:
    from aiohttp.test_utils import make_mocked_request
    from aiohttp.web import Application

    from supportbot.config import Config
    from web.keys import CONFIG
    from web.security import client_ip

    app = Application()
    app[CONFIG] = Config.model_validate({"web": web})
    request = make_mocked_request("GET", "/", headers={"X-Forwarded-For": forwarded}, app=app,
                                  transport=_Transport(peer))
    assert client_ip(request) == client


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.peer, 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False
