"""Delivery guarantees for the messenger channels: the workers over the inbox and the outbox
(`storage.inbox`, `storage.outbox`).

Inbound: a webhook (or a poll) stores the update before it is acknowledged; a worker
processes updates from the store, so a crash between the two loses nothing; the store's
unique key (update_id / event_id / message_token) drops redeliveries; a turn's result is
kept by the core under the same key, so an update processed twice (a crash after the turn)
is answered once.

Outbound: replies and operator messages go into the outbox with a unique key, a sender
paces them under the platform's limits, honours "retry after", retries failures with
backoff, and marks what could not be sent as failed (visible in the console and metrics),
never dropping a reply silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from intents.dialogue import Core
from intents.replies import Button, Incoming, Outcome, Reply
from kernel.bus import EventBus
from kernel.clock import utcnow
from storage.db import Database, Statement
from storage.inbox import UPDATE_ATTEMPTS, Inbox
from storage.outbox import MAX_ATTEMPTS, Outbox

from .base import Adapter, Parsed, RetryLater, SendFailed
from .ratelimit import Pacer

log = logging.getLogger(__name__)


class Coalescer:
    """Many callers' items written in one go: the first caller starts a write; callers that
    come while it runs are written together by the next one. Each caller returns once its own
    item is written (or gets the write's error)."""

    def __init__(self, write: Callable[[list[Any]], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[tuple[Any, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def add(self, item: Any) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        await future

    async def idle(self) -> None:
        """Wait until nothing is being written."""
        while self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._write([item for item, _ in batch])
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._task = None


class ChannelRunner:
    """Processes one channel's stored updates and sends its outbox."""

    def __init__(self, adapter: Adapter, core: Core, db: Database, events: EventBus, pacer: Pacer,
                 concurrency: int = 32, instance: str = "local", alive: timedelta | None = None) -> None:
        self.adapter = adapter
        self.instance = instance
        self.core = core
        self.db = db
        self.events = events
        self.pacer = pacer
        self.inbox = Inbox(db, alive) if alive is not None else Inbox(db)
        self.outbox = Outbox(db, alive) if alive is not None else Outbox(db)
        self.concurrency = concurrency
        self._inbound = asyncio.Event()
        self._outbound = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._chat_queues: dict[str, deque[dict[str, Any]]] = {}
        self._chat_tasks: dict[str, asyncio.Task[None]] = {}
        self._sending = asyncio.Semaphore(64)  # sends in flight at once
        self._unsubscribe: Any = None
        self._sent = Coalescer(self._mark_sent)  # one UPDATE for the sends of a moment
        self._attempts = Coalescer(self._mark_attempts)  # and one for the attempts about to leave
        self.in_doubt = 0  # messages claimed again after an instance stopped while sending them
        self.processed = 0

    @property
    def name(self) -> str:
        return self.adapter.name

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._unsubscribe = self.events.subscribe("*", self._on_event)
        await self.relay_pending()
        self._tasks = [asyncio.create_task(self._process_loop(), name=f"{self.name}-inbound"),
                       asyncio.create_task(self._send_loop(), name=f"{self.name}-outbound")]

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        tasks = [*self._tasks, *self._chat_tasks.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._sent.idle()  # marks of messages already sent are written before the database closes

    # -- inbound -----------------------------------------------------------------------------------

    async def accept(self, update: dict[str, Any], raw: str | None = None, parsed: Parsed | None = None) -> bool:
        """Store an update (the webhook answers only after this); False for a redelivery. A
        webhook passes the JSON text it read (`raw`) and the update as parsed, when it has them.

        With several instances, Redis keeps the keys of recent updates so a redelivery landing
        on any instance is recognised without a database write; the database's unique key
        stays the guarantee (a Redis outage never loses or doubles an update)."""
        key = self.adapter.update_key(update)
        shared = self.events.shared
        if shared is not None:
            try:
                fresh = await asyncio.wait_for(shared.client.set(shared.key("seen", self.name, key), 1, nx=True, ex=86400),
                                               timeout=1)
            except Exception:
                fresh = True  # Redis unreachable: the database decides
            if not fresh and await self.inbox.stored(self.name, key):
                return False
        try:
            parsed = parsed or self.adapter.parse(update)
            chat = f"{parsed.messages[0].chat_id}" if parsed.messages else ""
        except Exception:  # kept all the same; it is marked failed when processed
            chat = ""
        new = await self.inbox.accept(self.name, key, update, utcnow(), chat=chat, raw=raw)
        if new:
            self._inbound.set()
        return new

    async def answer_now(self, update: dict[str, Any]) -> tuple[Incoming, Outcome] | None:
        """An update answered in the webhook's own response (Viber's conversation_started): stored
        as taken by this instance, its turn done, marked done. None for a redelivery (or an update
        with nothing to answer)."""
        key = self.adapter.update_key(update)
        if not await self.inbox.accept(self.name, key, update, utcnow(), taken_by=self.instance):
            return None
        parsed = self.adapter.parse(update)
        if not parsed.messages:
            await self.inbox.done_by_key(self.name, key, utcnow())
            return None
        msg = parsed.messages[0]
        msg.message_id = f"{key}:0"
        outcome = await self.core.handle(msg)
        await self.inbox.done_by_key(self.name, key, utcnow())
        return msg, outcome

    async def _process_loop(self) -> None:
        while True:
            self._inbound.clear()  # before looking: a wake-up during the claim is not lost
            try:
                rows = await self.inbox.claim(self.name, self.instance, utcnow())
                if rows:
                    await self._process_batch(rows)
                    continue  # look again at once: a chat's next update, held back while this one ran, is ours now
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: processing updates failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._inbound.wait(), timeout=1.0)

    async def _process_batch(self, rows: list[dict[str, Any]]) -> None:
        by_chat: dict[str, list[dict[str, Any]]] = defaultdict(list)
        parsed: dict[int, Parsed] = {}
        for row in rows:
            update = json.loads(row["payload"])
            try:
                parsed[row["id"]] = self.adapter.parse(update)
            except Exception as exc:  # a stored update we cannot read: keep it, marked failed
                await self.inbox.failed(row["id"], UPDATE_ATTEMPTS, f"unreadable: {exc!r}", utcnow())
                continue
            messages = parsed[row["id"]].messages
            chat = messages[0].chat_id if messages else f"none:{row['id']}"
            by_chat[chat].append(row)
        chats = deque(by_chat.values())

        async def worker() -> None:  # `concurrency` workers take the chats in turn (one chat: in order)
            while chats:
                for row in chats.popleft():
                    await self._process_one(row, parsed[row["id"]])

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(chats)))))

    async def _process_one(self, row: dict[str, Any], parsed: Parsed) -> None:
        """The turn(s) of one update; its replies are queued and the update marked done in the same
        transaction as the (last) turn's own writes. A crash before it: nothing of the turn was
        written, the update is taken again. A turn already stored (an update of several messages
        interrupted between them, or a message answered through another path) gives its stored
        outcome: its replies are queued then, once (unique keys)."""
        now = utcnow()
        try:
            statements: list[Statement] = []
            last = len(parsed.messages) - 1
            replies = False
            for index, msg in enumerate(parsed.messages):
                msg.message_id = f"{row['update_key']}:{index}"
                with_turn: list[Statement] = []

                def finish(outcome: Outcome, msg: Incoming = msg, at_end: bool = index == last,
                           into: list[Statement] = with_turn) -> list[Statement]:
                    into += self._reply_statements(msg, outcome, msg.message_id or "", now)
                    if at_end:
                        into.append(Inbox.done_statement(row["id"], now))
                    return into

                outcome = await self.core.handle(msg, also=finish)
                replies |= bool(outcome.replies)
                if not with_turn:  # the stored outcome of a message answered before: queued here
                    statements += finish(outcome)
            if not parsed.messages:
                statements.append(Inbox.done_statement(row["id"], now))
            if statements:
                await self.db.batch(statements)
            if replies:
                self._outbound.set()
            self.processed += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s: update %s failed", self.name, row["update_key"])
            await self.inbox.failed(row["id"], row["attempts"] + 1, repr(exc), utcnow())

    def _reply_statements(self, msg: Incoming, outcome: Outcome, key: str, now: datetime) -> list[Statement]:
        items = [(f"{self.name}:{key}:{r_index}:{p_index}", request)
                 for r_index, reply in enumerate(outcome.replies)
                 for p_index, request in enumerate(self.adapter.render(msg.chat_id, reply, outcome.lang))]
        return [Outbox.replies_statement(self.name, msg.chat_id, (msg.channel, msg.user_id), items, now)] if items else []

    # -- operator and system messages --------------------------------------------------------------

    # Nothing is announced to the other instances when work finishes here: whoever finishes a chat's
    # update (or marks its message sent) claims again at once, after that commit, and an instance
    # that stores a chat's next update claims after storing it; so one of the two always sees the
    # next one, without a message to every other instance per batch.

    async def _mark_attempts(self, outbox_ids: list[int]) -> None:
        await self.outbox.attempting(outbox_ids, utcnow())

    async def _mark_sent(self, outbox_ids: list[int]) -> None:
        await self.outbox.sent(outbox_ids, utcnow())

    async def _on_event(self, topic: str, event: dict[str, Any]) -> None:
        if topic == f"work:{self.name}":  # an instance of an earlier release announcing finished work
            if event.get("from") != self.instance:
                self._inbound.set()
                self._outbound.set()
        elif topic.startswith("conv:") and event.get("type") == "message":
            await self.relay_pending(int(topic[5:]))
        elif topic == "resync":
            await self.relay_pending()
            self._inbound.set()
            self._outbound.set()

    async def relay_pending(self, conversation_id: int | None = None) -> None:
        """Queue operator and system messages of this channel's conversations not yet queued."""
        rows = await self.outbox.unrelayed(self.name, conversation_id, utcnow() - timedelta(days=1))
        if not rows:
            return
        now = utcnow()
        added = False
        for row in rows:
            buttons = [Button(b["title"], b["payload"]) for b in json.loads(row["buttons"] or "[]")]
            for p_index, request in enumerate(self.adapter.render(row["chat_id"], Reply(row["text"], buttons), row["lang"])):
                key = f"{self.name}:msg:{row['id']}" + (f":{p_index}" if p_index else "")
                added |= await self.outbox.enqueue(self.name, row["chat_id"], row["conversation_id"], key, request, now)
        if added:
            self._outbound.set()

    # -- outbound ----------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            self._outbound.clear()  # before looking: a wake-up during the claim is not lost
            try:
                rows = await self.outbox.claim(self.name, self.instance, utcnow())
                doubt = sum(1 for r in rows if r.get("attempted_at"))
                if doubt:
                    self.in_doubt += doubt
                    log.warning("%s: %d messages were being sent when an instance stopped; they are sent again "
                                "(at least once: each may arrive twice)", self.name, doubt)
                if rows:
                    self._dispatch(rows)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: sending failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbound.wait(), timeout=1.0)

    def _dispatch(self, rows: list[dict[str, Any]]) -> None:
        """Each chat has its own sender: a chat with a backlog (or waiting out a retry) never
        holds up the others, and one chat's messages keep their order."""
        for row in rows:
            chat = row["chat_id"]
            self._chat_queues.setdefault(chat, deque()).append(row)
            if chat not in self._chat_tasks:
                self._chat_tasks[chat] = asyncio.create_task(self._chat_sender(chat), name=f"{self.name}-send-{chat}")

    async def _chat_sender(self, chat: str) -> None:
        queue = self._chat_queues[chat]
        try:
            while queue:
                row = queue.popleft()
                retry_at = await self._send_one(row)
                self._outbound.set()  # the chat's next message may be claimed now
                if retry_at is not None:  # the rest of this chat waits for the same moment, in order
                    rest = [r["id"] for r in queue]
                    queue.clear()
                    await self.outbox.release(rest, retry_at)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: sender for chat %s failed", self.name, chat)
            await self.outbox.release([r["id"] for r in queue], utcnow())
            queue.clear()
        finally:
            self._chat_tasks.pop(chat, None)
            if not queue:
                self._chat_queues.pop(chat, None)

    async def _send_one(self, row: dict[str, Any]) -> datetime | None:
        """Send one message; the time of its retry when it must be tried again, else None."""
        attempts = row["attempts"] + 1
        await self.pacer.wait(row["chat_id"])
        await self._attempts.add(row["id"])  # durably marked before it leaves
        try:
            async with self._sending:
                await self.adapter.send(json.loads(row["payload"]), row["id"], row["payload"])
        except RetryLater as exc:
            self.pacer.pause(exc.seconds, row["chat_id"])
            now = utcnow()
            await self.outbox.retry(row["id"], row["attempts"], exc.seconds, exc.reason, now)  # not counted
            return now + timedelta(seconds=exc.seconds)
        except SendFailed as exc:
            log.warning("%s: message %s refused: %s", self.name, row["id"], exc)
            await self.outbox.failed(row["id"], attempts, str(exc))
            return None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network trouble, timeouts, the platform's 5xx
            delay = min(300.0, 2 ** attempts) * (0.8 + 0.4 * random.random())
            log.warning("%s: message %s not sent (%r), retry in %.0f s", self.name, row["id"], exc, delay)
            now = utcnow()
            await self.outbox.retry(row["id"], attempts, delay, repr(exc), now)
            return None if attempts >= MAX_ATTEMPTS else now + timedelta(seconds=delay)
        await self._sent.add(row["id"])
        return None

