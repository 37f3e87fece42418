"""Support agents: accounts (argon2 password hashes), roles, sessions, presence, throttled login."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kernel.clock import stamp, unstamp

from .db import Database

ROLES = ("agent", "editor", "admin")
LOGIN_RE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
SESSION_TTL = timedelta(hours=12)
PRESENCE_TTL = timedelta(seconds=45)
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginDelays:
    """Failures (within FAILURE_WINDOW) before each further sign-in try must wait; the wait
    doubles per failure up to a cap: long per address, short per account (so that nobody can
    lock an account out, the admin's included)."""

    free: int = 5
    address_max: float = 900.0
    account_max: float = 60.0

    def wait(self, failures: int, cap: float) -> float:
        return 0.0 if failures < self.free else min(cap, float(2 ** min(failures - self.free, 30)))


def normalize_login(login: str) -> str:
    """A login as stored and counted: compatibility-folded, trimmed, lower case (" Admin" is "admin")."""
    return unicodedata.normalize("NFKC", login).strip().lower()[:64]


class AgentError(ValueError):
    """A bad request about agents (the message is shown to the admin)."""


@dataclass(frozen=True)
class Agent:
    id: int
    login: str
    name: str
    role: str
    active: bool

    def can(self, role: str) -> bool:
        """agent < editor < admin; an admin can do everything."""
        return ROLES.index(self.role) >= ROLES.index(role) or (role == "editor" and self.role == "admin")


@dataclass(frozen=True)
class Session:
    agent: Agent
    csrf: str
    expires_at: datetime


def _agent(row: dict) -> Agent:
    return Agent(row["id"], row["login"], row["name"], row["role"], bool(row["active"]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_password(password: str) -> None:
    if len(password) < 10:
        raise AgentError("the password must have at least 10 characters")
    if len(password) > 256:
        raise AgentError("the password is too long")


class AgentStore:
    """`hasher`: argon2 with the cost the configuration sets (`[web] password_*`). Hashing runs on a
    worker thread: it takes tenths of a second of CPU by design and must not hold up the event loop."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def _dummy_hash(self) -> str:
        """A hash to verify against for unknown logins (made on first use)."""
        if self._dummy is None:
            self._dummy = await self._hash("not a real password, used to spend the same time")
        return self._dummy

    # -- accounts ----------------------------------------------------------------------------------

    async def create(self, login: str, name: str, role: str, password: str, now: datetime) -> Agent:
        login = normalize_login(login)
        if not login or len(login) > 64 or not set(login) <= LOGIN_RE_CHARS:
            raise AgentError("a login is 1-64 latin letters, digits, dots, dashes or underscores")
        if role not in ROLES:
            raise AgentError(f"the role must be one of {', '.join(ROLES)}")
        if not name.strip() or len(name) > 100:
            raise AgentError("a name is 1-100 characters")
        validate_password(password)
        digest = await self._hash(password)
        async with self.db.transaction(f"agent:{login}") as tx:
            if await tx.fetchval("SELECT count(*) FROM agents WHERE login = ?", (login,)):
                raise AgentError(f"the login {login!r} is taken")
            agent_id = await tx.fetchval(
                "INSERT INTO agents (login, name, role, password_hash, active, created_at) VALUES (?, ?, ?, ?, 1, ?) "
                "RETURNING id", (login, name.strip(), role, digest, stamp(now)))
        return Agent(agent_id, login, name.strip(), role, True)

    async def get(self, agent_id: int) -> Agent | None:
        row = await self.db.fetchone("SELECT * FROM agents WHERE id = ?", (agent_id,))
        return _agent(row) if row else None

    async def by_login(self, login: str) -> Agent | None:
        row = await self.db.fetchone("SELECT * FROM agents WHERE login = ?", (normalize_login(login),))
        return _agent(row) if row else None

    async def all(self) -> list[Agent]:
        return [_agent(r) for r in await self.db.fetchall("SELECT * FROM agents ORDER BY login")]

    async def count(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM agents")

    async def set_password(self, agent_id: int, password: str) -> None:
        validate_password(password)
        await self.db.execute("UPDATE agents SET password_hash = ? WHERE id = ?", (await self._hash(password), agent_id))
        await self.db.execute("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,))

    async def set_role(self, agent_id: int, role: str) -> None:
        if role not in ROLES:
            raise AgentError(f"the role must be one of {', '.join(ROLES)}")
        await self.db.execute("UPDATE agents SET role = ? WHERE id = ?", (role, agent_id))

    async def set_active(self, agent_id: int, active: bool) -> None:
        await self.db.execute("UPDATE agents SET active = ? WHERE id = ?", (int(active), agent_id))
        if not active:
            await self.db.execute("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,))

    # -- logging in --------------------------------------------------------------------------------

    async def login_delay(self, login: str, ip: str, now: datetime, delays: LoginDelays | None = None,
                          known_device: bool = False) -> float:
        """Seconds before this login may be tried from this address (0: now). Each counts its own
        recent failures: the address's wait grows long, the account's stays short, and a browser the
        account signed in from before (`known_device`) skips the account's."""
        delays = delays or LoginDelays()
        since = stamp(now - FAILURE_WINDOW)
        row = await self.db.fetchone(
            "SELECT sum(CASE WHEN ip = ? THEN 1 ELSE 0 END) AS by_ip, max(CASE WHEN ip = ? THEN at END) AS ip_last, "
            "sum(CASE WHEN login = ? THEN 1 ELSE 0 END) AS by_login, max(CASE WHEN login = ? THEN at END) AS login_last "
            "FROM login_failures WHERE (login = ? OR ip = ?) AND at > ?",
            (ip[:64], ip[:64], normalize_login(login), normalize_login(login), normalize_login(login), ip[:64], since))
        waits = [0.0]
        if row and row["by_ip"]:
            waits.append(delays.wait(int(row["by_ip"]), delays.address_max)
                         - (now - unstamp(row["ip_last"])).total_seconds())
        if row and row["by_login"] and not known_device:
            waits.append(delays.wait(int(row["by_login"]), delays.account_max)
                         - (now - unstamp(row["login_last"])).total_seconds())
        return max(waits)

    async def authenticate(self, login: str, password: str, ip: str, now: datetime) -> Agent | None:
        """The agent for a right login and password; None otherwise (failures are counted)."""
        login = normalize_login(login)
        row = await self.db.fetchone("SELECT * FROM agents WHERE login = ?", (login,))
        ok = False
        if row is not None and row["active"]:
            try:
                ok = await asyncio.to_thread(self.hasher.verify, row["password_hash"], password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        else:
            try:  # the same work for an unknown login: no timing difference
                await asyncio.to_thread(self.hasher.verify, await self._dummy_hash(), password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                pass
        if not ok:
            await self.db.execute("INSERT INTO login_failures (login, ip, at) VALUES (?, ?, ?)",
                                  (login, ip[:64], stamp(now)))
            return None
        return _agent(row)

    async def open_session(self, agent: Agent, now: datetime) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). Only the token's hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self.db.execute(
            "INSERT INTO agent_sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (_token_hash(token), agent.id, csrf, stamp(now), stamp(now + SESSION_TTL)))
        return token, csrf

    async def session(self, token: str | None, now: datetime) -> Session | None:
        if not token or len(token) > 100:
            return None
        row = await self.db.fetchone(
            "SELECT s.csrf, s.expires_at, a.* FROM agent_sessions s JOIN agents a ON a.id = s.agent_id "
            "WHERE s.token_hash = ?", (_token_hash(token),))
        if row is None or not row["active"] or unstamp(row["expires_at"]) <= now:
            return None
        return Session(_agent(row), row["csrf"], unstamp(row["expires_at"]))

    async def close_session(self, token: str) -> None:
        await self.db.execute("DELETE FROM agent_sessions WHERE token_hash = ?", (_token_hash(token),))

    # -- presence ----------------------------------------------------------------------------------

    async def heartbeat(self, agent_id: int, instance: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO agent_presence (agent_id, instance, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (agent_id, instance) DO UPDATE SET last_seen = excluded.last_seen",
            (agent_id, instance, stamp(now)))

    async def offline(self, agent_id: int, instance: str) -> None:
        await self.db.execute("DELETE FROM agent_presence WHERE agent_id = ? AND instance = ?", (agent_id, instance))

    async def online(self, now: datetime) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT p.agent_id FROM agent_presence p JOIN agents a ON a.id = p.agent_id "
            "WHERE p.last_seen > ? AND a.active = 1", (stamp(now - PRESENCE_TTL),))
        return [r["agent_id"] for r in rows]

