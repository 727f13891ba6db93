"""Helpers for the benchmarks that run the real daemon (`monitor once` / `monitor run`) as a process.

    daemon_config(...)    a config file: the project's topics, one or more feeds on a local server,
                          per-host spacing lifted (all pages sit on one host), seeds from the checkout
    tree_rss_bytes(pid)   resident memory of a process and its live descendants (the extraction workers)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _common import ROOT, _children


def topics_toml(config: Path = ROOT / "config" / "monitor.toml") -> str:
    """The [topics.*] tables of the project's config, as written (they run up to the [alerts] table)."""
    text = config.read_text(encoding="utf-8")
    start = text.index("\n[topics.")
    end = text.index("\n[alerts]", start)
    return text[start:end] + "\n"


def daemon_config(
    path: Path,
    database: Path,
    feeds: list[tuple[str, str]],
    *,
    seeds_dir: Path = ROOT / "seeds",
    cycle_seconds: int = 30,
    interval_minutes: int | None = None,
    channels: str = "",
    topics_from: Path = ROOT / "config" / "monitor.toml",
    desk: bool = True,
) -> Path:
    """Write a config for the daemon against a server on 127.0.0.1 and return its path. The ops endpoint
    and the desk listen on any free port (the machine may run other daemons)."""
    interval = f"interval_minutes = {interval_minutes}\n" if interval_minutes is not None else ""
    feed_tables = "".join(f'\n[[feeds]]\nname = "{name}"\nurl = "{url}"\n{interval}' for name, url in feeds)
    min_interval = min(5, interval_minutes or 5)
    path.write_text(
        f"""[storage]
database = "{database}"

[pipeline]
seeds_dir = "{seeds_dir}"
fetch_pages = true
max_entries_per_poll = 5000
cycle_seconds = {cycle_seconds}

[http]
allow_private_addresses = true
per_host_concurrency = 64
per_host_min_interval = 0

[schedule]
min_interval_minutes = {min_interval}

[ops]
port = 0

{"[desk]" + chr(10) + "port = 0" + chr(10) if desk else ""}{topics_toml(topics_from)}
[alerts]
{channels}
{feed_tables}""",
        encoding="utf-8",
    )
    return path


def tree_rss_bytes(pid: int) -> dict[int, int]:
    """pid -> resident bytes for a process and its live descendants."""
    found: dict[int, int] = {}
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in found:
            continue
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                rss = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
        found[p] = rss
        stack.extend(_children(p))
    return found


def monitor_command(checkout: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run `python -m monitor` from `checkout`'s code."""
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONDONTWRITEBYTECODE="1")
    return [sys.executable, "-m", "monitor"], env
