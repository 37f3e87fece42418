"""The knowledge base's data model: entries, regions, synonyms and the bot's own phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGS = ("ru", "en")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ANSWER = 1100  # a messenger reply must stay under 1,200 characters
MAX_COMPUTED_ANSWER = 900  # room for the computed line (a region's number, the peak-hours status)
MAX_EXAMPLE = 300
COMPUTES = ("region_number", "peak_hours")
ACTIONS = (
    "balance", "remaining", "tariff", "change_tariff", "promised_payment", "buy_package", "services",
    "connect_service", "disconnect_service", "expenses", "call_details", "autopay", "top_up",
    "block_sim", "feedback", "diagnose",
)
# slots an action entry may preset (`slots: {problem: internet}`), with their allowed values
PROBLEMS = ("internet", "slow_internet", "calls", "sms", "money", "blocked")
# the feedback form's topics (a complaint entry presets "complaint")
FEEDBACK_TOPICS = ("balance", "tariffs", "services", "internet", "roaming", "coverage", "payments", "personal_account",
                   "complaint", "praise", "other")
ACTION_SLOTS: dict[str, dict[str, tuple[str, ...]]] = {"diagnose": {"problem": PROBLEMS}, "feedback": {"topic": FEEDBACK_TOPICS}}


class Text(BaseModel):
    """A text in both languages."""

    model_config = ConfigDict(extra="forbid")
    ru: str
    en: str

    @field_validator("ru", "en")
    @classmethod
    def not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ru: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("ru", "en")
    @classmethod
    def clean(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise ValueError("an example question must be non-empty text")
            if len(value) > MAX_EXAMPLE:
                raise ValueError(f"an example question is over {MAX_EXAMPLE} characters: {value[:40]!r}…")
            out.append(value.strip())
        return out

    def all(self) -> list[tuple[str, str]]:
        return [("ru", x) for x in self.ru] + [("en", x) for x in self.en]


class EntryButton(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    payload: str = Field(min_length=1, max_length=64)


class Entry(BaseModel):
    """One topic of the knowledge base."""

    model_config = ConfigDict(extra="forbid")
    id: str
    group: str
    title: Text
    examples: Examples
    answer: Text
    buttons: list[EntryButton] = Field(default_factory=list)
    followups: list[str] = Field(default_factory=list)
    compute: Literal["region_number", "peak_hours"] | None = None
    action: str | None = None
    slots: dict[str, str] = Field(default_factory=dict)  # preset slots of the action ("problem": "internet")
    record: Literal["praise"] | None = None  # the message is recorded for the team (analytics) and thanked
    handoff: bool = False

    @field_validator("id")
    @classmethod
    def valid_id(cls, value: str) -> str:
        if not ID_RE.match(value) or len(value) > 64:
            raise ValueError("an id is lowercase latin letters, digits and dashes (at most 64)")
        return value

    @field_validator("action")
    @classmethod
    def known_action(cls, value: str | None) -> str | None:
        if value is not None and value not in ACTIONS:
            raise ValueError(f"unknown action {value!r}; one of {', '.join(ACTIONS)}")
        return value

    @field_validator("slots")
    @classmethod
    def small_slots(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 5 or any(not ID_RE.match(k) or len(v) > 64 for k, v in value.items()):
            raise ValueError("slots: at most 5, names lowercase latin, values up to 64 characters")
        return value

    @model_validator(mode="after")
    def checks(self) -> Entry:
        if self.slots:
            allowed = ACTION_SLOTS.get(self.action or "")
            if allowed is None:
                raise ValueError(f"entry {self.id!r}: slots are only for the actions {', '.join(ACTION_SLOTS)}")
            for key, value in self.slots.items():
                if key not in allowed:
                    raise ValueError(f"entry {self.id!r}: action {self.action} has no slot {key!r}")
                if value not in allowed[key]:
                    raise ValueError(f"entry {self.id!r}: slot {key} is one of {', '.join(allowed[key])}")
        for lang in LANGS:
            if not getattr(self.examples, lang):
                raise ValueError(f"entry {self.id!r} has no {lang} example questions")
            limit = MAX_COMPUTED_ANSWER if self.compute else MAX_ANSWER
            if len(self.answer.get(lang)) > limit:
                raise ValueError(f"entry {self.id!r}: the {lang} answer is over {limit} characters")
        return self

    @property
    def out_of_scope(self) -> bool:
        return self.group == "out_of_scope"


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: Text
    tz: str
    aliases: Examples
    support_phone: str | None = None


@dataclass
class KnowledgeBase:
    """Everything the understanding core reads: entries plus reference data."""

    entries: list[Entry]
    regions: list[Region] = field(default_factory=list)
    countries: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[str, Text] = field(default_factory=dict)
    revision: int = 0
    negatives: list[str] = field(default_factory=list)  # messages the base does not answer (negatives.yaml)
    calibration: list[tuple[str, str]] = field(default_factory=list)  # (message, entry id or "__oos__"): calibration.yaml

    def __post_init__(self) -> None:
        self.by_id = {e.id: e for e in self.entries}
        self.regions_by_id = {r.id: r for r in self.regions}

    def entry(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def message(self, key: str, lang: str, **values: object) -> str:
        text = self.messages.get(key)
        if text is None:
            raise KeyError(f"no message {key!r} in messages.yaml")
        return text.get(lang).format(**values) if values else text.get(lang)
