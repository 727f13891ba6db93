"""One owner per feed: the config manages the feeds it lists, the command line the feeds it added.

Through the real CLI on a real SQLite file; `monitor once` is the daemon's start (it applies the config's
feed list) against feeds served on 127.0.0.1.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.config_files import LOOPBACK_HTTP, write_config
from tests.fault_server import FaultServer

ROOT = Path(__file__).parent.parent
ARABIC = (ROOT / "tests" / "fixtures" / "feeds" / "arabic_ant_sample.utf8.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer({f"/{name}.xml": (200, RSS, ARABIC) for name in ("a", "b", "c")}) as srv:
        yield srv


def ownership_config(tmp_path: Path, feeds: dict[str, str], disabled: tuple[str, ...] = ()) -> Path:
    listed = [{"name": name, "url": url, "enabled": name not in disabled} for name, url in feeds.items()]
    return write_config(tmp_path, fetch_pages=False, http=LOOPBACK_HTTP, feeds=listed).config


def feeds(tmp_path: Path) -> dict[str, tuple[int, str]]:
    with sqlite3.connect(tmp_path / "m.db") as db:
        return {url: (enabled, origin) for url, enabled, origin in db.execute("SELECT url, enabled, origin FROM feeds")}


def test_the_config_manages_its_feeds_and_the_cli_its_own(
        tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = server.url("/a.xml"), server.url("/b.xml"), server.url("/c.xml")
    config = ownership_config(tmp_path, {"a": a, "b": b})
    main(["once", "--config", str(config)])
    assert main(["feeds", "add", c, "--no-verify", "--config", str(config)]) == 0
    assert feeds(tmp_path) == {a: (1, "config"), b: (1, "config"), c: (1, "cli")}
    capsys.readouterr()

    # a config feed is removed in the config, not here: refused, nothing changed, and it stays after a restart
    assert main(["feeds", "remove", a, "--config", str(config)]) == 1
    assert "delete it there" in capsys.readouterr().err
    main(["once", "--config", str(config)])
    assert feeds(tmp_path)[a] == (1, "config")

    # taken out of the config, it stops being polled at the next start; the CLI's feed is untouched
    config = ownership_config(tmp_path, {"a": a})
    main(["once", "--config", str(config)])
    assert feeds(tmp_path) == {a: (1, "config"), b: (0, "config"), c: (1, "cli")}
    polled_b = len(server.requests_for("/b.xml"))
    main(["once", "--config", str(config)])
    assert len(server.requests_for("/b.xml")) == polled_b

    # a CLI feed removed stays removed across restarts
    capsys.readouterr()
    assert main(["feeds", "remove", c, "--config", str(config)]) == 0
    main(["once", "--config", str(config)])
    assert feeds(tmp_path)[c] == (0, "cli")

    # `feeds add` and `import-opml` treat a removed feed alike: re-enabled, managed here from now on
    assert main(["feeds", "add", b, "--no-verify", "--config", str(config)]) == 0
    assert "re-enabled" in capsys.readouterr().out
    opml = tmp_path / "subs.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="1.0"><body><outline type="rss" text="c" xmlUrl="{c}"/>'
                    f'<outline type="rss" text="a" xmlUrl="{a}"/></body></opml>', encoding="utf-8")
    assert main(["feeds", "import-opml", str(opml), "--config", str(config)]) == 0
    summary = capsys.readouterr().out
    assert "0 added, 0 already present, 0 skipped, 1 re-enabled (removed before), 1 listed in" in summary
    main(["once", "--config", str(config)])
    assert feeds(tmp_path) == {a: (1, "config"), b: (1, "cli"), c: (1, "opml")}


def test_adding_a_feed_the_config_lists_leaves_it_to_the_config(
        tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = server.url("/a.xml"), server.url("/b.xml")
    config = ownership_config(tmp_path, {"a": a, "b": b}, disabled=("b",))
    main(["once", "--config", str(config)])
    capsys.readouterr()
    assert main(["feeds", "add", a, "--no-verify", "--config", str(config)]) == 0
    assert "which manages it" in capsys.readouterr().out
    assert main(["feeds", "add", b, "--no-verify", "--config", str(config)]) == 1
    assert "enabled = false" in capsys.readouterr().err
    assert feeds(tmp_path) == {a: (1, "config"), b: (0, "config")}
