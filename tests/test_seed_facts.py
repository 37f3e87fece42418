"""Every fact of the source article is reachable: each question of knowledge/seed_facts.yaml,
in Russian and English, is answered by its entry, and the answer states the fact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ChatClient

from knowledge.model import KnowledgeBase
from supportbot.runtime import Runtime

pytestmark = pytest.mark.wording  # what the bot says: the same on any storage (runs once, not per backend)

CHECKLIST = Path(__file__).resolve().parent.parent / "knowledge" / "seed_facts.yaml"
FACTS: list[dict[str, Any]] = yaml.safe_load(CHECKLIST.read_text(encoding="utf-8"))
CASES = [(fact, lang) for fact in FACTS for lang in ("ru", "en")]


def plain(text: str) -> str:
    """Lower case; phone numbers' digit groups joined ("8 800 555-06-11" → "88005550611")."""
    text = text.lower().replace("ё", "е").replace("**", "")
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"(?<=\d)[\s\-()\u00a0]+(?=[\d(])", "", text)
    return re.sub(r"\+(?=\d)", "", text).replace("(", "")


def test_the_checklist_names_real_entries(kb: KnowledgeBase) -> None:
    assert len(FACTS) >= 35
    for fact in FACTS:
        assert set(fact) == {"fact", "entry", "ask", "says"}, fact
        assert all(entry in kb.by_id for entry in fact["entry"]), fact
        assert set(fact["ask"]) == {"ru", "en"}, fact


@pytest.mark.parametrize(("fact", "lang"), CASES, ids=[f"{f['entry'][0]}-{lang}-{i}" for i, (f, lang) in enumerate(CASES)])
async def test_every_seed_fact_is_answered(runtime: Runtime, fact: dict[str, Any], lang: str) -> None:
    bot = ChatClient(runtime, user=f"seed-{lang}")
    out = await bot.say(fact["ask"][lang])
    assert out.lang == lang
    assert out.intent in fact["entry"], (fact["fact"], out.intent, out.text[:200])
    says = fact["says"][lang] if isinstance(fact["says"], dict) else fact["says"]
    for text in says:
        assert plain(text) in plain(out.text), (fact["fact"], text, out.text)
