"""`monitor feeds ...` against a real SQLite file and a real local HTTP server; discovery and OPML."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest

from monitor.cli.feeds import register
from monitor.errors import MonitorError
from monitor.parse.discovery import discover_feed_links
from monitor.parse.opml import OpmlError, OpmlFeed, parse_opml, render_opml
from tests.config_files import LOOPBACK_HTTP, write_config
from tests.fault_server import FaultServer

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
ARABIC = (FIXTURES / "arabic_ant_sample.utf8.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml"}
HOME = b"""<!DOCTYPE html><html><head><title>home</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/ar/rss.xml">
</head><body>hello</body></html>"""


HTTP = {**LOOPBACK_HTTP, "connect_timeout": 1, "read_timeout": 1, "total_timeout": 3}
CONFIG_FEED = {"url": "https://cfg.example/rss", "name": "cfg"}


def run(argv: list[str]) -> int:
    """The feeds command group as the CLI wires it: register(subparsers), then args.func(args)."""
    parser = argparse.ArgumentParser(prog="monitor")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except MonitorError as exc:
        print(f"monitor: {exc}")
        return 1
    return code


def rows(tmp_path: Path) -> dict[str, tuple[str, int, str]]:
    with sqlite3.connect(tmp_path / "m.db") as db:
        return {u: (n, e, o) for u, n, e, o in db.execute("SELECT url, name, enabled, origin FROM feeds")}


def test_add_a_feed_url_uses_its_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    with FaultServer({"/rss.xml": (200, RSS, ARABIC)}) as srv:
        assert run(["feeds", "add", srv.url("/rss.xml"), "--config", str(config)]) == 0
        assert run(["feeds", "add", srv.url("/rss.xml"), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "feed ok: 6 entries" in out and "already monitored" in out
    assert rows(tmp_path) == {srv.url("/rss.xml"): ("أخبار الناتو والعراق", 1, "cli")}


def test_add_a_home_page_discovers_the_advertised_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    routes = {"/": (200, {"Content-Type": "text/html"}, HOME), "/ar/rss.xml": (200, RSS, ARABIC)}
    with FaultServer(routes) as srv:
        code = run(["feeds", "add", srv.url("/"), "--name", "الموقع", "--config", str(config)])
    assert code == 0
    assert rows(tmp_path) == {srv.url("/ar/rss.xml"): ("الموقع", 1, "cli")}
    assert f"discovered {srv.url('/ar/rss.xml')}" in capsys.readouterr().out
    # the RSS link was preferred over the Atom one that came first on the page, which was never fetched
    assert [r.path for r in srv.requests] == ["/", "/ar/rss.xml"]


def test_add_falls_back_to_the_next_advertised_feed(tmp_path: Path) -> None:
    config = write_config(tmp_path, http=HTTP).config
    routes = {"/": (200, {"Content-Type": "text/html"}, HOME), "/atom.xml": (200, RSS, ARABIC)}
    with FaultServer(routes) as srv:  # /ar/rss.xml is a 404
        assert run(["feeds", "add", srv.url("/"), "--config", str(config)]) == 0
    assert list(rows(tmp_path)) == [srv.url("/atom.xml")]


def test_add_a_page_without_feeds_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    page = b"<!DOCTYPE html><html><head><title>x</title></head><body>no feed here</body></html>"
    with FaultServer({"/": (200, {"Content-Type": "text/html"}, page)}) as srv:
        assert run(["feeds", "add", srv.url("/"), "--config", str(config)]) == 1
    assert "advertises none" in capsys.readouterr().out
    assert not (tmp_path / "m.db").exists()  # nothing was written


def test_add_respects_the_ssrf_guard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http={**HTTP, "allow_private_addresses": False}).config
    with FaultServer({"/rss.xml": (200, RSS, ARABIC)}) as srv:
        assert run(["feeds", "add", srv.url("/rss.xml"), "--config", str(config)]) == 1
        assert srv.requests == []
    assert "non-public address" in capsys.readouterr().out


def test_add_rejects_non_http_urls(tmp_path: Path) -> None:
    config = write_config(tmp_path, http=HTTP).config
    assert run(["feeds", "add", "ftp://example.com/feed", "--config", str(config)]) == 1
    assert run(["feeds", "add", "file:///etc/passwd", "--no-verify", "--config", str(config)]) == 1


def test_remove_then_re_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    url = "https://news.example/rss.xml"
    assert run(["feeds", "add", url, "--no-verify", "--config", str(config)]) == 0
    assert run(["feeds", "remove", url, "--config", str(config)]) == 0
    assert rows(tmp_path)[url][1] == 0
    assert run(["feeds", "remove", "https://nope.example/", "--config", str(config)]) == 1
    assert run(["feeds", "add", url, "--no-verify", "--config", str(config)]) == 0
    assert rows(tmp_path)[url] == ("news.example", 1, "cli")
    out = capsys.readouterr()
    assert "removed" in out.out and "re-enabled" in out.out and "no such feed" in out.err


def test_removing_a_config_feed_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP, feeds=[CONFIG_FEED]).config
    assert run(["feeds", "remove", "https://cfg.example/rss", "--config", str(config)]) == 1
    assert "delete it there" in capsys.readouterr().out


def test_list_shows_health(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP, feeds=[CONFIG_FEED]).config
    assert run(["feeds", "add", "https://a.example/rss", "--name", "A", "--no-verify", "--config", str(config)]) == 0
    with sqlite3.connect(tmp_path / "m.db") as db:
        db.execute(
            "UPDATE feeds SET consecutive_failures = 3, last_error = 'HTTP 503 Service Unavailable',"
            " last_polled_at = '2026-11-23T10:00:00+00:00', last_success_at = '2026-11-22T10:00:00+00:00',"
            " items_per_day = 42.5"
        )
    capsys.readouterr()
    assert run(["feeds", "list", "--config", str(config)]) == 0
    table = capsys.readouterr().out
    assert "failing x3" in table and "HTTP 503" in table and "42.5" in table
    assert "https://cfg.example/rss" in table and "new" in table  # config feed not yet synced
    assert run(["feeds", "--config", str(config)]) == 0  # bare `monitor feeds` lists too
    assert "failing x3" in capsys.readouterr().out
    assert run(["feeds", "list", "--json", "--config", str(config)]) == 0
    listed = {r["url"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["https://a.example/rss"]["consecutive_failures"] == 3
    assert listed["https://a.example/rss"]["last_success_at"] == "2026-11-22T10:00:00+00:00"


def test_opml_import_and_export_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    opml = tmp_path / "in.opml"
    opml.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>subs</title></head><body>
  <outline text="عربي" title="عربي">
    <outline type="rss" text="بي بي سي" title="بي بي سي عربي" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/>
    <outline type="rss" text="الجزيرة" xmlUrl="https://www.aljazeera.net/aljazeerarss/a7c186be/rss"/>
  </outline>
  <outline type="rss" text="dup" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/>
  <outline type="rss" text="bad" xmlUrl="javascript:alert(1)"/>
  <outline text="folder without feeds"/>
</body></opml>""",
        encoding="utf-8",
    )
    assert run(["feeds", "import-opml", str(opml), "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "2 added, 0 already present, 1 skipped" in out.out and "javascript" in out.err
    assert rows(tmp_path) == {
        "https://feeds.bbci.co.uk/arabic/rss.xml": ("بي بي سي عربي", 1, "opml"),
        "https://www.aljazeera.net/aljazeerarss/a7c186be/rss": ("الجزيرة", 1, "opml"),
    }
    assert run(["feeds", "import-opml", str(opml), "--config", str(config)]) == 0
    assert "0 added, 2 already present" in capsys.readouterr().out

    exported = tmp_path / "out.opml"
    assert run(["feeds", "export-opml", str(exported), "--config", str(config)]) == 0
    assert set(parse_opml(exported.read_bytes())) == {
        OpmlFeed("https://feeds.bbci.co.uk/arabic/rss.xml", "بي بي سي عربي"),
        OpmlFeed("https://www.aljazeera.net/aljazeerarss/a7c186be/rss", "الجزيرة"),
    }
    capsys.readouterr()
    assert run(["feeds", "export-opml", "--config", str(config)]) == 0  # to stdout
    assert "aljazeera" in capsys.readouterr().out


def test_import_of_a_broken_opml_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, http=HTTP).config
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b"<opml><body><outline")
    assert run(["feeds", "import-opml", str(bad), "--config", str(config)]) == 1
    assert run(["feeds", "import-opml", str(tmp_path / "missing.opml"), "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "not well-formed" in out and "cannot read" in out


# --- pure parts -----------------------------------------------------------------------------------


def test_discovery_resolves_base_and_orders_by_format() -> None:
    html = """<html><head><base href="https://cdn.example/site/">
<LINK REL="Alternate" TYPE="application/atom+xml" HREF="atom">
<link rel="alternate" type="application/rss+xml; charset=utf-8" href="rss.xml" title="الأخبار"/>
<link rel="alternate" type="text/html" hreflang="en" href="/en/">
<link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
</head></html>"""
    links = discover_feed_links(html, "https://www.example/")
    assert [(link.url, link.type, link.title) for link in links] == [
        ("https://cdn.example/site/rss.xml", "application/rss+xml", "الأخبار"),
        ("https://cdn.example/site/atom", "application/atom+xml", ""),
    ]


def test_opml_refuses_entity_declarations_and_non_opml() -> None:
    with pytest.raises(OpmlError, match="entities"):
        parse_opml(b'<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>')
    with pytest.raises(OpmlError, match="root element"):
        parse_opml(b"<rss/>")


def test_render_opml_escapes_and_parses_back() -> None:
    from datetime import UTC, datetime

    feeds = [OpmlFeed("https://x.example/rss?a=1&b=2", 'A "quoted" <name> & co')]
    document = render_opml(feeds, title="t", now=datetime(2026, 11, 23, tzinfo=UTC))
    assert document.startswith(b"<?xml") and b"dateCreated" in document
    assert parse_opml(document) == feeds
