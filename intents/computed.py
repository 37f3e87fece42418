"""Answers computed at the moment: a region's support number, whether now is a good time to call."""

from __future__ import annotations

from datetime import datetime

from knowledge.model import KnowledgeBase

from .clock import MOSCOW

PEAK_START, PEAK_END, BEST_FROM = 10, 19, 21


def peak_status(now: datetime) -> str:
    """'weekend', 'peak' (weekdays 10-19 MSK), 'evening' (19-21) or 'quiet'."""
    local = now.astimezone(MOSCOW)
    if local.weekday() >= 5:
        return "weekend"
    if PEAK_START <= local.hour < PEAK_END:
        return "peak"
    if PEAK_END <= local.hour < BEST_FROM:
        return "evening"
    return "quiet"


def peak_line(kb: KnowledgeBase, now: datetime, lang: str) -> str:
    local = now.astimezone(MOSCOW)
    return kb.message(f"peak_{peak_status(now)}", lang, time=local.strftime("%H:%M"))


def region_line(kb: KnowledgeBase, region_id: str | None, lang: str) -> str | None:
    if region_id is None:
        return None
    region = kb.regions_by_id.get(region_id)
    if region is None:
        return None
    name = region.name.get(lang)
    if region.support_phone:
        return kb.message("region_number", lang, region=name, phone=region.support_phone)
    return kb.message("region_no_number", lang, region=name)


def compute(kind: str, kb: KnowledgeBase, now: datetime, lang: str, region_id: str | None) -> str | None:
    if kind == "peak_hours":
        return peak_line(kb, now, lang)
    if kind == "region_number":
        return region_line(kb, region_id, lang)
    return None
