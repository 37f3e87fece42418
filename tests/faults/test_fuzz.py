"""Fuzzing with hypothesis: webhook bodies and headers (no request, signed or not, may get a 500),
web-chat frames (the socket stays, every message with an id is answered), and the money, phone
and period parsers (never raise; amounts written the ways people write them read back).

The server runs in the test's event loop; the examples run in a thread (blocking HTTP, or a
socket on the thread's own loop) while the loop serves them."""

from __future__ import annotations

import asyncio
import json
import string
import urllib.error
import urllib.request
from datetime import date
from typing import Any

import aiohttp
import dbaccess
import pytest
from clients import ChatClient
from fakes import TG_SECRET, VIBER_TOKEN, VK_GROUP, VK_SECRET, load, viber_sign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import AppServer

from intents.entities import find_bare_money, find_money, find_period, find_phones, kopecks
from kernel.phones import normalize_phone

pytestmark = pytest.mark.timeout(600)
# a third of the examples on PostgreSQL (`dbaccess.examples`): the SQLite run has checked the parsing; this one
# checks that what a webhook accepts is stored and answered there too
FUZZ = settings(max_examples=dbaccess.examples(150), deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True)
COUNTS: dict[str, int] = {}
HEADER_CHARS = string.ascii_letters + string.digits + string.punctuation

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30)
texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\x00", "\u202e", "\ufffe"]),
                max_size=60)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def mutate(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """`base` with the value at `path` (as far as it goes) replaced."""
    out = json.loads(json.dumps(base))
    node = out
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            break
        node = node[key]
    node[path[-1]] = value
    return out


def counted(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


async def test_webhooks_never_answer_500(server: AppServer) -> None:
    url = server.url + "/webhooks/"
    telegram = load("telegram/message_text.json")
    vk = {"type": "message_new", "group_id": VK_GROUP, "secret": VK_SECRET,
          "object": {"message": {"peer_id": 1, "from_id": 1, "text": "x", "id": 1, "date": 0}}}
    paths = st.sampled_from([["update_id"], ["message", "text"], ["message", "chat", "id"], ["message", "from"],
                             ["message", "date"], ["message"], ["callback_query"], ["message", "contact"]])
    statuses: list[int] = []

    @FUZZ
    @given(body=json_values, secret=st.one_of(st.just(TG_SECRET), st.text(alphabet=HEADER_CHARS, max_size=40)))
    def anything_unsigned(body: Any, secret: str) -> None:
        counted("webhook bodies, any JSON")
        raw = json.dumps(body).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret.strip() or "x"}
        statuses.extend([post(url + "telegram", raw, headers), post(url + "vk", raw, {}),
                         post(url + "viber", raw, {"X-Viber-Content-Signature": "00"})])

    @FUZZ
    @given(path=paths, value=json_values)
    def signed_but_odd(path: list[str], value: Any) -> None:
        counted("webhook bodies, signed and mutated")
        tg = json.dumps(mutate(telegram, path, value)).encode()
        statuses.append(post(url + "telegram", tg, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}))
        vk_body = json.dumps(mutate(vk, ["object", *path[1:]] if len(path) > 1 else ["object"], value)).encode()
        statuses.append(post(url + "vk", vk_body, {}))
        viber = json.dumps(mutate({"event": "message", "message_token": 1, "timestamp": 0,
                                   "sender": {"id": "u", "name": "n"}, "message": {"type": "text", "text": "x"}},
                                  ["message", *path[1:]] if len(path) > 1 else ["sender"], value)).encode()
        statuses.append(post(url + "viber", viber, {"X-Viber-Content-Signature": viber_sign(viber, VIBER_TOKEN)}))

    @FUZZ
    @given(raw=st.binary(max_size=300))
    def not_even_json(raw: bytes) -> None:
        counted("webhook bodies, raw bytes")
        statuses.extend([post(url + "telegram", raw, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}),
                         post(url + "vk", raw, {}),
                         post(url + "viber", raw, {"X-Viber-Content-Signature": viber_sign(raw, VIBER_TOKEN)})])

    for fuzz in (anything_unsigned, signed_but_odd, not_even_json):
        await asyncio.to_thread(fuzz)
    assert statuses and 500 not in statuses and set(statuses) <= {200, 400, 401, 403, 413}, sorted(set(statuses))
    print("fuzzed:", COUNTS)


async def test_chat_frames_never_drop_the_socket(server: AppServer, http: aiohttp.ClientSession) -> None:
    token = await ChatClient.new_token(http, server)
    outcomes: list[str] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        session = loop.run_until_complete(_session())
        ws = loop.run_until_complete(session.ws_connect(server.url + "/ws/chat", params={"token": token},
                                                        headers=server.origin))
        loop.run_until_complete(ws.receive_json(timeout=30))  # history
        frame_values = st.one_of(
            st.fixed_dictionaries({"type": st.sampled_from(["say", "press", "typing", "ping", "shout"]),
                                   "id": st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=8,
                                                 max_size=20)},
                                  optional={"text": st.one_of(texts, json_values), "payload": json_values,
                                            "title": json_values}),
            json_values)

        @FUZZ
        @given(frame=frame_values)
        def one(frame: Any) -> None:
            counted("chat frames")
            outcomes.append(loop.run_until_complete(_exchange(ws, frame)))

        try:
            one()
        finally:
            loop.run_until_complete(ws.close())
            loop.run_until_complete(session.close())
            loop.close()

    await asyncio.to_thread(run)
    assert "closed" not in outcomes and outcomes
    print("fuzzed:", COUNTS)


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


async def _exchange(ws: aiohttp.ClientWebSocketResponse, frame: Any) -> str:
    """Send a frame; what came back for it: "ack", "error", "pong", "none" or "closed"."""
    await ws.send_str(json.dumps(frame))
    wanted = frame.get("id") if isinstance(frame, dict) and frame.get("type") in ("say", "press") else None
    await ws.send_str(json.dumps({"type": "ping"}))  # a marker: everything for the frame came before its pong
    got = "none"
    while True:
        msg = await ws.receive(timeout=30)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return "closed"
        data = json.loads(msg.data)
        if data.get("type") in ("ack", "error") and (wanted is None or data.get("id") in (wanted, None)):
            got = data["type"]
        if data.get("type") == "pong":
            return got if wanted is None or got != "none" or not _says_something(frame) else "unanswered"


def _says_something(frame: dict[str, Any]) -> bool:
    text, payload = frame.get("text", ""), frame.get("payload")
    return (isinstance(text, str) and bool(text.strip())) or (frame.get("type") == "press" and bool(payload))


# -- parsers -------------------------------------------------------------------------------------------------


@pytest.mark.storage_free
@FUZZ
@given(text=texts)
def test_money_phone_and_period_parsers_never_raise(text: str) -> None:
    counted("parser inputs")
    for value in find_money(text) + find_bare_money(text):
        assert isinstance(value, int)
    assert all(p.startswith("+7") and len(p) == 12 for p in find_phones(text))
    normalize_phone(text)
    period = find_period(text, date(2026, 12, 2))
    assert period is None or period.start <= period.end


@pytest.mark.storage_free
@FUZZ
@given(rubles=st.integers(min_value=0, max_value=10**9), kop=st.integers(min_value=0, max_value=99),
       style=st.sampled_from(["plain", "space", "nbsp", "dot", "comma"]), decimal=st.sampled_from([",", "."]),
       currency=st.sampled_from(["руб", "рублей", "₽", "р.", "rub", "roubles"]), negative=st.booleans())
def test_amounts_written_as_people_write_them_read_back(rubles: int, kop: int, style: str, decimal: str, currency: str,
                                                       negative: bool) -> None:
    counted("written amounts")
    groups = f"{rubles:,}".split(",")
    sep = {"plain": "", "space": " ", "nbsp": "\u00a0", "dot": ".", "comma": ","}[style]
    if sep == decimal and kop:  # "1.500.50" is not a way anyone writes
        decimal = "," if sep == "." else "."
    whole = sep.join(groups)
    written = whole + (f"{decimal}{kop:02d}" if kop else "")
    text = f"пополни на {'-' if negative else ''}{written} {currency}"
    expected = (rubles * 100 + kop) * (-1 if negative else 1)
    if style in ("dot", "comma") and len(groups) == 1 and not kop:
        assert find_money(text) == [expected]
    else:
        assert find_money(text) == [expected], (text, kopecks(written))
