"""Configuration: `config.toml` (documented defaults) plus secrets from the environment."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    secret_env: str = "SUPPORTBOT_WEB_SECRET"  # noqa: S105 - the variable's name, not a secret
    admin_password_env: str = "SUPPORTBOT_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"  # uvloop where installed (not on Windows)
    switch_interval_ms: float = Field(1.0, gt=0, le=100)  # how soon the database thread gets the GIL back
    password_time_cost: int = Field(3, ge=1, le=20)  # argon2id for console passwords (argon2-cffi's defaults)
    password_memory_kib: int = Field(65536, ge=64, le=4_194_304)
    password_parallelism: int = Field(4, ge=1, le=16)

    def password_hasher(self) -> Any:
        """argon2 with this cost (hashes made with another cost still verify: it is in the hash)."""
        from argon2 import PasswordHasher

        return PasswordHasher(time_cost=self.password_time_cost, memory_cost=self.password_memory_kib,
                              parallelism=self.password_parallelism)


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
    channels: ChannelsConfig = ChannelsConfig()

    def secret(self, env_name: str) -> str | None:
        value = os.environ.get(env_name, "").strip()
        return value or None


class ConfigError(ValueError):
    pass


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
