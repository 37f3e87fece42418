"""The dialogue core: one path for every message from every channel.

`Core.handle(Incoming) -> Outcome` loads the conversation, routes the message (operator
relay, button, command, pending question, account action in progress, understanding),
and stores the state, the transcript and the turn log before returning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from kernel.bus import EventBus
from kernel.clock import stamp, utcnow
from kernel.text import clean
from knowledge.model import Entry

from .commands import is_cancel, yes_no
from .computed import compute
from .context import (
    OBJECT_POINTER,
    SUBJECT_POINTER,
    Topic,
    asked,
    bare_no,
    clauses,
    cost_only,
    do_it,
    documents_only,
    is_followup,
    lacking,
    number_back,
    one_word,
    owner_only,
    period_only,
    questions,
    rejection,
    same_thing_otherwise,
    time_only,
    which_ones,
)
from .context import words as context_words
from .learned import same_subject
from .lines import (
    FROM_LANDLINE,
    LANDLINE_LINE,
    PERSON_BY_PHONE,
    PHONE_PERSON,
    REACH_US,
    REACH_YOU,
    ROAMING_LINE,
    TRAVELLING,
    WAYS_TO_US,
    WRITE_NOT_CALL,
    WRITTEN_LINE,
)
from .matcher import DOMAIN_MARKS
from .normalize import detect_language
from .payloads import PayloadRouter
from .ports import ActionPort, Conversation, ConversationRepository, HandoffPort, Step, Turn
from .problems import BROKEN, PURPOSE, money_gone, reported_problem
from .problems import SUPPORT as SUPPORT_WORDS
from .repair import Repair, squeeze
from .replies import Button, Incoming, Outcome, Reply
from .stories import CALL_TO_MAKE, story_topic
from .tone import (
    HYPOTHETICAL,
    Tone,
    asks_beyond_thanks,
    asks_something,
    names_staff,
    only_lasting,
    only_mildly_vexed,
    sounds_upset,
    staff_story,
    tone,
)
from .uncovered import OTHER_COMPANY, answers, missing_detail, uncovered_subject
from .understanding import KnowledgeHolder, Reading

__all__ = ["Core", "KnowledgeHolder"]

MAX_TEXT = 4000  # longer messages are cut (and the user is told)
COMMANDS = {"/start": "welcome", "/help": "help", "/menu": "menu", "/operator": "operator", "/cancel": "cancel",
            "/logout": "logout"}
COMPLAINT_OVER = 0.95  # described mistreatment is a complaint unless another answer is this sure
FAULT_OVER = 0.9  # an account action read from an angry fault report is started only this sure
FAULT_ACTIONS = frozenset({"diagnose", "block_sim", "feedback"})  # actions that are themselves what a fault needs
FAULT_GROUPS = frozenset({"problems", "complaints", "handoff", "roaming", "service_center"})  # … and entries
# … nor, calm or not, one that sells more of what a fault told seems to lack ("how are my 20GB gone in 6 days" is
# no order for a package)
SELLING_ACTIONS = frozenset({"buy_package", "connect_service", "change_tariff"})
WANTS_MORE = re.compile(r"\b(?:need|want|get)\s+(?:some\s+)?more\b|\bwant\s+to\s+(?:buy|move|switch|change|get|add)\b|"
                        r"\bbuy\s+(?:more|extra|another)\b|(?:хочу|хотел\w*|надо|нужно)\s+(?:бы\s+)?(?:купить|перейти|подключить|"
                        r"сменить|докупить|ещё|еще|больше)|докупить|докуплю", re.IGNORECASE)
# a number added to one's own account ("add my kid's number to my acc"), however much it reads as a top-up of it
NUMBER_ADDED = re.compile(r"\b(?:add|link|attach|connect)\s+(?:[\w']+\s+){0,2}(?:number|sim|line)\s+(?:to|into|with)\s+my\s+"
                          r"(?:own\s+)?(?:acc|account|profile|login)\b|(?<![а-я])(?:добав|привяз|подключ)\w*\s+(?:\w+\s+){0,2}"
                          r"номер\w*\s+(?:\w+\s+){0,2}(?:в|к)\s+(?:сво\w+|мо\w+)\s+(?:личн\w+\s+)?(?:кабинет|профил|аккаунт)\w*",
                          re.IGNORECASE)
# what asks for a block, or tells why one is wanted
BLOCKING = re.compile(r"блок|блочь|блочит|потерял|потеряла|потерян|укра|своровал|стащил|вытащил|\bblock|\blost\b|\blose\s+my|"
                      r"\bstolen\b|\bstole\b|\bfreeze\b|\bsuspend|\bpause\b|приостанов|замороз", re.IGNORECASE)
STORY_OVER = 0.9  # a story's topic replaces a reading of the same group of entries up to this sure
CLAUSE_SURE = 0.5  # one sentence of a message not understood as a whole is answered only this sure
PIECE_SURE = 0.8  # … and a comma-separated piece of it, in a calm message
OBJECTLESS_WORDS = 6
# parts of the base that never speak of the line's money: money told gone is checked, whatever else they resemble
MONEYLESS_GROUPS = frozenset({"other_phone", "smalltalk", "social", "numbers"})
MONEY_WORDS = re.compile(r"деньг|денег|рубл|руб\b|баланс|остат|средств|₽|\bmoney|\bbalance|\bfunds|\bcash|\brub", re.IGNORECASE)
UPSET_GUESS = 0.5  # an upset message is answered from this sure; below, the operator is offered with the answer as a button
UPSET_SURE = 0.8  # an upset message that asks nothing is answered only this sure; else the operator is offered
MAX_QUESTIONS = 3  # questions of one message read apart
MAX_TOPIC_TEXT = 300  # the last question kept for follow-ups (characters)
FOLLOWUP_PRIOR = 3.0  # a topic the last answer names as what comes next is this much likelier in a follow-up
FOLLOWUP_FLOOR = 0.1  # … but not from nothing
NAMED_SURE = 0.3  # a follow-up whose best reading is such a topic is answered with it from this probability
FOLLOWUP_MARGIN = 0.1  # a follow-up read with the last question wins unless read alone is clearly surer
NEAR_MISS = 0.25  # below the answer threshold but this likely: "did you mean…?"; less: "I can't answer this here"
SUGGEST_PROBABILITY = 0.05  # a nearest topic worth a button when the model abstains
SKIP_GROUPS = frozenset({"smalltalk", "out_of_scope", "actions", "handoff", "complaints"})


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


def topic_action(turn: Turn, topic: Topic) -> str | None:
    """The account action the last topic's entry starts, if any."""
    entry = turn.kb.entry(topic.entry_id)
    return entry.action if entry is not None else None


# the question inside a sentence that tells something first ("…and honestly I have no idea how to check my balance",
# "я вот уезжаю, хочу узнать когда лучше звонить"): from its question word on
EMBEDDED = re.compile(r"(?<=\s)(?:как|где|когда|сколько|куда|можно\s+ли|нужно\s+ли|how|where|when|whether|what)\s", re.IGNORECASE)


def embedded_question(sentence: str) -> str | None:
    """The question a sentence holds after some words of its own, when it has at least three words."""
    match = EMBEDDED.search(sentence)
    if match is None or match.start() == 0:
        return None
    rest = sentence[match.start():]
    return rest if len(context_words(rest)) >= 3 and not is_followup(rest) else None  # "…, how does it work?" says no more


POINTS_BACK = re.compile(r"(?<![а-яё])(?:эт\w*|его|её|ее|их|им|такое|там|туда)(?![а-яё])|"
                         r"\b(?:it|that|this|them|these|those|there)\b", re.IGNORECASE)
CONDITION = re.compile(r"[\s,]+(?:если|когда|потому\s+что|так\s+как|а\s+то|if|when|because|since)\s", re.IGNORECASE)
QUESTION_FIRST = re.compile(r"^\W*(?:как|где|куда|можно\s+ли|how|where|can\s+i|could\s+i)\s", re.IGNORECASE)
# a question with no subject of its own ("Что делать???", "what should I do now"): it asks of the story around it
BARE_ASK = re.compile(r"^\W*(?:(?:и|а|ну|так|so|and|ok)\s+)?"
                      r"(?:что\s+(?:же\s+|мне\s+|нам\s+|теперь\s+|тогда\s+)*(?:делать|теперь)|"
                      r"как\s+(?:же\s+|мне\s+|теперь\s+)*быть|помогите(?:\s+пожалуйста)?|"
                      r"what\s+(?:should|do|can|shall)\s+i\s+do(?:\s+now)?|what\s+(?:now|to\s+do)|help(?:\s+me)?(?:\s+please)?)\W*$",
                      re.IGNORECASE)


def asked_before_condition(sentence: str) -> str | None:
    """The question a sentence opens with, before the circumstance it is asked in, when it has three words or more."""
    match = CONDITION.search(sentence)
    if match is None or not QUESTION_FIRST.match(sentence):
        return None
    head = sentence[:match.start()]
    return head if len(context_words(head)) >= 3 else None


def objectless(text: str, reading: Reading) -> bool:
    """A short question that names nothing of the base ("what do I need to bring?", "а сколько ждать?"): about
    whatever was just talked about."""
    terms = reading.analysis.terms
    return (0 < len(context_words(text)) <= OBJECTLESS_WORDS and asks_something(text.lower())
            and not any(t.startswith("~") or t in DOMAIN_MARKS for t in terms))


THANKS_WORD = re.compile(r"спасиб|пасиб|благодар|спс\b|сенкс|респект|лучш|молод(?:ец|цы)|умни(?:ца|чк)|класс|супер|"
                         r"thank|\bthx|\bthn?x|\btnx|\bty\b|cheers|\bbest\b|great|awesome|amazing|helpful|excellent|legend|"
                         r"appreciat|kudos|props|\bnice\b|cool\b|perfect", re.IGNORECASE)


def foreign_topic(turn: Turn) -> bool:
    """The whole message names things the base does not know ("загранпаспорт через госуслуги")."""
    if turn.knowledge is None:
        return False
    whole = turn.repair.text if turn.repair is not None else turn.msg.text
    return bool(turn.knowledge.matcher.analyse(whole, turn.lang).unknown_topic)


WRITING_ABROAD, SOCIAL_LINE = "roaming-write", "social-networks"
WRITING = re.compile(r"\b(?:text|write|message|msg|dm|chat)\b|(?<![а-я])(?:написать|писать|напишу|пишу|переписываться)(?![а-я])",
                     re.IGNORECASE)
# a story read as these still has the details it asks checked ("… through western union")
DETAILED_STORIES = frozenset({"do-top-up"})
OURS_ASKED = re.compile(r"611|800|поддержк|support|номер|number|телефон|phone|звон|call", re.IGNORECASE)
SOCIAL_TERMS = frozenset({"~social", "~vk", "~viber", "~telegram", "~facebook", "~twitter", "~odnoklassniki", "~youtube"})


def _roaming_before(turn: Turn) -> bool:
    """The conversation's last topic was the roaming's (a question from abroad goes on)."""
    topic = Topic.from_state(turn.conv.state.get("topic"), turn.now)
    return topic is not None and getattr(turn.kb.entry(topic.entry_id), "group", None) == "roaming"


def whole_terms(turn: Turn) -> set[str]:
    """The terms of the whole message (the reading may be of one sentence of it)."""
    if turn.knowledge is None:
        return set()
    whole = turn.repair.text if turn.repair is not None else turn.msg.text
    return set(turn.knowledge.matcher.analyse(whole, turn.lang).terms)


def abroad_in(turn: Turn) -> bool:
    """The whole message names another country (the reading may be of one sentence of it)."""
    if turn.knowledge is None:
        return False
    whole = turn.repair.text if turn.repair is not None else turn.msg.text
    return bool(turn.knowledge.matcher.analyse(whole, turn.lang).entities.abroad)


def unrelated(reading: Reading) -> bool:
    """The message names things the base does not know and nothing of the line, the account or
    support: no word of the domain (`Match.offtopic`) and no concept of the base at all ("фикус",
    "таблица умножения"; "минус на счету", "позвонить" are ours)."""
    return reading.match.offtopic and not any(t.startswith("~") for t in reading.analysis.terms)


def worded(turn: Turn, least: int = 2) -> bool:
    """The message has at least `least` words of Russian or English that are words at all (not
    "жщшщ ыъыъ": a model of how things are said hears anything in letters nobody writes)."""
    if turn.knowledge is None:
        return False
    normalizer = turn.knowledge.matcher.normalizer
    return sum(1 for t in normalizer.tokens(turn.text) if t.lang != "num" and normalizer.zipf(t.surface) > 0) >= least


class Core:
    def __init__(self, knowledge: KnowledgeHolder, conversations: ConversationRepository, handoff: HandoffPort,
                 actions: ActionPort, *, suggest_min: float = 0.3, menu_size: int = 5, events: EventBus | None = None) -> None:
        self.knowledge = knowledge
        self.events = events
        self.observers: list[Any] = []  # metrics: .turn(channel, outcome, intent, seconds)
        self.conversations = conversations
        self.handoff = handoff
        self.actions = actions
        self.suggest_min = suggest_min
        self.menu_size = menu_size
        self.buttons = PayloadRouter()  # account actions and the operator queue register theirs at wiring
        for prefix, handler in (("kb:", self._kb_button), ("menu", self._menu_button), ("op:yes", self._offer_button),
                                ("op:no", self._offer_button), ("operator", self._operator_button_pressed)):
            self.buttons.register(prefix, handler)
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    # -- the one entry point -------------------------------------------------------------------

    async def handle(self, msg: Incoming, also: Callable[[Outcome], Sequence[Any]] | None = None) -> Outcome:
        """Answer one message. `also`, given the outcome, returns writes the caller wants committed with
        the turn (opaque to the core: a channel queues the replies and marks its update done); it is
        not called for a message already answered (its stored outcome is returned)."""
        started = time.perf_counter()
        now = msg.now or utcnow()
        # nothing that cannot be stored goes further (a lone surrogate once failed the turn's
        # storing after the action it confirmed was done)
        msg.text, msg.display_name = clean(msg.text), clean(msg.display_name)
        if msg.button is not None:
            msg.button = clean(msg.button)
        if msg.button_title is not None:
            msg.button_title = clean(msg.button_title)[:200]
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
            if msg.client_id:  # sent again (the sender never heard it was stored): not processed again
                prior = await self.conversations.client_message(conv.id, msg.client_id)
                if prior is not None:
                    return Outcome([], lang=conv.lang, outcome="duplicate", message_id=prior["id"],
                                   at=prior["created_at"])
            return await self._handle(msg, conv, now, started, also)

    async def _handle(self, msg: Incoming, conv: Conversation, now: datetime, started: float,
                      also: Callable[[Outcome], Sequence[Any]] | None = None) -> Outcome:
        holder = self.knowledge
        truncated = len(msg.text) > MAX_TEXT
        if truncated:
            msg.text = msg.text[:MAX_TEXT]
        typed = msg.text  # kept as typed; the bot reads it squeezed (runs of spaces or marks as one)
        if not conv.with_people:
            msg.text = squeeze(msg.text)
        repair = holder.repair(msg.text) if msg.text else Repair(msg.text)
        lang = self._language(msg, conv, repair)
        conv.lang = lang
        status_before = conv.status
        turn = Turn(msg, conv, now, lang, holder.kb, holder.matcher, knowledge=holder, repair=repair)
        step = await self._route(turn)
        shown = typed or ((msg.button_title or f"[{msg.button}]") if msg.button else "[contact]" if msg.contact else "")
        if step.redact_input:
            shown = "•" * min(len(shown), 8)  # a login code: never kept
        elif msg.text:
            shown = await self.actions.redact(turn, shown)  # a code typed when not asked for: not kept either
        if truncated:
            step.replies.insert(0, Reply(turn.say("too_long", limit=MAX_TEXT)))
        intent = step.intent or step.action  # a turn inside an action belongs to that action
        key = (msg.channel, msg.message_id) if msg.message_id else None
        outcome = Outcome(step.replies, intent, step.action, False, lang, step.score, step.outcome)
        status, stored_id = await self.conversations.record_turn(
            conv, shown, [{"text": r.text, "buttons": [{"title": b.title, "payload": b.payload} for b in r.buttons]}
                          for r in step.replies], now,
            author=msg.user_id, intent=step.intent, action=step.action, score=step.score, outcome=step.outcome,
            message_key=key, result=outcome.to_json() if key else None, client_id=msg.client_id, payload=msg.button,
            also=also(outcome) if also else ())
        outcome.message_id, outcome.at = stored_id, stamp(now)
        outcome.handoff = status in ("queued", "operator")
        for observer in self.observers:  # counted before anyone hears of the turn (metrics match what was seen)
            await observer.turn(msg.channel, outcome.outcome, outcome.intent, time.perf_counter() - started)
        if self.events is not None:  # stored first, then announced; publish only queues: listeners run after the turn
            self.events.publish(f"conv:{conv.id}", {"type": "turn", "status": status})
            if step.outcome == "handoff" or status_before != status:
                self.events.publish("queue", {"type": "changed", "conversation_id": conv.id})
        return outcome

    def _language(self, msg: Incoming, conv: Conversation, repair: Repair) -> str:
        # addresses and markup say nothing of the language; Russian typed in Latin letters or on
        # the wrong layout is Russian
        read = repair.text if repair.lang else msg.text
        text = re.sub(r"\S+@\S+|https?://\S+|<[^>]{0,80}>", " ", read.lower())
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
            rejected, rest = rejection(turn.text)
            if conv.status == "queued" and not msg.button and rejected and not context_words(rest):
                # "мне нужен оператор" → "нет, подожди, я другое хотел спросить": still waiting, the user takes it back
                await self.handoff.cancel(conv.id, turn.now)
                conv.status = "bot"
                return self._clarify(turn, None)
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
        if is_cancel(turn.text) and (self.actions.active(conv) or len(turn.text.split()) == 1):
            conv.state.pop("offer", None)
            if self.actions.active(conv):
                return await self.actions.cancel(turn)
            return Step([Reply(turn.say("nothing_to_cancel"))], outcome="answer")
        offer = conv.state.pop("offer", None)
        if offer == "operator":
            answer = yes_no(turn.text)
            if answer is True:
                return await self._operator(turn, "fallback")
            if answer is False:
                conv.state["misses"] = 0
                return Step([Reply(turn.say("operator_declined"), self._menu(turn))], outcome="answer")
        if msg.text.strip():
            self._in_context(turn)
        topic = Topic.from_state(conv.state.get("topic"), turn.now)
        rejected, rest = rejection(turn.text)
        started = topic_action(turn, topic) if topic is not None else None
        if topic is not None and rejected and not context_words(rest) and started and self.actions.active(conv) == started:
            await self.actions.cancel(turn)  # "нет, не то" to the action just started: not what was meant
            return self._clarify(turn, topic)
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
        return await self.buttons.dispatch(turn, payload)

    async def _kb_button(self, turn: Turn, payload: str) -> Step | None:
        entry = turn.kb.entry(payload[3:])
        if entry is None:
            return None
        return await self._entry(turn, entry, None)

    async def _menu_button(self, turn: Turn, payload: str) -> Step | None:
        return Step([Reply(turn.say("menu"), self._menu(turn))])

    async def _offer_button(self, turn: Turn, payload: str) -> Step | None:
        turn.conv.state.pop("offer", None)
        if payload == "op:yes":
            return await self._operator(turn, "fallback")
        turn.conv.state["misses"] = 0
        return Step([Reply(turn.say("operator_declined"), self._menu(turn))])

    async def _operator_button_pressed(self, turn: Turn, payload: str) -> Step | None:
        return await self._operator(turn, "asked")

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

    def _in_context(self, turn: Turn) -> None:
        """Read a short follow-up ("а из-за границы?") together with the last question, when that
        reading is at least as sure; every handler then sees it through `turn.read()`."""
        self._read_in_context(turn)
        topic = Topic.from_state(turn.conv.state.get("topic"), turn.now)
        last = turn.kb.entry(topic.entry_id) if topic is not None else None
        reading = turn.read() if last is not None and turn.knowledge is not None else None
        if last is not None and reading is not None and reading.entry_id is not None and reading.decision is not None \
                and (is_followup(turn.text) or reading.followup):
            here = same_channel(turn.kb, last, reading.entry_id)
            if here is not None:  # "is there a chat on the website" → "what if nobody answers?": the chat's own way
                turn.reading = dataclasses.replace(reading, decision=dataclasses.replace(reading.decision, entry_id=here))

    def _read_in_context(self, turn: Turn) -> None:
        topic = Topic.from_state(turn.conv.state.get("topic"), turn.now)
        if topic is None or turn.knowledge is None:
            return
        alone = turn.read()
        last = turn.kb.entry(topic.entry_id)
        if (last is not None and (last.id in SIM_LOST or last.action == "block_sim") and number_back(turn.text)
                and turn.kb.entry("sim-replacement") is not None and alone.decision is not None):
            # "потеряла телефон" → "заблокировала" → "а номер мне теперь как вернуть?": a new SIM with the same number
            turn.reading = answered_as(alone, "sim-replacement")
            return
        if not (is_followup(turn.text) or objectless(turn.text, alone) or do_it(turn.text) or which_ones(turn.text)
                or ((documents_only(turn.text) or owner_only(turn.text)) and last is not None
                    and last.group == "service_center")):
            return
        together = turn.knowledge.read(turn.msg.text, turn.lang, turn.repair, context=topic.text[-MAX_TOPIC_TEXT:])
        if last is not None and together.decision is not None and (
                which_ones(turn.text)
                or ((documents_only(turn.text) or owner_only(turn.text)) and last.group == "service_center")):
            # "can I write to you on social media?" → "which ones?"; "how do I get a new SIM?" → "do I need my passport?":
            # the last answer says
            turn.reading = answered_as(together, last.id)
            return
        if last is not None and last.group == "peak" and time_only(turn.text) and together.decision is not None:
            # "когда легче всего дозвониться" → "а в субботу утром?": the same question for that day, not support's hours
            turn.reading = answered_as(together, last.id)
            return
        if together.entry_id is not None and period_only(turn.text):
            turn.reading = together  # "а за прошлый месяц?": the last question for another period, nothing new
            return
        acting = (last.id if last.action else action_of(turn.kb, last)) if last is not None and do_it(turn.text) else None
        if acting is not None:  # "how do I set up autopay" → "can you just do it for me?": the action itself
            for reading in (together, alone):
                if reading.decision is not None:
                    turn.reading = answered_as(reading, acting)
                    return
        if last is not None and cost_only(turn.text):
            priced = price_of(turn.knowledge.matcher, turn.kb, last)
            if priced is not None:  # "номер поддержки в Москве" → "а он бесплатный?": what that number costs
                for reading in (together, alone):
                    if reading.decision is not None:
                        turn.reading = answered_as(reading, priced)
                        return
        if one_word(turn.text) and together.entry_id is not None:
            turn.reading = together  # "сколько минут осталось" → "а гигов?": the same question of another thing
            return
        if last is not None and (same_thing_otherwise(turn.text)) and last.group != "problems":
            # "как переписать номер на мужа" → "а без похода в салон никак?": the same subject, whose answer says
            # what needs a visit (not the shops' addresses)
            for reading in (together, alone):
                if reading.decision is not None:
                    turn.reading = answered_as(reading, last.id)
                    return
        if last is not None and HYPOTHETICAL.match(turn.text) and lacking(turn.text) and not last.group == "problems":
            # "как заблокировать симку" → "а если интернета нет, в кабинет не зайти?": the same thing without the
            # internet or the account, not a fault of the line — the way by phone
            offline = by_phone(turn.kb, last, turn.lang)
            for reading in (together, alone):
                if reading.decision is not None:
                    turn.reading = answered_as(reading, offline)
                    return
        if last is not None:
            doing = followup_doing(turn.kb, last, alone)
            if doing is not None and alone.decision is not None:
                # "какие услуги у меня подключены" → "а можно одну убрать?": the next step the message names by its verb
                turn.reading = answered_as(alone, doing)
                return
            # read with the last question it may be only that question again: then the message alone says what is next
            again = bool(together.ranked()) and same_subject(turn.kb, together.ranked()[0][0], last.id)
            lone = turn.kb.entry(alone.entry_id) if alone.entry_id is not None else None
            if (again and lone is not None and HYPOTHETICAL.match(turn.text) and not same_subject(turn.kb, lone.id, last.id)
                    and not lone.action and lone.group != last.group):
                # (a condition on the same request stays with it: "как взять обещанный платёж" → "а если у меня уже минус
                # 50?" is no balance to show; "поменять сим на esim" → "а если симка на маму оформлена?" no change of owner)
                # "611 ночью работает?" → "а если там не отвечают?": a new situation, not the hours
                turn.reading = alone
                return
            ahead = next_topic(turn.kb, last, (alone,) if again else (together, alone))
            if ahead is not None and not (again and SUBJECT_POINTER.match(turn.text)):
                # (a follow-up opening with "it" or "она" is about the last subject: "а она на почту придёт?")
                turn.reading = ahead
                return
        if (together.entry_id is not None and alone.entry_id is not None and last is not None
                and same_subject(turn.kb, together.entry_id, last.id)
                and any(same_subject(turn.kb, alone.entry_id, related) for related in last.followups)):
            return  # read with the last question it is only that question again, read alone it is one of the
            # topics its editors named as what comes next ("сколько осталось интернета" → "а докупить можно?")
        if (together.entry_id is not None and getattr(turn.kb.entry(together.entry_id), "group", None) == "problems"
                and last is not None and last.group != "problems" and not reported_problem(turn.text)[0]
                and not money_gone(turn.text)):
            return  # "где посмотреть, на что трачу деньги" → "а по каждому звонку отдельно можно?": no fault told now
        if (alone.entry_id is None and last is not None and together.decision is not None and together.ranked()
                and same_subject(turn.kb, together.ranked()[0][0], last.id)
                and (OBJECT_POINTER.search(turn.text) or SUBJECT_POINTER.match(turn.text))):
            # "хочу переоформить номер на жену" → "а она может сходить одна с моим паспортом?": not understood alone, read
            # with the last question nearest to it, pointing back to it — the last subject, however unsure
            turn.reading = answered_as(together, last.id)
            return
        # "how long do I have to pay it back?", "а она на почту придёт?": the last subject
        points_back = (bool(OBJECT_POINTER.search(turn.text) or SUBJECT_POINTER.match(turn.text)) and last is not None
                       and together.entry_id is not None and same_subject(turn.kb, together.entry_id, last.id))
        if together.entry_id is not None and (
                alone.entry_id is None or points_back
                or (together.score or 0.0) >= (alone.score or 0.0) - FOLLOWUP_MARGIN):
            together.own_region = alone.analysis.entities.region
            turn.reading = together

    async def _understand(self, turn: Turn) -> Step:
        conv = turn.conv
        topic = Topic.from_state(conv.state.get("topic"), turn.now)
        rejected, rest = rejection(turn.text)
        if topic is not None and (rejected or bare_no(turn.text)):
            if len(context_words(rest)) < 2 or not rejected:
                return self._clarify(turn, topic)  # "нет, я про другое": what was meant, not another guess
            if turn.knowledge is not None:  # "нет, не то, мне нужен оператор": the rest is the message
                turn.reading = turn.knowledge.read(rest, turn.lang)
        elif rejected and not context_words(rest):
            # "how much is calling 8 800?" (not understood, topics offered) → "no no, that's not what I meant", or said
            # again after being asked ("нет-нет, я не про блокировку" → "я про другое вообще"): what was meant, with the
            # topics and the operator
            return self._clarify(turn, None)
        elif bare_no(turn.text):  # a "no" to nothing the bot asked
            return Step([Reply(turn.say("menu"), self._menu(turn))], outcome="smalltalk")
        reading = turn.read()
        also: list[str] = []  # other questions of the same message, offered as buttons
        parts = questions(turn.text) if turn.knowledge is not None and not reading.followup else []
        if parts:
            assert turn.knowledge is not None
            if reading.entry_id is None:  # the message as a whole is not understood: only a part that is a
                # question of its own is answered ("… how long does porting take?" is no "how much is it?",
                # "автоматически не пришли" no question at all)
                parts = [p for i, p in enumerate(parts)
                         if (asked(turn.text, p) or asks_something(p.lower())) and not (i and is_followup(p))]
            read = []
            for part in parts[:MAX_QUESTIONS]:
                alone = turn.knowledge.read(part, turn.lang, Repair(part))
                inner = (embedded_question(part) if alone.entry_id is None and reading.entry_id is None
                         and not re.search(r"[.!?:;]\s", part) else None)  # (in one run-on sentence: a story told in
                # sentences before it is read with it — "Супруга обронила телефон. … как заблокировать сим-карту")
                if inner is not None:  # "я на трассе между самарой и уфой как узнать сколько гигов осталось": its question
                    within = turn.knowledge.read(inner, turn.lang, Repair(inner))
                    alone = within if within.entry_id is not None and (within.score or 0.0) >= CLAUSE_SURE else alone
                elif alone.entry_id is None and reading.entry_id is None and re.search(r"[.!?]\s", part):
                    # a question that ends a story ("…Теперь я одна. Скажите, как мне узнать, сколько денег на номере
                    # осталось, и как их туда положить?"): its last sentence, when that asks
                    last = clauses(part)[-1] if clauses(part) else ""
                    if last and last != part and asks_something(last.lower()):
                        within = turn.knowledge.read(last, turn.lang, Repair(last))
                        alone = within if within.entry_id is not None and (within.score or 0.0) >= CLAUSE_SURE else alone
                read.append(alone)
            found: dict[str, Reading] = {}
            for part in read:
                if part.entry_id is not None and part.entry_id not in found:
                    found[part.entry_id] = part
            ours = {e: r for e, r in found.items() if not getattr(turn.kb.entry(e), "out_of_scope", False)}
            if ours and read[0].entry_id in ours:
                # asked of ours first, the rest only says why ("как узнать сколько гигов осталось и можно ли докупить, а то
                # вечером сериал посмотреть хочу"); a first question of something else stays ("Сбербанк сегодня не
                # работает? Не могу перевести деньги")
                found = ours
            if found and (reading.entry_id is None or len(found) >= 2):
                main = max(found.values(), key=lambda r: r.score or 0.0)  # the surest is the main question
                whole = reading.entry_id
                if whole is None or not any(same_subject(turn.kb, whole, entry_id) for entry_id in found):
                    reading = turn.reading = main  # (unless the whole message's reading is one of them, or its twin)
                also = [entry_id for entry_id in found if not same_subject(turn.kb, entry_id, reading.entry_id or "")]
        if (reading.entry_id is None and not parts and turn.knowledge is not None and not reading.followup
                and not staff_story(turn.msg.text) and not _told(tone(turn.msg.text, turn.text))):
            # a long message not understood as a whole: the one sentence of it that asks something, when
            # that is understood surely ("добрый вечер!!! подскажите, как позвонить с городского, у меня
            # сотовый сел")
            sentences = clauses(turn.text)
            asking = [c for c in sentences if asks_something(c.lower())]
            hurry = tone(turn.msg.text, turn.text).upset
            sure = CLAUSE_SURE
            if len(asking) == 1:  # its comma-separated pieces that ask, too ("подскажите, как позвонить с городского,
                # у меня сотовый сел а вопрос срочный"): in a hurry as surely as a sentence, rather than the operator at
                # once; calm only when very sure ("как сменить номер, оставив ту же симку" is one question)
                pieces = [p.strip() for p in asking[0].split(",") if len(context_words(p)) >= 2 and not is_followup(p)]
                if len(pieces) > 1:
                    sentences = [*sentences, *pieces]
                    asking += [p for p in pieces if asks_something(p.lower())]
                    sure = CLAUSE_SURE if hurry else PIECE_SURE
            # the asking sentences (when they are not the whole message), and the question inside each
            candidates = asking if len(asking) < len(sentences) else []
            if (not candidates and len(sentences) >= 2 and QUESTION_FIRST.match(sentences[-1])
                    and asked(turn.text, sentences[-1]) and not POINTS_BACK.search(sentences[-1])):
                # every sentence reads as asking ("…прогноз погоды глянуть надо — как быстро докупить интернет??"): the
                # question the message ends on, marked as one, when it names its own subject ("как это подключить?"
                # asks of the sentences before it)
                candidates = [sentences[-1]]
            candidates += [q for c in asking if (q := embedded_question(c)) is not None and q not in candidates]
            # … and a question asked before the circumstance it is asked in ("КАК ЗАБЛОКИРОВАТЬ СИМКУ ЕСЛИ ОНА ОСТАЛАСЬ В
            # СТАРОМ ТЕЛЕФОНЕ, КОТОРЫЙ Я ОТДАЛ В РЕМОНТ")
            candidates += [h for c in asking if (h := asked_before_condition(c)) is not None and h not in candidates]
            candidates = [c for c in candidates if not BARE_ASK.match(c)]
            if candidates:
                # (a whole sentence is taken as surely as a sentence; only a comma-separated piece needs `sure`)
                pieces_only = set(sentences) - set(clauses(turn.text))
                reads = [(turn.knowledge.read(c, turn.lang, Repair(c)), CLAUSE_SURE if c not in pieces_only else sure)
                         for c in candidates]
                best, needed = max(reads, key=lambda x: x[0].score or 0.0)
                if best.entry_id is not None and (best.score or 0.0) >= needed:
                    reading = turn.reading = best
        step = await self._decide(turn, reading)
        if also and step.replies and step.outcome in ("answer", "action"):
            buttons = step.replies[-1].buttons
            for entry_id in also:
                entry = turn.kb.entry(entry_id)
                if entry is not None and not any(b.payload == f"kb:{entry_id}" for b in buttons):
                    buttons.insert(0, Button(entry.title.get(turn.lang), f"kb:{entry_id}"))
        if step.intent is not None and step.outcome in ("answer", "action", "smalltalk") and step.intent != "goodbye":
            others = tuple(e for e, _ in reading.ranked()[1:4] if e != step.intent)
            conv.state["topic"] = Topic(step.intent, reading.source[-MAX_TOPIC_TEXT:], turn.now, others).to_state()
        return step

    async def _decide(self, turn: Turn, reading: Reading) -> Step:
        turn.analysis = reading.analysis
        region = reading.own_region or reading.analysis.entities.region  # the region this message names wins
        if region:
            turn.conv.state["region"] = region
        mood = tone(turn.msg.text, turn.repair.text if turn.repair is not None else turn.text)  # the whole message
        if mood.wants_person:  # "позовите кого-нибудь из людей", "can I speak to someone"
            step = await self._operator(turn, "asked")
            step.intent = "operator-request" if turn.kb.entry("operator-request") else None
            return step
        entry_id = reading.entry_id
        complaint = turn.kb.entry("complaint")
        sure = (reading.score or 0.0) >= COMPLAINT_OVER if entry_id is not None else False
        if complaint is not None and (mood.complaint or (mood.mistreated and not sure)):
            entry_id = complaint.id  # "хочу подать жалобу", "мне нагрубили в чате": filed as a complaint
        elif (mood.elsewhere and entry_id is not None
              and getattr(turn.kb.entry(entry_id), "group", None) in ("complaints", "chat_feedback")):
            # "I'm filing a complaint with the regulator", "куда писать жалобу в Роскомнадзор": anger at us, not a complaint
            # filed with us, nor our feedback form
            entry_id = None
        elif (mood.praise and turn.kb.entry("praise") is not None
              and (entry_id in (None, "thanks") or not (asks_beyond_thanks(turn.msg.text) or asks_beyond_thanks(turn.text)))):
            entry_id = "praise"  # "спасибо девушке из поддержки": thanks for the team, not for the bot; "the lady at the
            # shop replaced my SIM in five minutes, please pass on my thanks" tells, it asks nothing about shops
        elif entry_id in ("praise", "thanks") and mood.angry and not mood.praise:
            entry_id = None  # "Great job Tele2, really. 45 minutes on hold… Thanks a lot.": sarcasm, no thanks to take
        elif (entry_id == "praise" and not (mood.praise or mood.upset) and not names_staff(turn.text)
              and turn.kb.entry("thanks") is not None):
            # "thx bot ur the best", "спасибо, вы очень помогли": thanks for the bot itself; "I want to sound polite"
            # thanks nobody
            entry_id = "thanks" if THANKS_WORD.search(turn.msg.text) or THANKS_WORD.search(turn.text) else None
        # money another company took ("amazon charged me for something i didn't order", "сбербанк списал дважды") is
        # theirs to explain, unless the line's own money is named too
        theirs = bool(OTHER_COMPANY.search(turn.msg.text)) and not OUR_MONEY.search(turn.msg.text)
        whole = turn.repair.text if turn.repair is not None else turn.msg.text  # (turn.text: the part of it read)
        gone = (money_gone(turn.text) or money_gone(whole)) and not theirs
        if entry_id == "refund" and number_back(turn.text) and not MONEY_WORDS.search(turn.text) \
                and turn.kb.entry("sim-replacement") is not None:
            entry_id = "sim-replacement"  # "как в дальнейшем получить номер обратно": the number back, no money
        if theirs and entry_id == "refund":
            entry_id = None  # "netflix charged me twice, how do I get a refund": their money back, not ours
        if (entry_id is not None and gone and turn.kb.entry("problem-money") is not None
                and (getattr(turn.kb.entry(entry_id), "action", None) in ("balance", "top_up", "tariff")
                     or getattr(turn.kb.entry(action_of(turn.kb, turn.kb.entry(entry_id)) or ""), "action", None)
                     in ("balance", "top_up", "tariff"))):
            entry_id = "problem-money"  # "баланс минус 200, я ничего не тратил": where the money went, not the balance
        elif (entry_id is not None and gone and turn.kb.entry("problem-money") is not None
              and getattr(turn.kb.entry(entry_id), "group", None) in MONEYLESS_GROUPS):
            entry_id = "problem-money"  # "wat happened to my money?? had 400 yesterday now 50": no lost SIM, no greeting
        if ((entry_id == REMAINING or (entry_id in (None, *SERVICE_ENTRIES) and PACKAGE_WORDS.search(turn.text)))
                and BUY_MORE.search(turn.msg.text) and turn.kb.entry(BUY_PACKAGE) is not None
                and not DONE_BY_US_WORDS.search(turn.msg.text)):
            entry_id = BUY_PACKAGE  # "гигабайты кончились, как докупить интернета?": more to buy, not what is left
        if (entry_id == LIST_SERVICES and CONNECT_ASKED.search(turn.text) and turn.kb.entry(CONNECT_SERVICE) is not None
                and not DONE_BY_US_WORDS.search(turn.msg.text)):
            entry_id = CONNECT_SERVICE  # "how do i switch on a new service on my number": one to connect, not the list
        if entry_id in DONE_BY_US and DONE_BY_US_WORDS.search(turn.msg.text):
            # "вы мне тариф поменяли или что?", "you switched my plan without asking": what was done, to be seen, not a
            # request to do it again
            entry_id = DONE_BY_US[entry_id] if turn.kb.entry(DONE_BY_US[entry_id]) is not None else entry_id
        fault_told, fault_kind = reported_problem(turn.text)
        ruled = None  # an entry a situation told in the message points to, however unsure the reading
        story = story_topic(turn.msg.text) or story_topic(turn.text)
        if (story is not None and turn.kb.entry(story) is not None
                and not (mood.complaint or mood.mistreated or mood.praise)
                # money gone is checked, unless a call is to be made now with none ("через 20 минут мне звонить в
                # больницу, а на балансе минус 40"): the promised payment
                and not (gone and not (story == "do-promised-payment" and CALL_TO_MAKE.search(turn.msg.text)))
                and (entry_id is None or (story == "sim-replacement" and entry_id in SIM_GONE)
                     # a SIM handed on, not lost ("my mate uses my sim now, how do we make the number officially his")
                     or (story == "change-owner" and entry_id in SIM_GONE and not BLOCKING.search(turn.msg.text))
                     or getattr(turn.kb.entry(entry_id), "out_of_scope", False)  # a story of ours is no other subject
                     # … and an unsure reading of the same part of the base ("кто-то зашёл в мой кабинет и поменял почту":
                     # the account's security, not its profile)
                     or (getattr(turn.kb.entry(entry_id), "group", None) == getattr(turn.kb.entry(story), "group", "")
                         and (reading.score or 0.0) < STORY_OVER)
                     or (entry_id == "lk-general" and story.startswith("lk-"))  # … or the account's front page
                     # a family member's number wanted in one's own account: however its words read (a top-up, the owner)
                     or (story == "lk-profile" and ((getattr(turn.kb.entry(entry_id), "action", None) != "top_up"
                                                      and entry_id != "lk-top-up") or NUMBER_ADDED.search(turn.text)))
                     or (getattr(turn.kb.entry(entry_id), "group", None) == "problems" and not fault_told)
                     # money wanted on the number by itself, with the balance running out in the story ("чтобы деньги
                     # сами падали, а то если баланс кончится — без связи"): the autopayment, not the balance
                     or (story == "lk-autopay" and getattr(turn.kb.entry(entry_id), "action", None) == "balance")
                     # a minus known and a call to make ("у меня минус на балансе, как мне позвонить?"): not the balance
                     or (story == "do-promised-payment" and getattr(turn.kb.entry(entry_id), "action", None) == "balance")
                     # money to put on a number, said outright ("can i send money from my card to her phone"): however
                     # else an unsure reading takes it (the money back, the balance)
                     or (story == "do-promised-payment" and (reading.score or 0.0) < STORY_OVER
                         and getattr(turn.kb.entry(entry_id), "group", None) not in ("account", "actions"))
                     or (story == "do-top-up" and (reading.score or 0.0) < STORY_OVER
                         and not same_subject(turn.kb, entry_id, story)))):
            entry_id = ruled = story  # "уронил телефон в речку, симка сдохла, можно восстановить номер?": told at length
        if ((REACH_US.search(turn.msg.text) or REACH_YOU.search(turn.msg.text)) and turn.kb.entry(ROAMING_LINE) is not None
                and not mood.wants_person
                and getattr(turn.kb.entry(entry_id), "group", None) not in ("roaming", "social", "chat_feedback", "handoff")
                and (TRAVELLING.search(turn.msg.text) or reading.analysis.entities.abroad or abroad_in(turn))):
            # "going to Turkey next week: if something goes wrong with my phone there, who do I contact?": the roaming
            # line, whatever else the story names (a blocked card, the price of calls)
            entry_id = ruled = ROAMING_LINE
        elif (FROM_LANDLINE.search(turn.msg.text) and turn.kb.entry(LANDLINE_LINE) is not None
              and entry_id in (None, "support-611", "support-other-phone")):
            # "НОМЕР ПОДДЕРЖКИ ЕСЛИ Я ЗВОНЮ С ДОМАШНЕГО ТЕЛЕФОНА": the number for landlines, not 611
            entry_id = ruled = LANDLINE_LINE
        elif (PHONE_PERSON.search(turn.msg.text) and turn.kb.entry(PERSON_BY_PHONE) is not None and not mood.wants_person
              and (entry_id is None or getattr(turn.kb.entry(entry_id), "group", None) == "peak")):
            # "как дозвониться до живого человека", "how do I get a real person on the phone": the way to an operator on
            # 611 (press 0), not the waiting times nor "I did not understand"
            entry_id = ruled = PERSON_BY_PHONE
        elif (WRITE_NOT_CALL.search(turn.msg.text) and turn.kb.entry(WRITTEN_LINE) is not None and not mood.wants_person
              and getattr(turn.kb.entry(entry_id), "group", None) not in ("social", "chat_feedback", "handoff")
              and not (getattr(turn.kb.entry(entry_id), "group", None) == "roaming"
                       and (TRAVELLING.search(turn.msg.text) or reading.analysis.entities.abroad or abroad_in(turn)))):
            # "звонить не могу, все слышат — есть способ написать, а не звонить?", "need to reach support in writing only":
            # the chat, whatever else the story names
            entry_id = ruled = WRITTEN_LINE
        if (entry_id is None and ruled is None and not mood.wants_person and not reading.followup
                and REACH_YOU.search(turn.msg.text) and not reported_problem(turn.msg.text)[0]):
            # "как до вас вообще дозвониться??": a way to us — the one the message reads closest to
            ways = [e for e, _ in reading.ranked() if e in WAYS_TO_US and turn.kb.entry(e) is not None]
            entry_id = ways[0] if ways else (WAYS_TO_US[0] if turn.kb.entry(WAYS_TO_US[0]) else None)
        if (entry_id is None and ruled is None and not reading.followup and not mood.wants_person
                and SOCIAL_TERMS & whole_terms(turn) and WRITING.search(turn.msg.text) and turn.kb.entry(SOCIAL_LINE) is not None
                and not unrelated(reading)):
            # "can i just text u guys on telegram instead of calling": us in a messenger (from abroad: below)
            entry_id = WRITING_ABROAD if (abroad_in(turn) and turn.kb.entry(WRITING_ABROAD)) else SOCIAL_LINE
        if (entry_id == WRITING_ABROAD and ruled is None and not reading.followup
                and not (TRAVELLING.search(turn.msg.text) or reading.analysis.entities.abroad or abroad_in(turn)
                         or {"~roaming", "~travel"} & (set(reading.analysis.terms) | whole_terms(turn))
                         or re.search(r"роуминг|roaming", turn.msg.text, re.IGNORECASE) or _roaming_before(turn))):
            # "can i write to you on vk": writing to us from home — the social networks (or the chat), not from abroad
            terms = set(reading.analysis.terms)
            home = SOCIAL_LINE if terms & SOCIAL_TERMS else WRITTEN_LINE if terms & {"~chat", "~site"} else None
            if home is not None and turn.kb.entry(home) is not None:
                entry_id = home
        reported, kind = fault_told, fault_kind
        if not reported and gone:
            reported, kind = True, "money"  # "на счету минус 200, а я ничего не тратил": where it went
        if not reported and (entry_id is None or getattr(turn.kb.entry(entry_id), "out_of_scope", False)):
            # "…весь день заказы по телефону, а звонки обрываются через 10 секунд!!! я теряю деньги, сделайте что-нибудь":
            # the part read asks nothing of ours, the fault is told beside it
            reported, kind = reported_problem(turn.repair.text if turn.repair is not None else turn.msg.text)
        if reported and entry_id is not None and getattr(turn.kb.entry(entry_id), "out_of_scope", False):
            entry_id = None  # "got charged 4 smth i didnt buy": a fault of ours, however little of it the words say
        found = turn.kb.entry(entry_id) if entry_id is not None else None
        if (found is not None and found.group == "peak" and (fault_told or reported_problem(whole)[0])
                and not SUPPORT_WORDS.search(turn.msg.text)):
            # "customers can't get through to me for 2 days, calls just drop": the line's fault, not a wait for support
            entry_id, found = None, None
        if (found is not None and found.action == "block_sim" and fault_told and not BLOCKING.search(turn.msg.text)
                and not BLOCKING.search(whole) and not reading.followup and not is_followup(turn.text)):
            # "my SIM stop working, no signal since morning": a fault of the line, no SIM to block
            entry_id, found = None, None
        if (found is not None and found.group == "problems" and not reported and PURPOSE.search(whole)
                and not BROKEN.search(PURPOSE.sub(" ", whole))):
            # "есть у вас защита, чтобы звонки мошенников ко мне не проходили?": the fault's words only in what is wished;
            # "сколько смс в день можно отправить, чтобы не заблокировали?": none at all, only a wish
            entry_id, found = None, None
        if found is not None and found.group == "problems" and not reported and HOW_TO.search(turn.text):
            # "where do I see what I spent money on", "my sim got jacked, how do I block it": how to do something,
            # no fault told — the nearest topic that says how, when it is nearly as likely
            best = reading.ranked()[0][1] if reading.ranked() else 0.0
            how = next((e for e, p in reading.ranked()[1:4]
                        if getattr(turn.kb.entry(e), "group", "problems") != "problems" and p >= best / FOLLOWUP_PRIOR), None)
            if how is not None:
                entry_id, found = how, turn.kb.entry(how)
        if (found is not None and found.action not in FAULT_ACTIONS and found.group not in FAULT_GROUPS and reported
                and (mood.vents or (found.action in SELLING_ACTIONS and not WANTS_MORE.search(turn.msg.text)))
                and (reading.score or 0.0) < FAULT_OVER):
            # "я плачу 600 в месяц, а страница грузится минуту!!": an angry fault report, not the expenses it mentions
            entry_id = None
        named = reading.analysis.entities
        abroad, place = named.abroad, bool(named.abroad or named.regions)
        subject = (uncovered_subject(turn.text, abroad, place)  # (turn.text: the part of the message read)
                   or uncovered_subject(turn.msg.text, abroad, place))
        if subject in ("speed", "from abroad") and fault_told:
            # "crawling for a week, speedtest says 0.3 mbps": a slow line told, its speed only the proof; "I am tour leader,
            # 25 tourists with me, my number can not call out": a tourist's line that broke, not a SIM for tourists
            subject = None
        if (entry_id is not None and (getattr(turn.kb.entry(entry_id), "group", None) == "peak"
                                       or (entry_id in HOURS_ENTRIES and not reading.followup))
                and not REACHING.search(turn.msg.text) and not (turn.repair is not None and REACHING.search(turn.repair.text))
                and (reading.match.offtopic or foreign_topic(turn))):
            entry_id = None  # "how long do I wait before the second coat of paint": no waiting for us; "зуб ночью
            # разболелся, что выпить до утра", "how many days till new year": no hours of ours
        if (entry_id is not None and entry_id != ruled and getattr(turn.kb.entry(entry_id), "group", None) == "regional"
                and not reading.followup and not any(t.startswith("~") for t in whole_terms(turn))
                and not OURS_ASKED.search(turn.msg.text)):
            entry_id = None  # "what's the best biryani place in St Petersburg?": a city named, nothing of ours asked of it
        if entry_id is not None and subject is not None and not answers(turn.kb.entry(entry_id), subject):
            entry_id = None  # "can I keep my number if I switch from MTS": not the entry on calling from MTS
        if (entry_id is not None and subject is None and (entry_id != ruled or ruled in DETAILED_STORIES)
                and not (mood.upset or mood.complaint or mood.mistreated or mood.praise)):
            entry = turn.kb.entry(entry_id)
            detail = missing_detail(turn.msg.text, entry) if entry is not None and not entry.handoff else None
            if detail is not None and not reading.followup:
                subject = detail  # "какая максимальная сумма одного пополнения": a detail the top-up entry never gives
                entry_id = None
        if entry_id is not None and mood.fed_up and entry_id not in ("complaint", ruled):
            entry_id = None  # asked again and again: the operator, not one more answer
        if entry_id is not None and mood.upset and getattr(turn.kb.entry(entry_id), "group", None) == "smalltalk":
            entry_id = None  # "ну и сервис, ни ответа ни привета" is no greeting, "I'm so done with you" no goodbye
        guess = None
        if (entry_id is not None and entry_id != ruled and mood.upset and (reading.score or 0.0) < UPSET_GUESS
                and not turn.kb.entry(entry_id).action):
            # upset, and the answer no better than a coin toss: a person offered, the guess one press away
            guess, entry_id = entry_id, None
        if (entry_id is not None and entry_id != ruled and mood.vents and (reading.score or 0.0) < UPSET_SURE
                and not asks_something(turn.msg.text) and not asks_something(turn.text)
                # (a fault told is checked however it is vented: "data's been dead since this morning, no 4g no nothing")
                and not (getattr(turn.kb.entry(entry_id), "group", None) == "problems" and fault_told)):
            # venting ("sick and tired of waiting for an answer", "вы меня за идиота держите?"): a person, not a
            # guessed answer, nor a guessed account action (one asked for outright asks: "заблокируйте", "block")
            entry_id = None
        if entry_id is not None:
            entry = turn.kb.entry(entry_id)
            assert entry is not None
            step = await self._entry(turn, entry, reading.score)
            # one empathetic line, the operator at hand (for an answer, and for the check of a fault told upset)
            if mood.upset and (step.outcome == "answer" or (step.outcome == "action" and entry.group == "problems")) \
                    and step.replies:
                first = step.replies[0]
                first.text = f"{turn.say('empathy')}\n\n{first.text}"
                if not any(b.payload == "operator" for r in step.replies for b in r.buttons):
                    step.replies[-1].buttons.append(self._operator_button(turn))
            return step
        if subject is not None and (not mood.upset or subject == "another company"):
            return self._miss(turn, reading, covered=False)  # a shop's late order: not ours, however urgent
        # "cant get any data rn wtf"; "второй день не ловит связь": upset only in how long it has lasted
        mild = mood.vents and (only_mildly_vexed(turn.msg.text, turn.text) or only_lasting(turn.msg.text, turn.text))
        if reported and not (mood.wants_person or mood.complaint or mood.mistreated or (mood.vents and not mild)):
            # a fault of the line in words the base does not know: the diagnosis checks it (and hands over)
            step = await self.actions.start(turn, "diagnose", {"problem": kind} if kind else None)
            step.intent = step.intent or (f"problem-{kind}" if kind and turn.kb.entry(f"problem-{kind}") else None)
            step.score = reading.score
            if mood.upset and step.replies:
                step.replies[0].text = f"{turn.say('empathy')}\n\n{step.replies[0].text}"
                if not any(b.payload == "operator" for r in step.replies for b in r.buttons):
                    step.replies[-1].buttons.append(self._operator_button(turn))  # a person one press away
            return step
        upset = mood.angry or staff_story(turn.msg.text) or (worded(turn) and sounds_upset(turn.text)
                                                             and not CALM_HOW.match(turn.text))
        if ((mood.urgent and not upset) or only_lasting(turn.msg.text, turn.text)) and not reported and unrelated(reading):
            # only in a hurry, about nothing of the line, the account or support ("как выучить с ребёнком таблицу
            # умножения, плачем оба"), or only in saying how long it has lasted ("кот третий день плохо ест"): an
            # honest "not here", not an operator for it
            return self._miss(turn, reading, covered=False)
        if mood.upset or upset:  # upset, or a
            # story about staff, and not understood: the operator, offered at once; a fault said angrily ("cant get
            # any data rn wtf") also gets the check of the line as a button
            turn.conv.state["offer"] = "operator"
            buttons = [Button(turn.say("yes"), "op:yes"), Button(turn.say("no"), "op:no")]
            fault = turn.kb.entry(f"problem-{kind or 'calls'}") if reported else None
            if fault is not None and not (mood.wants_person or mood.complaint or mood.mistreated):
                buttons.append(Button(fault.title.get(turn.lang), f"kb:{fault.id}"))
            guessed = turn.kb.entry(guess) if guess is not None else None
            if guessed is not None and fault is None:  # a fault told: its check is the better offer
                buttons.append(Button(guessed.title.get(turn.lang), f"kb:{guessed.id}"))
            return Step([Reply(turn.say("empathy_offer"), buttons)], score=reading.score, outcome="offer")
        return self._miss(turn, reading)

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
            if entry.slots:  # a particular case of the action (a complaint): its own words first
                step.replies.insert(0, Reply(entry.answer.get(turn.lang)))
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

    def _miss(self, turn: Turn, reading: Reading, covered: bool = True) -> Step:
        """Not understood well enough to answer. A near miss asks "did you mean…?"; a question the
        base does not cover gets an honest "I can't answer this one here" — both with the nearest
        topics as buttons and the operator."""
        suggestions, best = [], 0.0
        floor = self.suggest_min if reading.decision is None else SUGGEST_PROBABILITY
        worded = {c.entry_id for c in reading.candidates}  # entries that share words with the message
        for entry_id, score in reading.ranked():
            entry = turn.kb.entry(entry_id)
            if (entry is not None and score >= floor and not entry.out_of_scope and not entry.handoff
                    and entry.group != "smalltalk" and len(suggestions) < 3 and entry_id in worded):
                suggestions.append(Button(entry.title.get(turn.lang), f"kb:{entry.id}"))  # topics sharing words with it
                best = max(best, score)
        step = Step([], None, score=reading.score, outcome="fallback")
        near = covered and (reading.decision is None or best >= NEAR_MISS)
        if suggestions:
            step.replies.append(Reply(turn.say("did_you_mean" if near else "cant_answer"),
                                      [*suggestions, self._operator_button(turn)]))
        else:
            step.replies.append(Reply(turn.say("rephrase" if covered else "cant_answer"), self._menu(turn)))
        return self._count_miss(turn, step)

    def _clarify(self, turn: Turn, topic: Topic | None) -> Step:
        """The last answer missed: ask what was meant, with the topics it nearly was (with no last answer, the menu's)
        and the operator."""
        buttons = []
        for entry_id in topic.others if topic is not None else ():
            entry = turn.kb.entry(entry_id)
            if entry is not None and not entry.out_of_scope and entry.group != "smalltalk" and len(buttons) < 3:
                buttons.append(Button(entry.title.get(turn.lang), f"kb:{entry.id}"))
        if not buttons:
            buttons = self._menu(turn)[:-1]
        turn.conv.state.pop("topic", None)
        return Step([Reply(turn.say("clarify"), [*buttons, self._operator_button(turn)])], outcome="clarify")

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


PRICED = 0.5  # an entry half of whose examples ask a price answers what something costs
PRICE_TERMS = ("~cost", "~free")


def price_of(matcher: Any, kb: Any, last: Entry) -> str | None:
    """The entry that says what the last topic costs: the last topic itself when it is about a price, else
    the priced entry linked with it (either names the other as a follow-up) most alike to it."""
    if matcher.share(last.id, *PRICE_TERMS) >= PRICED:
        return last.id
    linked = set(last.followups) | {e.id for e in kb.entries if last.id in e.followups}
    priced = [e for e in linked if matcher.share(e, *PRICE_TERMS) >= PRICED]
    best = max(priced, key=lambda e: matcher.likeness(e, last.id), default=None)
    other = kb.entry(best) if best is not None else None
    own = numbers_named(last)
    if own and PRICE_SAID.search(last.answer.get("ru")) and (other is None or not own & numbers_named(other)):
        return last.id  # a number whose answer says what calling it costs, and no priced entry about that number
    if other is None and PRICE_SAID.search(last.answer.get("ru")):
        return last.id  # "what's a promised payment?" → "is there a fee for it?": its answer names the fee
    return best


PRICE_SAID = re.compile(r"бесплатн|платн|стоит|стоимост|комисси", re.IGNORECASE)  # an answer that says what something costs
BOLD = re.compile(r"\*\*([^*]+)\*\*")


def numbers_named(entry: Entry) -> set[str]:
    """The phone numbers an answer gives (in bold), digits only."""
    return {d for d in (re.sub(r"\D", "", b) for b in BOLD.findall(entry.answer.get("ru"))) if len(d) >= 3}


def same_channel(kb: Any, last: Entry, situation: str) -> str | None:
    """A new situation read as the phone line's ("а если там не отвечают?" → "cant-get-through", of the
    peak-hours group) after a topic about writing (the chat and the feedback form): the written channel's own
    answer to it, the first entry of the writing group its editors named as what comes next ("web-chat" →
    "feedback-form", which is there for when the chat's operators are busy); else None."""
    entry = kb.entry(situation)
    if entry is None or entry.group != PHONE_LINE_GROUP or last.group != WRITING_GROUP:
        return None
    return next((i for i in last.followups if getattr(kb.entry(i), "group", None) == WRITING_GROUP), None)


PHONE_LINE_GROUP, WRITING_GROUP = "peak", "chat_feedback"
SUPPORT_NUMBER = re.compile(r"611|06-11")
# words of reaching support: a wait or an hour asked about with none of them is no wait for us
REACHING = re.compile(r"оператор|поддер|связаться|(?<![а-я])ваш[аеиу]?(?![а-я])|"
                      r"611|0611|чат|звон|дозвон|лини[июя]|справочн|теле\s?2|ответ|отвеча|консультант|"
                      r"operator|support|agent|chat|\bcall|line\b|hotline|answer|tele\s?2|reply|respond|phone|on\s+hold|reach|"
                      r"pick\w*\s+up|\byou\b|\bвам\b|\bвас\b|\bвы\b", re.IGNORECASE)
HOURS_ENTRIES = frozenset({"support-611-hours"})  # when support works: asked only of support (REACHING)
REMAINING, BUY_PACKAGE = "do-remaining", "do-buy-package"
LIST_SERVICES, CONNECT_SERVICE = "do-services", "do-connect-service"
CONNECT_ASKED = re.compile(
    r"\b(?:how\s+(?:do|can)\s+i|can\s+i|i\s+want\s+to|how\s+to)\s+(?:\w+\s+)?(?:switch\s+on|turn\s+on|activate|enable|connect|"
    r"add|subscribe\s+to)\s+(?:a\s+|an\s+|the\s+|new\s+|another\s+)*(?:\w+\s+)?(?:service|option|feature)|"
    r"(?<![а-я])(?:как|хочу|можно)\s+(?:\w+\s+)?(?:подключить|включить|добавить|активировать)\s+(?:\w+\s+)?"
    r"(?:новую\s+|ещё\s+одну\s+|еще\s+одну\s+)?(?:услуг|опци)\w*",
    re.IGNORECASE)
SERVICE_ENTRIES = ("lk-services", "do-services", "do-connect-service")  # "how do i add data": a package, not a service
PACKAGE_WORDS = re.compile(r"(?<![а-я])(?:гиг\w*|гб|интернет\w*|инет\w*|трафик\w*|минут\w*|смс\w*)|"
                           r"\b(?:gigs?|gb|data|minutes|mins|texts|sms)\b", re.IGNORECASE)
BUY_MORE = re.compile(r"(?<![а-я])докуп\w*|(?<![а-я])(?:купить|взять|подключить)\s+(?:\w+\s+)?(?:ещё|еще|доп\w*)(?![а-я])|"
                      r"(?<![а-я])(?:ещё|еще)\s+(?:\w+\s+)?(?:купить|взять)|"
                      r"\b(?:buy|grab|get|add|purchase|need|want)\s+(?:some\s+|a\s+few\s+|a\s+couple\s+(?:of\s+)?)?(?:more|extra|another)\b|"
                      r"(?<![а-я])(?:нужно|надо|нужны|хочу)\s+(?:ещё|еще|больше)\s+(?:\w+\s+)?(?:гиг|гб|интернет|трафик|минут)\w*|"
                      r"(?<![а-я])(?:добавить|прибавить|докинуть)\s+(?:\w+\s+)?(?:минут|гиг|гб|интернет|трафик|смс)\w*|"
                      r"\badd\s+(?:some\s+|more\s+|extra\s+)?(?:data|gb|gigs?|minutes|mins)\b",
                      re.IGNORECASE)
# account actions a subscriber says the operator did to them, and what shows what was done
DONE_BY_US = {"do-change-tariff": "do-tariff", "do-connect-service": "do-services", "do-buy-package": "do-remaining"}
DONE_BY_US_WORDS = re.compile(
    r"(?<![а-я])вы\s+(?:[^\s.!?]+\s+){0,4}?(?:поменял|сменил|переключил|перевел|перевёл|"
    r"подключил|навязал|добавил|купил)\w*|"
    r"\byou\s+(?:guys\s+)?(?:just\s+|have\s+|'ve\s+)?(?:changed|switched|moved|put|added|connected|activated|signed)\s+(?:me|my)\b",
    re.IGNORECASE)
OUR_MONEY = re.compile(r"пополн\w*|баланс\w*|на\s+сч[её]т|на\s+номер|с\s+номера|номер\w*|тариф\w*|теле\s?2|tele\s?2|симк\w*|"
                       r"top[\s-]?up|balance|\bmy\s+(?:number|phone|sim|plan|tariff)\b|phone\s+bill|\bsim\b", re.IGNORECASE)
SIM_LOST = frozenset({"lost-sim", "do-block-sim", "lk-security"})  # after these, the number wanted back is a new SIM
SIM_GONE = frozenset({"lost-sim", "problem-blocked", "problem-calls", "problem-internet"})  # readings of a broken SIM
# asking how to do something ("how do I block it", "где посмотреть, на что ушли деньги")
# a message that opens by asking how to do something ("как в ватсапе сделать шрифт побольше, бабушке не видно ничего") is
# no outburst, whatever the learned tone model hears in its words
CALM_HOW = re.compile(r"^\W*(?:(?:а|и|ну|подскажите|скажите|so|and)\W+)?(?:как|how\s+(?:do|can|to|should|could))\s+"
                      r"(?!же\b|так\b)", re.IGNORECASE)
HOW_TO = re.compile(r"\b(?:where|how)\s+(?:do|can|could|should)\s+(?:i|we)\b|\bhow\s+to\b|"
                    r"(?:как|где)\s+(?:мне\s+)?(?:можно\s+)?(?:посмотреть|узнать|проверить|заблокировать|подключить|отключить|"
                    r"настроить|найти|увидеть)", re.IGNORECASE)


def by_phone(kb: Any, last: Entry, lang: str) -> str:
    """The entry that says how to do what the last topic is about by phone (its answer gives the support
    number): the last topic itself, else one its editors named as what comes next (an account action, which
    needs a login, last); the last topic when none does."""
    named = [e for e in (kb.entry(i) for i in last.followups) if e is not None]
    for entry in [last, *sorted(named, key=lambda e: bool(e.action))]:
        if SUPPORT_NUMBER.search(entry.answer.get(lang)):
            return entry.id
    return last.id


def action_of(kb: Any, last: Entry) -> str | None:
    """The entry of the account action that does what the last topic explains: one its editors named as what
    comes next, or the `do-` entry of the same name ("lk-autopay" → "do-autopay"); None when the last topic is
    an action itself or has none."""
    if last.action:
        return None
    for entry_id in (*last.followups, "do-" + last.id.removeprefix("lk-")):
        entry = kb.entry(entry_id)
        if entry is not None and entry.action and same_subject(kb, entry.id, last.id):
            return entry.id
    return None


# a verb that names what to do next, and the account action it is ("а можно одну убрать?" → disconnect a service)
# (verbs, not states: "а какие подключены?" asks the list, "а подключить можно?" the connecting)
DOING_VERBS = {
    "disconnect_service": re.compile(r"(?<![а-я])(?:отключить|отключи|отключите|убрать|убери|уберите|выключить|отказаться|"
                                     r"отписаться)(?![а-я])|\b(?:disconnect|remove|turn\s+off|cancel|unsubscribe)\b",
                                     re.IGNORECASE),
    "connect_service": re.compile(r"(?<![а-я])(?:подключить|подключи|подключите|включить|активировать)(?![а-я])|"
                                  r"\b(?:connect|activate|enable|turn\s+on)\b", re.IGNORECASE),
    "top_up": re.compile(r"(?<![а-я])(?:пополнить|пополни|пополните|закинуть|положить)(?![а-я])|\btop\s*-?up\b", re.IGNORECASE),
    "change_tariff": re.compile(r"(?<![а-я])(?:поменять|сменить|изменить|поменяй|смени|смените)(?![а-я])|\b(?:change|switch)\b",
                                re.IGNORECASE),
}


def followup_doing(kb: Any, last: Entry, reading: Reading) -> str | None:
    """The one topic the last answer's editors named as what comes next whose account action the follow-up's verb
    names ("убрать" → disconnecting a service after the list of services; "а поменять его где?" → changing the tariff
    after the tariff), or None."""
    actions = {action for action, verb in DOING_VERBS.items() if verb.search(reading.text)}
    if not actions:
        return None
    named = [e for f in last.followups if (e := kb.entry(f)) is not None and e.action in actions and e.id != last.id]
    return named[0].id if len(named) == 1 else None


def answered_as(reading: Reading, entry_id: str) -> Reading:
    """The reading, decided for `entry_id` (a follow-up the context settles)."""
    assert reading.decision is not None
    return dataclasses.replace(reading, decision=dataclasses.replace(reading.decision, entry_id=entry_id, accepted=True))


def next_topic(kb: Any, last: Entry, readings: Sequence[Reading]) -> Reading | None:
    """A follow-up that nearly reads as one of the topics the last answer's editors named as what comes
    next ("как написать в чат" → "а если там никто не отвечает?": the feedback form, not "can't get
    through"): that topic, when it scores at least 1/FOLLOWUP_PRIOR of the best reading and the best is
    neither the last topic again nor one of those named."""
    named = [f for f in last.followups if not same_subject(kb, f, last.id)]
    best: dict[str, tuple[float, Reading]] = {}
    for reading in readings:
        if reading.decision is None:
            continue
        for entry_id, score in reading.ranked():
            if score > best.get(entry_id, (0.0, reading))[0]:
                best[entry_id] = (score, reading)
    if not best or not named:
        return None
    top = max(best, key=lambda e: best[e][0])
    if any(same_subject(kb, top, f) for f in named) and not same_subject(kb, top, last.id):
        score, reading = best[top]
        if reading.entry_id is None and score >= NAMED_SURE:  # what comes next, if not quite surely: still that
            return answered_as(reading, top)
        return None
    if same_subject(kb, top, last.id):
        return None
    near = [(score, entry_id) for entry_id, (score, _) in best.items() if any(same_subject(kb, entry_id, f) for f in named)]
    if not near:
        return None
    score, entry_id = max(near)
    if score < FOLLOWUP_FLOOR or score * FOLLOWUP_PRIOR < best[top][0]:
        return None
    return answered_as(best[entry_id][1], entry_id)


def _told(mood: Tone) -> bool:
    """A message that tells how the writer feels or was served: read as a whole, never by a clause."""
    return bool(mood.vents or mood.mistreated or mood.complaint or mood.praise or mood.wants_person)
