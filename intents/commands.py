"""Short answers the dialogue understands everywhere: yes, no, cancel."""

from __future__ import annotations

import re

from .normalize import fold

YES = frozenset("да ага угу давай давайте конечно хочу соедините соедини подключите подтверждаю верно yes yeah yep sure "
                "ok okay ок окей хорошо go y д lf".split())
NO = frozenset("нет неа не нестоит не надо no nope nah n отказ".split())
CANCEL = frozenset("отмена отменить отмени отменяю стоп хватит выход выйти cancel stop quit abort exit".split())


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-zа-я/]+", fold(text))


def yes_no(text: str) -> bool | None:
    """True for a short yes, False for a short no, None otherwise."""
    words = _words(text)
    if not words or len(words) > 4:
        return None
    if words[0] in NO or "не" in words[:2] or "no" in words[:1]:
        return False
    if words[0] in YES:
        return True
    return None


def is_cancel(text: str) -> bool:
    words = _words(text)
    return 0 < len(words) <= 3 and any(w.lstrip("/") in CANCEL for w in words)
