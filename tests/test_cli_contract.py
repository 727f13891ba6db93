"""What the README promises of the CLI, through the real CLI: prune's default, eval on unlabelled input,
`$MONITOR_CONFIG` in every help, and `--log-json` lines a log shipper can use."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.cli.main import build_parser, main
from monitor.models import Decision, ExtractedText, NearCopy
from monitor.store.database import Store
from tests.config_files import write_config

ROOT = Path(__file__).parent.parent


def add_unmatched(store: Store, article_id: str, seen: datetime) -> None:
    with store.transaction() as db:
        store.insert_article(db, article_id=article_id, canonical_url=f"https://n.test/{article_id}",
                             url=f"https://n.test/{article_id}", feed_url=None, guid=None, source="Feed",
                             extracted=ExtractedText("عنوان", "نص الخبر " * 40, "ar", "page"), summary="",
                             published=None, seen_at=seen)
        store.insert_decision(db, Decision(article_id, NearCopy(None, 0.0), ()), seen)


def texts(database: Path) -> dict[str, str]:
    store = Store(database)
    try:
        return {r["id"]: r["text"] for r in store.db.query("SELECT id, text FROM articles")}
    finally:
        store.close()


def test_db_prune_uses_the_configured_retention_and_refuses_negative_days(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, fetch_pages=False, ops={"retention_days": 30})
    now = datetime.now(UTC)
    store = Store(database)
    add_unmatched(store, "old", now - timedelta(days=40))
    add_unmatched(store, "recent", now - timedelta(days=10))
    store.close()

    assert main(["db", "prune", "--config", str(config), "--older-than-days", "-5"]) == 1
    assert "must be 0 or more" in capsys.readouterr().err
    assert all(texts(database).values())

    assert main(["db", "prune", "--config", str(config)]) == 0
    assert "older than 30 days" in capsys.readouterr().out
    stored = texts(database)
    assert not stored["old"] and stored["recent"]


def test_db_prune_without_days_or_retention_says_what_to_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    store = Store(database)
    add_unmatched(store, "old", datetime.now(UTC) - timedelta(days=400))
    store.close()
    assert main(["db", "prune", "--config", str(config)]) == 1
    assert "retention_days is 0" in capsys.readouterr().err
    assert texts(database)["old"]


def test_eval_on_an_unlabelled_file_says_so_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ROOT / "config" / "monitor.toml"  # its topics are the ones the labelled set names
    unlabelled = tmp_path / "articles.jsonl"
    sample = ROOT / "tests/fixtures/corpus/ant_sample.jsonl"
    lines = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines()]
    unlabelled.write_text("\n".join(json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]},
                                               ensure_ascii=False) for r in lines), encoding="utf-8")
    assert main(["eval", "--config", str(config), str(unlabelled)]) == 1
    captured = capsys.readouterr()
    assert "nothing to measure" in captured.err and "3 of 3 records are articles without" in captured.err
    assert captured.out == ""

    labelled = ROOT / "tests/fixtures/quality/topics_ant.jsonl"
    assert main(["eval", "--config", str(config), str(labelled)]) == 0
    assert "precision" in capsys.readouterr().out


def parsers(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from parsers(sub, f"{name} {sub_name}")


def test_every_help_names_the_config_variable() -> None:
    seen = dict(parsers(build_parser(), "monitor"))
    assert {"monitor alerts", "monitor alerts test", "monitor db prune", "monitor corpus"} <= set(seen)
    assert [name for name, parser in seen.items() if "$MONITOR_CONFIG" not in parser.format_help()] == []


class Gone(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rss.xml"
    server.shutdown()
    server.server_close()


def test_log_json_has_iso_times_with_zone_and_the_feed_as_a_field(tmp_path: Path, feed_url: str) -> None:
    config, _ = write_config(tmp_path, fetch_pages=False, http={"allow_private_addresses": True},
                             feeds=[{"name": "Gone", "url": feed_url}])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    result = subprocess.run([sys.executable, "-m", "monitor", "--log-json", "--config", str(config), "once"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records, result.stderr
    for record in records:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"]), record
        assert datetime.fromisoformat(record["time"]).tzinfo is not None
    about_feed = [r for r in records if r.get("feed") == feed_url]
    assert about_feed and all(feed_url in r["message"] for r in about_feed)
