"""The dialogue core: one path for every message from every channel.

`Core.handle(Incoming) -> Outcome` loads the conversation, routes the message (operator
relay, button, command, pending question, account action in progress, understanding),
and stores the state, the transcript and the turn log before returning.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from knowledge.model import Entry, KnowledgeBase
from storage.conversations import Conversation, ConversationStore

from .clock import utcnow
from .commands import is_cancel, yes_no
from .computed import compute
from .matcher import Match, Matcher
from .normalize import Normalizer, detect_language
from .ports import ActionPort, Events, HandoffPort, Step, Turn
from .replies import Button, Incoming, Outcome, Reply

MAX_TEXT = 4000  # longer messages are cut (and the user is told)
COMMANDS = {"/start": "welcome", "/help": "help", "/menu": "menu", "/operator": "operator", "/cancel": "cancel",
            "/logout": "logout"}
SKIP_GROUPS = frozenset({"smalltalk", "out_of_scope", "actions", "handoff"})


def _with_handoff(outcome: Outcome, status: str) -> Outcome:
    outcome.handoff = status in ("queued", "operator")
    return outcome


def _rating(button: str | None, text: str) -> int | None:
    """1-5 from a rating button ("rate:4") or a message ("5", "5 звёзд")."""
    if button and button.startswith("rate:") and button[5:].isdigit():
        value = int(button[5:])
    else:
        digits = re.fullmatch(r"\s*([1-5])\s*(?:[*⭐]|зв[её]зд[а-я]*|stars?|из 5|/5|of 5)?\s*[.!]?\s*", text or "")
        if not digits:
            return None
        value = int(digits.group(1))
    return value if 1 <= value <= 5 else None


@dataclass
class KnowledgeHolder:
    """The knowledge base in use and its index; swapped as a whole when editors publish."""

    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def build(cls, kb: KnowledgeBase, normalizer: Normalizer, threshold: float) -> KnowledgeHolder:
        return cls(kb, Matcher(kb, normalizer, threshold))


class Core:
    def __init__(self, knowledge: KnowledgeHolder, conversations: ConversationStore, handoff: HandoffPort,
                 actions: ActionPort, *, suggest_min: float = 0.3, menu_size: int = 5, events: Events | None = None) -> None:
        self.knowledge = knowledge
        self.events = events
        self.observers: list[Any] = []  # metrics: .turn(channel, outcome, intent, seconds)
        self.conversations = conversations
        self.handoff = handoff
        self.actions = actions
        self.suggest_min = suggest_min
        self.menu_size = menu_size
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    # -- the one entry point -------------------------------------------------------------------

    async def handle(self, msg: Incoming) -> Outcome:
        started = time.perf_counter()
        now = msg.now or utcnow()
        key = (msg.channel, msg.user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            conv, done = await self.conversations.open_turn(msg.channel, msg.user_id, msg.message_id, now, msg.chat_id,
                                                            msg.display_name)
            if done is not None:  # a redelivered message: the same answer, nothing done twice
                result, status = done
                stored = Outcome.from_json(result)
                return stored if status is None else _with_handoff(stored, status)
            return await self._handle(msg, conv, now, started)

    async def _handle(self, msg: Incoming, conv: Conversation, now: datetime, started: float) -> Outcome:
        holder = self.knowledge
        truncated = len(msg.text) > MAX_TEXT
        if truncated:
            msg.text = msg.text[:MAX_TEXT]
        lang = self._language(msg, conv)
        conv.lang = lang
        status_before = conv.status
        turn = Turn(msg, conv, now, lang, holder.kb, holder.matcher)
        step = await self._route(turn)
        shown = msg.text or (f"[{msg.button}]" if msg.button else "[contact]" if msg.contact else "")
        if step.redact_input:
            shown = "•" * min(len(shown), 8)  # a login code: never kept
        if truncated:
            step.replies.insert(0, Reply(turn.say("too_long", limit=MAX_TEXT)))
        intent = step.intent or step.action  # a turn inside an action belongs to that action
        key = (msg.channel, msg.message_id) if msg.message_id else None
        outcome = Outcome(step.replies, intent, step.action, False, lang, step.score, step.outcome)
        status = await self.conversations.record_turn(
            conv, shown, [{"text": r.text, "buttons": [{"title": b.title, "payload": b.payload} for b in r.buttons]}
                          for r in step.replies], now,
            author=msg.user_id, intent=step.intent, action=step.action, score=step.score, outcome=step.outcome,
            message_key=key, result=outcome.to_json() if key else None)
        outcome.handoff = status in ("queued", "operator")
        for observer in self.observers:  # counted before anyone hears of the turn (metrics match what was seen)
            await observer.turn(msg.channel, outcome.outcome, outcome.intent, time.perf_counter() - started)
        if self.events is not None:  # stored first, then announced (web chat, consoles, channel senders)
            await self.events.publish(f"conv:{conv.id}", {"type": "turn", "status": status})
            if step.outcome == "handoff" or status_before != status:
                await self.events.publish("queue", {"type": "changed", "conversation_id": conv.id})
        return outcome

    def _language(self, msg: Incoming, conv: Conversation) -> str:
        # addresses and markup say nothing of the language
        text = re.sub(r"\S+@\S+|https?://\S+|<[^>]{0,80}>", " ", msg.text.lower())
        letters = re.findall(r"[a-zа-яё]", text)
        if msg.text.lstrip().startswith("/"):  # a command ("/start") says nothing of the language
            letters = []
        flow = conv.state.get("flow")
        if flow and flow.get("await") and len(text.split()) < 4:
            letters = []  # a short answer to the bot's question (a name, a code) keeps the language
        if len(letters) >= 3:
            cyrillic = sum(1 for c in letters if "а" <= c <= "я" or c == "ё")
            share = cyrillic / len(letters)
            if not conv.state.get("seen"):
                return detect_language(text, msg.lang_hint or conv.lang)
            if share >= 0.7:  # a clear switch; a mixed message keeps the conversation's language
                return "ru"
            if share <= 0.3:
                return "en"
            return conv.lang
        if not conv.state.get("seen") and msg.lang_hint in ("ru", "en"):
            return msg.lang_hint
        return conv.lang

    # -- routing -------------------------------------------------------------------------------

    async def _route(self, turn: Turn) -> Step:
        conv, msg = turn.conv, turn.msg
        first = not conv.state.get("seen")
        conv.state["seen"] = True
        if conv.with_people:
            if msg.button == "act:start:feedback" and conv.status == "queued":
                await self.handoff.cancel(conv.id, turn.now)  # the user chose the form over waiting
                conv.status = "bot"
                return await self.actions.start(turn, "feedback")
            return await self.handoff.user_message(turn)
        rating = conv.state.pop("rating", None)
        if rating is not None:
            score = _rating(msg.button, msg.text)
            if score is not None:
                await self.handoff.rate(int(rating), score)
                return Step([Reply(turn.say("rate_thanks"))], outcome="answer")
        if msg.button:
            step = await self._button(turn, msg.button)
            if step is not None:
                return step
            if not msg.text:
                return Step([Reply(turn.say("stale_button"))], outcome="fallback")
        word = msg.text.strip().split(maxsplit=1)[0].lower() if msg.text.strip() else ""
        command = COMMANDS.get(word.split("@")[0]) if word.startswith("/") else None  # "/start@bot payload"
        if command:
            return await self._command(turn, command, first)
        if not msg.text.strip() and msg.contact is None:
            return Step([Reply(turn.say("empty"))], outcome="fallback")
        if is_cancel(msg.text):
            conv.state.pop("offer", None)
            if self.actions.active(conv):
                return await self.actions.cancel(turn)
            return Step([Reply(turn.say("nothing_to_cancel"))], outcome="answer")
        offer = conv.state.pop("offer", None)
        if offer == "operator":
            answer = yes_no(msg.text)
            if answer is True:
                return await self._operator(turn, "fallback")
            if answer is False:
                conv.state["misses"] = 0
                return Step([Reply(turn.say("operator_declined"), self._menu(turn))], outcome="answer")
        step = await self.actions.resume(turn)
        if step is not None:
            return step
        step = await self._understand(turn)
        if self.actions.active(conv) and step.outcome != "action":
            reminder = self.actions.reminder(turn)  # answered a detour; the action still waits
            if reminder is not None:
                step.replies.append(reminder)
        return step

    async def _button(self, turn: Turn, payload: str) -> Step | None:
        if payload.startswith("kb:"):
            entry = turn.kb.entry(payload[3:])
            if entry is None:
                return None
            return await self._entry(turn, entry, None)
        if payload == "menu":
            return Step([Reply(turn.say("menu"), self._menu(turn))])
        if payload in ("op:yes", "op:no"):
            turn.conv.state.pop("offer", None)
            if payload == "op:yes":
                return await self._operator(turn, "fallback")
            turn.conv.state["misses"] = 0
            return Step([Reply(turn.say("operator_declined"), self._menu(turn))])
        if payload == "operator":
            return await self._operator(turn, "asked")
        return await self.actions.button(turn, payload)

    async def _command(self, turn: Turn, command: str, first: bool) -> Step:
        if command in ("welcome", "help"):
            return Step([Reply(turn.say("welcome" if command == "welcome" else "help"), self._menu(turn))],
                        intent=None, outcome="smalltalk")
        if command == "menu":
            return Step([Reply(turn.say("menu"), self._menu(turn))])
        if command == "operator":
            return await self._operator(turn, "asked")
        if command == "cancel":
            if self.actions.active(turn.conv):
                return await self.actions.cancel(turn)
            return Step([Reply(turn.say("nothing_to_cancel"))])
        # logout belongs to the account actions
        step = await self.actions.button(turn, "auth:logout")
        return step or Step([Reply(turn.say("nothing_to_cancel"))])

    async def _understand(self, turn: Turn) -> Step:
        match = turn.matcher.match(turn.msg.text, turn.lang)
        turn.analysis = match.analysis
        region = match.analysis.entities.region
        if region:
            turn.conv.state["region"] = region
        best = match.best
        if best is not None and match.confident:
            entry = turn.kb.entry(best.entry_id)
            assert entry is not None
            return await self._entry(turn, entry, best.score)
        return self._miss(turn, match)

    async def _entry(self, turn: Turn, entry: Entry, score: float | None) -> Step:
        conv = turn.conv
        if entry.handoff:
            step = await self._operator(turn, "asked")
            step.intent, step.score = entry.id, score
            return step
        if entry.action:
            conv.state["misses"] = 0
            step = await self.actions.start(turn, entry.action, dict(entry.slots) if entry.slots else None)
            step.intent = step.intent or entry.id
            step.score = score
            return step
        if entry.out_of_scope:
            return self._count_miss(turn, Step([Reply(entry.answer.get(turn.lang), self._menu(turn))], None,
                                               score=score, outcome="oos"))
        conv.state["misses"] = 0
        text = entry.answer.get(turn.lang)
        if entry.compute:
            line = compute(entry.compute, turn.kb, turn.now, turn.lang, conv.state.get("region"))
            if line:
                text = f"{line}\n\n{text}"
        buttons = [Button(b.title.get(turn.lang), b.payload) for b in entry.buttons]
        for ref in entry.followups:
            other = turn.kb.entry(ref)
            if other is not None and len(buttons) < 4:
                buttons.append(Button(other.title.get(turn.lang), f"kb:{other.id}"))
        outcome = "smalltalk" if entry.group == "smalltalk" else "answer"
        return Step([Reply(text, buttons)], entry.id, score=score, outcome=outcome)

    def _miss(self, turn: Turn, match: Match) -> Step:
        suggestions = []
        for candidate in match.candidates:
            entry = turn.kb.entry(candidate.entry_id)
            if (entry is not None and candidate.score >= self.suggest_min and not entry.out_of_scope
                    and entry.group != "smalltalk" and len(suggestions) < 3):
                suggestions.append(Button(entry.title.get(turn.lang), f"kb:{entry.id}"))
        best = match.best
        step = Step([], None, score=best.score if best else None, outcome="fallback")
        if suggestions:
            step.replies.append(Reply(turn.say("did_you_mean"), [*suggestions, self._operator_button(turn)]))
        else:
            step.replies.append(Reply(turn.say("rephrase"), self._menu(turn)))
        return self._count_miss(turn, step)

    def _count_miss(self, turn: Turn, step: Step) -> Step:
        conv = turn.conv
        conv.state["misses"] = conv.state.get("misses", 0) + 1
        if conv.state["misses"] >= 2:
            conv.state["offer"] = "operator"
            step.replies = [Reply(turn.say("offer_operator"), [Button(turn.say("yes"), "op:yes"),
                                                               Button(turn.say("no"), "op:no")])]
        return step

    async def _operator(self, turn: Turn, reason: str) -> Step:
        turn.conv.state["misses"] = 0
        turn.conv.state.pop("offer", None)
        return await self.handoff.request(turn, reason)

    def _operator_button(self, turn: Turn) -> Button:
        return Button(turn.say("operator_button"), "operator")

    def _menu(self, turn: Turn) -> list[Button]:
        """Topic buttons: the first entry of each subject group, then the operator."""
        seen, buttons = set(), []
        for entry in turn.kb.entries:
            if entry.group in SKIP_GROUPS or entry.group in seen:
                continue
            seen.add(entry.group)
            buttons.append(Button(entry.title.get(turn.lang), f"kb:{entry.id}"))
            if len(buttons) >= self.menu_size:
                break
        return [*buttons, self._operator_button(turn)]
