"""Phone numbers in one form: +7 and ten digits (the billing's, the SMS gateway's, the login's)."""

from __future__ import annotations

import re


def normalize_phone(text: str) -> str | None:
    """One phone number typed alone (login step), or None."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    return None
