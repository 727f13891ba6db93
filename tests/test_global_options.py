"""--config, --log-level and --log-json work before or after the subcommand, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def monitor(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # no MONITOR_* variables: the config must come from --config alone
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere.toml"
    (tmp_path / "seeds").mkdir()
    path.write_text(
        f'[storage]\ndatabase = "{tmp_path / "m.db"}"\n\n[pipeline]\nseeds_dir = "{tmp_path / "seeds"}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ("--config", "{config}", "config"),
        ("config", "--config", "{config}"),
        ("--log-level", "DEBUG", "config", "--config", "{config}"),
        ("--config", "{config}", "config", "--log-level", "WARNING", "--log-json"),
    ],
)
def test_config_is_found_on_either_side_of_the_command(config: Path, argv: tuple[str, ...]) -> None:
    # cwd has no config/monitor.toml: the command only works if --config reached it
    result = monitor(*(a.format(config=config) for a in argv), cwd=config.parent)
    assert result.returncode == 0, result.stderr
    assert str(config.parent / "m.db") in result.stdout  # the database named in that file, not a default


def test_status_before_and_after(config: Path) -> None:
    before = monitor("--config", str(config), "status", cwd=config.parent)
    after = monitor("status", "--config", str(config), cwd=config.parent)
    assert before.returncode == after.returncode == 1  # no database yet, said the same way both times
    assert before.stdout == after.stdout and str(config.parent / "m.db") in before.stdout


def test_the_option_nearest_the_command_wins(config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = monitor("--config", str(missing), "feeds", "--config", str(config), "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr and json.loads(result.stdout) == []
    wrong = monitor("--config", str(config), "feeds", "list", "--config", str(missing), cwd=tmp_path)
    assert wrong.returncode != 0 and "missing.toml" in wrong.stderr


def test_log_json_after_the_command_switches_the_log_format(config: Path) -> None:
    # a feed on a refused (loopback) address makes `once` log a warning without any network traffic
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[[feeds]]\nurl = "http://127.0.0.1:9/rss.xml"\nname = "local"\n',
        encoding="utf-8",
    )
    result = monitor("once", "--config", str(config), "--log-json", cwd=config.parent)
    assert result.returncode == 1, result.stderr  # every feed failed
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
    assert any("127.0.0.1" in json.loads(line)["message"] for line in lines)
