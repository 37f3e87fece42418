"""config.toml documents the defaults; wrong settings stop the start with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportbot.config import Config, ConfigError, load_config

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_is_exactly_the_defaults() -> None:
    assert load_config(ROOT / "config.toml") == Config()


def _sections(data: dict, prefix: str = "") -> list[tuple[str, list[str]]]:
    out = []
    keys = [k for k, v in data.items() if not isinstance(v, dict)]
    if keys:
        out.append((prefix, keys))
    for key, value in data.items():
        if isinstance(value, dict):
            out += _sections(value, f"{prefix}.{key}" if prefix else key)
    return out


def test_every_setting_is_in_the_shipped_file() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section, keys in _sections(Config().model_dump()):
        assert f"[{section}]" in text, section
        block = text.split(f"[{section}]", 1)[1].split("\n[", 1)[0]
        for key in keys:
            assert f"\n{key} = " in block, f"{section}.{key} is not documented in config.toml"


@pytest.mark.parametrize(("content", "fragment"), [
    ("[understanding]\nthreshold = 3\n", "understanding.threshold"),
    ("[web]\nport = 'eighty'\n", "web.port"),
    ("[web]\nevent_loop = 'tokio'\n", "web.event_loop"),
    ("[web]\nswitch_interval_ms = 0\n", "web.switch_interval_ms"),
    ("[nonsense]\nx = 1\n", "nonsense"),
    ("[storage]\nheartbeat_seconds = 5\ndead_after_seconds = 6\n", "twice heartbeat_seconds"),
    ("[channels.vk]\nflood_wait_seconds = 0\n", "flood_wait_seconds"),
    ("[storage\n", "not valid TOML"),
])
def test_wrong_config_is_reported(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert fragment in str(err.value)


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path / "absent.toml")


def test_the_server_runs_on_the_configured_event_loop() -> None:
    import asyncio

    import uvloop

    from supportbot.server import new_event_loop

    fast, plain = new_event_loop("uvloop"), new_event_loop("asyncio")
    try:
        assert isinstance(fast, uvloop.Loop)
        assert not isinstance(plain, uvloop.Loop) and isinstance(plain, asyncio.AbstractEventLoop)
    finally:
        fast.close()
        plain.close()
