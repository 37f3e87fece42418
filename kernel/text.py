"""Text from outside made safe to keep: no lone surrogates, no control characters."""

from __future__ import annotations

import re

# C0 and C1 controls except tab, newline and carriage return; DEL; lone UTF-16 surrogates; noncharacters
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """`text` without what cannot be stored or shown (lone surrogates cannot even be encoded)."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


def unsafe(text: str) -> bool:
    """Whether `text` holds a lone surrogate or a control character."""
    return _UNSAFE.search(text) is not None
