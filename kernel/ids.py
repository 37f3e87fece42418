"""Random identifiers."""

from __future__ import annotations

import secrets


def instance_id() -> str:
    """A running process of the product (heartbeats, claims of stored work, the events it sends)."""
    return secrets.token_hex(4)
