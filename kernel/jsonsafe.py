"""JSON from outside, read with bounds: nesting no deeper than anyone honest sends (a deep
document would exhaust the parser's recursion), integers within 64 bits."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
MAX_INT = 2**63 - 1
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class JsonRefused(ValueError):
    """Not JSON, or JSON beyond the bounds."""


def depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (strings skipped; not validated)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def _bounded_int(literal: str) -> int:
    if len(literal) > 20:
        raise JsonRefused("a number out of range")
    value = int(literal)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise JsonRefused("a number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not JSON")


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` refusing (JsonRefused) text that is not UTF-8 or JSON, nests deeper than
    `max_depth`, or holds an integer beyond 64 bits (or NaN/Infinity)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused("not UTF-8") from exc
    if depth(text) > max_depth:
        raise JsonRefused(f"nested deeper than {max_depth}")
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise JsonRefused("not JSON") from exc
