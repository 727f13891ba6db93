"""Progress of long commands: a bar with total and ETA on a terminal (a real pty), plain lines otherwise,
and what was done when the user presses Ctrl-C."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.store.database import Store
from tests.config_files import write_config
from tests.test_db_cli import TEXT, add

ROOT = Path(__file__).parent.parent


def articles(path: Path, count: int) -> Path:
    lines = (json.dumps({"text": f"مقال رقم {i} " + " ".join(f"كلمة{i}_{j}" for j in range(40))},
                        ensure_ascii=False) for i in range(count))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_on_terminal(args: list[str], *, interrupt_when: str | None = None) -> tuple[int, str]:
    """Run `monitor ARGS` with stderr on a pseudo-terminal; SIGINT once the regex `interrupt_when` matches it."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal has a size
    process = subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    interrupted = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if interrupt_when and not interrupted and re.search(interrupt_when.encode(), seen):
            process.send_signal(signal.SIGINT)
            interrupted = True
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(timeout=30), seen.decode("utf-8", "replace")


def test_corpus_import_shows_a_bar_with_total_and_eta_on_a_terminal(tmp_path: Path) -> None:
    config, _ = write_config(tmp_path, fetch_pages=False)
    inputs = articles(tmp_path / "many.jsonl", 1200)
    status, screen = run_on_terminal(["corpus", "import", "--config", str(config), str(inputs)])
    assert status == 0, screen
    assert "corpus import" in screen and "1200/1200" in screen  # done of total
    assert "<" in screen and "articles/s" in screen  # tqdm's [elapsed<remaining, rate]
    assert "imported 1200 articles into the corpus" in screen
    assert "corpus import: 500 read" not in screen  # no plain progress lines on a terminal


def test_ctrl_c_during_an_import_says_what_was_committed(tmp_path: Path) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    inputs = articles(tmp_path / "many.jsonl", 30000)
    status, screen = run_on_terminal(["corpus", "import", "--config", str(config), str(inputs)],
                                     interrupt_when=r"\b[2-9][0-9]{3}/30000")  # 2000 done or more
    assert status == 130, screen
    line = next(line for line in screen.splitlines() if "corpus import interrupted" in line)
    added = int(line.split("interrupted: ")[1].split()[0])
    assert 0 < added < 30000
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == added


def test_eval_prints_plain_progress_lines_when_not_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = write_config(tmp_path, fetch_pages=False)
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(json.dumps({"id": f"r{i}", "text": f"نص {i}", "labels": {"nato_iraq": False}})
                                + "\n" for i in range(1100)), encoding="utf-8")
    main(["eval", "--config", str(config), str(labelled)])
    err = capsys.readouterr().err
    assert "eval: 500 of 1100 records" in err and "eval: 1000 of 1100 records" in err


def test_db_prune_shows_a_bar_on_a_terminal(tmp_path: Path) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    store = Store(database)
    for i in range(5):
        add(store, f"old{i}", f"{TEXT} {i}", seen=datetime.now(UTC) - timedelta(days=40))
    store.close()
    status, screen = run_on_terminal(["db", "prune", "--config", str(config), "--older-than-days", "30"])
    assert status == 0, screen
    assert "db prune" in screen and "5/5" in screen
    assert "cleared the text of 5 articles" in screen
