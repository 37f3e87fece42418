"""Time: UTC inside, Moscow time (or the subscriber's zone) outside."""

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
