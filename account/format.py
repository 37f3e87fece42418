"""Money and dates as subscribers read them."""

from __future__ import annotations

from datetime import date, datetime

from kernel.clock import MOSCOW


def money(kopecks: int, lang: str = "ru") -> str:
    """12050 → "120,50 ₽" (ru) / "120.50 ₽" (en); whole roubles without kopecks."""
    sign = "−" if kopecks < 0 else ""
    rub, kop = divmod(abs(kopecks), 100)
    whole = f"{rub:,}".replace(",", "\u00a0")
    if kop:
        return f"{sign}{whole}{',' if lang == 'ru' else '.'}{kop:02d}\u00a0₽"
    return f"{sign}{whole}\u00a0₽"


def day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(MOSCOW).date()
    return value.strftime("%d.%m.%Y")


def amount(value: float, unit: str, lang: str) -> str:
    """5.0, "gb" → "5 ГБ"; minutes and SMS as whole numbers."""
    units = {"gb": ("ГБ", "GB"), "min": ("мин", "min"), "sms": ("SMS", "SMS")}[unit]
    number = f"{value:.2f}".rstrip("0").rstrip(".") if unit == "gb" else str(int(value))
    if lang == "ru":
        number = number.replace(".", ",")
    return f"{number} {units[1] if lang == 'en' else units[0]}"
