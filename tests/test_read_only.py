"""Read commands open the database read-only: they work for a user who may read the database but not
write it or its folder, and write nothing. Run as `nobody` when the tests run as root (root bypasses file
permissions, so a read-only file alone would prove nothing)."""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.errors import MonitorError
from monitor.store.database import Store
from tests.test_ops import populate

ROOT = Path(__file__).parent.parent
NOBODY = 65534

# Imports everything the commands need while still root (the interpreter's own files may be in root's
# home), then drops to nobody and runs the CLI.
AS_NOBODY = f"""
import os, sys
import monitor.cli.main as cli
cli.build_parser()
import monitor.runtime.app, monitor.settings.config, monitor.store.database, monitor.store.maintenance
import monitor.store.search, monitor.deliver.alert_feeds, monitor.parse.feed_lookup
if os.geteuid() == 0:
    os.setgid({NOBODY}); os.setuid({NOBODY})
sys.exit(cli.main(sys.argv[1:]))
"""


def run_reader(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", AS_NOBODY, *args], capture_output=True, text=True, timeout=120,
                          cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture
def readable_only() -> Iterator[Path]:
    """A populated database in a folder the reader may enter and read but not write."""
    folder = Path(tempfile.mkdtemp(prefix="monitor-ro-"))
    try:
        populate(folder / "m.db")
        (folder / "monitor.toml").write_text(
            f'[storage]\ndatabase = "{folder / "m.db"}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n'
            '[[feeds]]\nurl = "https://example.com/rss.xml"\n'
            '[[alerts.channels]]\nname = "hook"\ntype = "webhook"\nurl = "https://example.com/h"\n'
            'secret_env = "MONITOR_TEST_UNSET_SECRET"\n',
            encoding="utf-8",
        )
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        if os.geteuid() != 0:
            probe = folder / "probe"
            with pytest.raises(PermissionError):
                probe.write_text("x")
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("command", [
    ["status"], ["search", "الناتو"], ["feeds", "list"], ["corpus", "list"], ["db", "check"],
    ["export-alerts", "nato_iraq"],
])
def test_read_commands_work_on_a_database_the_user_cannot_write(readable_only: Path, command: list[str]) -> None:
    before = snapshot(readable_only)
    done = run_reader(*command, "--config", str(readable_only / "monitor.toml"))
    assert done.returncode == 0, done.stderr
    assert "readonly" not in done.stderr and "unable to open" not in done.stderr
    assert snapshot(readable_only) == before  # nothing written, no -wal/-shm left behind
    if command[0] == "export-alerts":
        assert done.stdout.count("<entry>") == 2
    if command[0] == "status":
        assert "articles=4" in done.stdout


def test_a_write_command_there_says_it_is_a_permission_problem(readable_only: Path) -> None:
    # the webhook's secret is set: a command that sends needs it (the read commands above did not)
    done = run_reader("once", "--config", str(readable_only / "monitor.toml"),
                      env={"MONITOR_TEST_UNSET_SECRET": "whsec_" + "A" * 32})
    reader = "nobody" if os.geteuid() == 0 else getpass.getuser()
    assert done.returncode == 1
    expected = f"attempt to write a readonly database (permission problem: {reader} can read but not write"
    assert expected in done.stderr, done.stderr


def test_unable_to_open_says_when_it_is_not_a_permission_problem(tmp_path: Path) -> None:
    (tmp_path / "m.db").mkdir()  # a folder where the file should be
    with pytest.raises(MonitorError, match=r"unable to open database file \(not a permission problem"):
        Store(tmp_path / "m.db")


def test_a_read_only_store_refuses_a_database_it_would_have_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Store(path).close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(MonitorError, match="schema version 1"):
        Store(path, read_only=True)
    assert stat.S_IMODE(path.stat().st_mode)  # the file is still there, untouched by the refusal
