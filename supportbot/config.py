"""Configuration: `config.toml` (documented defaults) plus secrets from the environment."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bots.channels import ChannelsConfig

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config.toml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageConfig(Strict):
    backend: Literal["sqlite", "postgres"] = "sqlite"
    path: str = "data/supportbot.db"
    url_env: str = "SUPPORTBOT_DATABASE_URL"
    pool_size: int = Field(20, ge=2, le=500)
    busy_timeout_seconds: float = Field(10.0, gt=0)
    # instances sharing the database: how often each says it is alive, and after how long without
    # that its unfinished work (updates, messages being sent) is taken by the others
    heartbeat_seconds: float = Field(5.0, ge=0.1, le=60)
    dead_after_seconds: float = Field(15.0, ge=0.3, le=600)

    @model_validator(mode="after")
    def _dead_after_beats(self) -> StorageConfig:
        if self.dead_after_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("dead_after_seconds must be at least twice heartbeat_seconds "
                             "(a live instance would be taken for dead between two heartbeats)")
        return self


class BusConfig(Strict):
    backend: Literal["local", "redis"] = "local"
    url_env: str = "SUPPORTBOT_REDIS_URL"
    channel: str = "supportbot"


class UnderstandingConfig(Strict):
    threshold: float = Field(0.4, ge=0, le=1)
    suggest_min: float = Field(0.3, ge=0, le=1)
    full_retrain: bool = True  # after an editor's save, the full training (calibration) in the background


class DialogueConfig(Strict):
    menu_size: int = Field(5, ge=1, le=10)


class HandoffConfig(Strict):
    max_wait_minutes: float = Field(15.0, gt=0)


class LoginConfig(Strict):
    code_ttl_minutes: float = Field(10, gt=0, le=60)
    max_attempts: int = Field(5, ge=1, le=20)
    sends_per_minute: int = Field(1, ge=1)
    sends_per_hour: int = Field(5, ge=1)
    session_days: float = Field(30, gt=0)
    trust_shared_contact: bool = True
    secret_env: str = "SUPPORTBOT_LOGIN_SECRET"  # noqa: S105 - the variable's name, not a secret


class PaymentsConfig(Strict):
    page_url: str = "http://127.0.0.1:8080/pay/{token}"


class WebConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    allowed_origins: list[str] = Field(default_factory=list)  # sites allowed to open the chat socket besides our own
    trust_proxy: bool = False  # take scheme, host and client IP from X-Forwarded-* (only behind your own proxy)
    # our own proxies in front: how many (hops), or their addresses/networks; the client address is
    # read right to left in X-Forwarded-For past them. 0 and [] with trust_proxy = true: one hop.
    proxy_hops: int = Field(0, ge=0, le=10)
    trusted_proxies: list[str] = Field(default_factory=list)
    secret_env: str = "SUPPORTBOT_WEB_SECRET"  # noqa: S105 - the variable's name, not a secret
    admin_password_env: str = "SUPPORTBOT_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"  # uvloop where installed (not on Windows)
    switch_interval_ms: float = Field(1.0, gt=0, le=100)  # how soon the database thread gets the GIL back
    password_time_cost: int = Field(3, ge=1, le=20)  # argon2id for console passwords (argon2-cffi's defaults)
    password_memory_kib: int = Field(65536, ge=64, le=4_194_304)
    password_parallelism: int = Field(4, ge=1, le=16)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    def proxy_hops_count(self) -> int:
        """How many of our proxies stand in front (0: none trusted; the addresses list wins)."""
        if self.trusted_proxies:
            return 0
        return self.proxy_hops or (1 if self.trust_proxy else 0)

    def trusted_networks(self) -> list[Any]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]

    def behind_proxy(self) -> bool:
        return self.trust_proxy or bool(self.proxy_hops) or bool(self.trusted_proxies)

    def password_hasher(self) -> Any:
        """argon2 with this cost (hashes made with another cost still verify: it is in the hash)."""
        from argon2 import PasswordHasher

        return PasswordHasher(time_cost=self.password_time_cost, memory_cost=self.password_memory_kib,
                              parallelism=self.password_parallelism)


class LimitsConfig(Strict):
    """Per client address unless said otherwise (the address as `[web]` proxies say to read it)."""

    chat_sessions_per_minute: int = Field(10, ge=1)  # new web-chat visitor tokens
    chat_sockets: int = Field(20, ge=1)  # web-chat sockets open at once (per instance)
    chat_messages_per_minute: int = Field(120, ge=1)  # all its visitors together (each visitor: 20 at once, 2 a second)
    login_codes_per_hour: int = Field(10, ge=1)  # SMS login codes (besides [login] per number and per conversation)
    feedback_per_minute: int = Field(5, ge=1)  # feedback form posts
    login_free_failures: int = Field(5, ge=1, le=100)  # console logins: failures before delays start
    login_address_max_delay_seconds: int = Field(900, ge=1)  # the delay doubles per failure up to this, per address
    login_account_max_delay_seconds: int = Field(60, ge=1)  # per account (so nobody can lock an account out)


class BackendsConfig(Strict):
    billing: Literal["sandbox"] = "sandbox"  # the operator's billing (a real one plugs in behind BillingBackend)
    messaging: Literal["sandbox"] = "sandbox"  # SMS and e-mail gateways (SmsGateway, EmailSender)


class KnowledgeConfig(Strict):
    path: str = ""  # empty: the knowledge/ folder shipped with the code


class Config(Strict):
    storage: StorageConfig = StorageConfig()
    bus: BusConfig = BusConfig()
    understanding: UnderstandingConfig = UnderstandingConfig()
    dialogue: DialogueConfig = DialogueConfig()
    handoff: HandoffConfig = HandoffConfig()
    backends: BackendsConfig = BackendsConfig()
    knowledge: KnowledgeConfig = KnowledgeConfig()
    login: LoginConfig = LoginConfig()
    payments: PaymentsConfig = PaymentsConfig()
    web: WebConfig = WebConfig()
    limits: LimitsConfig = LimitsConfig()
    channels: ChannelsConfig = ChannelsConfig()

    def secret(self, env_name: str) -> str | None:
        value = os.environ.get(env_name, "").strip()
        return value or None

    def environment_problems(self) -> list[str]:
        """What is wrong with the settings the environment gives (each names its variable)."""
        problems = []
        database = self.secret(self.storage.url_env)
        if database is not None and not _url_ok(database, ("postgresql", "postgres")):
            problems.append(f"{self.storage.url_env} is not a PostgreSQL URL (postgresql://user@host:port/database)")
        elif database is None and self.storage.backend == "postgres":
            problems.append(f"{self.storage.url_env} is not set ([storage] backend is postgres)")
        redis = self.secret(self.bus.url_env)
        if redis is not None and not _url_ok(redis, ("redis", "rediss", "unix")):
            problems.append(f"{self.bus.url_env} is not a Redis URL (redis://host:port/db)")
        elif redis is None and self.bus.backend == "redis":
            problems.append(f"{self.bus.url_env} is not set ([bus] backend is redis)")
        return problems


class ConfigError(ValueError):
    pass


def _url_ok(url: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in schemes and (bool(parts.hostname) or parts.scheme == "unix" or bool(parts.path))


def load_config(path: str | Path | None = None) -> Config:
    """Read the TOML file (the shipped `config.toml` by default; SUPPORTBOT_CONFIG overrides)."""
    chosen = Path(path or os.environ.get("SUPPORTBOT_CONFIG") or DEFAULT_PATH)
    if not chosen.exists():
        if path is None and "SUPPORTBOT_CONFIG" not in os.environ:
            return Config()
        raise ConfigError(f"{chosen}: no such configuration file")
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{chosen}: {problems}") from exc
