"""Time: UTC inside, Moscow time (or the subscriber's zone) outside; moments stored as text."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_now(value: str | None) -> datetime | None:
    """An ISO-8601 date-time with offset (a naive one is taken as Moscow time), as UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=MOSCOW)
    return parsed.astimezone(UTC)


def to_moscow(moment: datetime) -> datetime:
    return moment.astimezone(MOSCOW)


def stamp(moment: datetime) -> str:
    """A UTC moment as fixed-width ISO text, which sorts and compares as text."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    m = moment  # the fields formatted directly: twice as fast as strftime, and it runs many times a turn
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
