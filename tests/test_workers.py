"""`supportbot serve --workers N`: what it refuses before starting anything (the workers themselves run
in tests/scale: an instance of two workers through redelivery, per-chat order and a crash)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supportbot.cli import main
from supportbot.server import worker_count

pytestmark = pytest.mark.storage_free  # nothing is opened: runs once, on the embedded half


def test_workers_auto_is_the_cores_this_process_may_use() -> None:
    assert worker_count("auto") == len(os.sched_getaffinity(0))
    assert worker_count("3") == 3
    for bad in ("0", "-1", "x", "2.5", "257"):
        with pytest.raises(ValueError):
            worker_count(bad)


def test_several_workers_without_the_redis_bus_are_refused_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bus]\nbackend = "local"\n', encoding="utf-8")
    assert main(["--config", str(config), "serve", "--workers", "2", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "--workers needs the Redis bus" in err
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def test_a_bad_worker_count_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "many", "--db", str(tmp_path / "x.db")]) == 2
    assert "--workers takes a number from 1 to 256 or 'auto'" in capsys.readouterr().err
