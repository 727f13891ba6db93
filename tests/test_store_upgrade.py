"""A database written by the code before the one migration chain (tests/fixtures/legacy_store/v2.db.gz:
schema version 2, outbox and near-copy tables made outside the chain, "+00:00" times in the store
tables) opens, upgrades in place, loses nothing and works."""

from __future__ import annotations

import gzip
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.store import outbox
from monitor.store.connection import open_outbox
from monitor.store.database import Store
from monitor.store.migrations import LATEST_VERSION
from monitor.store.search import parse_query
from monitor.store.times import parse_time

FIXTURE = Path(__file__).parent / "fixtures" / "legacy_store" / "v2.db.gz"
ONE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
STORE_TIMES = {
    "feeds": ("created_at", "next_poll_at", "last_polled_at", "last_success_at"),
    "articles": ("published", "seen_at"),
    "decisions": ("decided_at",),
}


def tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE 'articles_fts%' ORDER BY name")]


def order(conn: sqlite3.Connection, table: str) -> str:
    """rowid, or the primary key of a WITHOUT ROWID table."""
    key = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({table})"), key=lambda r: r[5]) if r[5]]
    without_rowid = "WITHOUT ROWID" in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0].upper()
    return ", ".join(key) if without_rowid else "rowid"


def snapshot(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every row of every table (the FTS shadow tables aside), in rowid order."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {
            t: [dict(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY {order(conn, t)}")] for t in tables(conn)
        }
    finally:
        conn.close()


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return path


ADDED_COLUMNS = {"alerts": {"basis": "full", "status": "final", "settled_at": None, "settled_reason": ""}}


def test_the_fixture_is_what_the_old_code_wrote(legacy: Path) -> None:
    conn = sqlite3.connect(legacy)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT seen_at FROM articles LIMIT 1").fetchone()[0].endswith("+00:00")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "feeds", "articles", "decisions", "alerts", "alert_also_published", "deliveries", "delivery_attempts",
        "feed_warnings", "feed_warning_deliveries", "feed_warning_attempts", "corpus_docs", "search_docs")}
    conn.close()
    assert all(counts.values()), counts  # every kind of row is there to survive the upgrade


def test_every_row_survives_the_upgrade_with_times_in_the_one_format(legacy: Path) -> None:
    before = snapshot(legacy)
    store = Store(legacy)
    assert store.schema_version == LATEST_VERSION
    store.close()
    after = snapshot(legacy)
    # migration 5 moved the feed warnings' deliveries and attempts into the shared tables
    moved = {"deliveries": "feed_warning_deliveries", "delivery_attempts": "feed_warning_attempts"}
    assert set(after) >= set(before) - set(moved.values())
    for shared, warnings in moved.items():
        merged = before.pop(shared) + before.pop(warnings)
        assert len(after[shared]) == len(merged)
        columns = ("id", "channel", "state", "attempts", "next_attempt_at", "last_error") if shared == "deliveries" \
            else ("delivery_id", "message_id", "attempt", "started_at", "finished_at", "result", "error")
        assert sorted(tuple(r[c] for c in columns) for r in after.pop(shared)) == sorted(
            tuple(r[c] for c in columns) for r in merged)
    for table, rows in before.items():
        assert len(after[table]) == len(rows), table
        times = STORE_TIMES.get(table, ())
        for old, new in zip(rows, after[table], strict=True):
            assert {k: v for k, v in new.items() if k not in times and k in old} == {
                k: v for k, v in old.items() if k not in times}
            # columns later migrations added take their defaults: an old alert was decided on all its text
            assert {k: v for k, v in new.items() if k not in old} == ADDED_COLUMNS.get(table, {})
            for column in times:
                if old[column] is None:
                    assert new[column] is None
                    continue
                assert ONE_FORMAT.match(str(new[column])), (table, column, new[column])
                assert parse_time(str(new[column])) == parse_time(str(old[column]))


def test_the_upgraded_store_works(legacy: Path) -> None:
    old = sqlite3.connect(legacy)
    pending = {r[0] for r in old.execute("SELECT id FROM deliveries WHERE state = 'pending'")}
    pending_warnings = {r[0] for r in old.execute("SELECT id FROM feed_warning_deliveries WHERE state = 'pending'")}
    corpus_id, corpus_text = old.execute(
        "SELECT a.id, a.text FROM articles a JOIN corpus_docs c ON c.doc_id = a.id ORDER BY a.id LIMIT 1").fetchone()
    alerted_id, alerted_title = old.execute(
        "SELECT a.id, a.title FROM alerts al JOIN articles a ON a.id = al.article_id LIMIT 1").fetchone()
    enabled = old.execute("SELECT count(*) FROM feeds WHERE enabled = 1").fetchone()[0]
    old.close()
    assert pending and pending_warnings

    store = Store(legacy)
    try:
        # search finds the alerted article by its title
        assert alerted_id in {h.article_id for h in store.search(parse_query(alerted_title))}
        # the near-copy index still recognises a corpus article
        assert store.corpus_index.check(corpus_text).duplicate_of == corpus_id
        # the rewritten times still compare as times: every enabled feed is due in a year
        assert len(store.due_feeds(datetime(2027, 11, 23, tzinfo=UTC))) == enabled
        assert store.due_feeds(datetime(2020, 1, 1, tzinfo=UTC)) == []
        assert store.delivery_states()["pending"] == len(pending)
    finally:
        store.close()
    conn = open_outbox(legacy)
    try:
        rows = outbox.pending_rows(conn)
        assert {r.id for r in rows if r.kind == outbox.ALERT} == pending
        assert {r.id for r in rows if r.kind == outbox.FEED_WARNING} == pending_warnings
        items = outbox.load_items(conn, [r.payload_id for r in rows if r.kind == outbox.ALERT])
        assert all(item.alert.title for item in items.values()) and items
    finally:
        conn.close()


def test_opening_an_upgraded_database_again_changes_nothing(legacy: Path) -> None:
    Store(legacy).close()
    once = snapshot(legacy)
    Store(legacy).close()
    assert snapshot(legacy) == once
