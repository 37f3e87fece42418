"""Short answers the dialogue understands everywhere: yes, no, cancel."""

from __future__ import annotations

import re

from .normalize import fold

YES = frozenset("да ага угу давай давайте конечно хочу соедините соедини подключите подтверждаю подтвердить верно "
                "yes yeah yep yup sure ok okay ок окей хорошо go y д lf confirm".split())
# words that may follow a yes without changing it: "да, подключай", "yes please"
YES_FILLERS = frozenset("да пожалуйста please pls плиз давай давайте конечно подключай подключи оформляй оформи сделай "
                        "делай верно все всё так go ahead do it confirm подтверждаю точно именно ок ok yes sure".split())
NO = frozenset("нет неа не нестоит надо no nope nah n отказ отмена not dont don't никак".split())
CANCEL = frozenset("отмена отменить отмени отменяю стоп хватит выход выйти cancel stop quit abort exit".split())


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-zа-я/']+", fold(text))


def yes_no(text: str) -> bool | None:
    """True for a plain yes ("да", "да, подключай", "yes please"), False when there is any no
    ("нет", "да нет, не надо", "конечно нет"), None for anything else ("ок, подумаю",
    "хочу другой пакет")."""
    words = _words(text)
    if not words or len(words) > 6:
        return None
    if any(w in NO for w in words):
        return False
    if words[0] in YES and all(w in YES_FILLERS or w in YES for w in words[1:]):
        return True
    return None


def is_cancel(text: str) -> bool:
    words = _words(text)
    return 0 < len(words) <= 3 and any(w.lstrip("/") in CANCEL for w in words)
