"""Random identifiers."""

from __future__ import annotations

import secrets
import uuid


def instance_id() -> str:
    """A running process of the product (heartbeats, claims of stored work)."""
    return secrets.token_hex(4)


def operation_key() -> str:
    """One confirmed account operation: the billing performs each key once."""
    return uuid.uuid4().hex


def token(nbytes: int = 32) -> str:
    """An unguessable URL-safe token (sessions, payment links)."""
    return secrets.token_urlsafe(nbytes)
