"""`monitor db copy`: a real SQLite file copied into the real PostgreSQL server and back, counts equal,
search and pending deliveries as they were, and an interrupted copy finished by running it again."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import desk_data
import psycopg
import pytest
from postgres_db import pg_url  # noqa: F401  (the fixture)

from monitor.cli.main import main
from monitor.models import ExtractedText
from monitor.store import copy, desk, outbox, search
from monitor.store.articles import NewArticle
from monitor.store.database import Store
from monitor.store.opening import open_store

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "tests" / "fixtures" / "stories" / "ant_2018-05-07_20.jsonl"
COPIED = [t.name for t in copy.TABLES]


def _url(conninfo: str) -> str:
    """The postgresql:// URL a user would type for the fixture's database."""
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    return f"postgresql://{info.get('user', 'postgres')}@{info['host']}:{info.get('port', 5432)}/{info['dbname']}"


def _build(path: Path, corpus: int = 40) -> desk_data.Ids:
    """Feeds, articles, decisions, alerts, deliveries (pending, failed and delivered), corpus articles with
    their near-copy index and stories, and the desk's feedback and read marks."""
    ids = desk_data.build(path)
    rows = [json.loads(line) for line in STORIES.open(encoding="utf-8")][:corpus]
    store = Store(path)
    try:
        for r in rows:
            seen = desk_data.NOW - timedelta(days=2)
            store.record_corpus_article(NewArticle(
                article_id=r["id"], canonical_url=r["url"] + "#" + r["id"], url=r["url"], feed_url=None,
                guid=r["id"], source=r["source"], extracted=ExtractedText(r["title"], r["text"], "ar", "page"),
                summary="", published=seen, seen_at=seen, is_seed=True, in_corpus=True))
        with store.transaction() as db:
            pending = outbox.pending_rows(db.conn)
            hostile = [r for r in pending if r.id != ids.failed_delivery][:1]
            attempt = outbox.AttemptRecord("msg-2", desk_data.NOW, desk_data.NOW, "delivered", 200, None)
            reserved = outbox.reserve_attempts(db.conn, hostile, attempt.message_id, desk_data.NOW)
            outbox.finish_attempts(db.conn, hostile, reserved, attempt, new_status=outbox.DELIVERED)
            desk.record_feedback(db.conn, ids.nato, "nato_iraq", "huda", True, "alert", desk_data.NOW)
            desk.record_feedback(db.conn, ids.other, "nato_iraq", "sami", False, "missed", desk_data.NOW)
            desk.mark_read(db.conn, "huda", [ids.nato_alert], desk_data.NOW)
        # a pending alert delivery, as it waits for its channel
        with store.transaction() as db:
            stored_alerts = [r[0] for r in db.conn.execute("SELECT id FROM alerts")]
            for alert_id in stored_alerts:
                db.conn.execute(
                    "INSERT OR IGNORE INTO deliveries (id, kind, alert_id, channel, state, attempts, next_attempt_at,"
                    " created_at, updated_at) VALUES (?, 'alert', ?, 'desk-pending', 'pending', 0, ?, ?, ?)",
                    [f"{alert_id}:desk-pending", alert_id, "2026-11-23T09:00:00.000000Z",
                     "2026-11-23T09:00:00.000000Z", "2026-11-23T09:00:00.000000Z"])
    finally:
        store.close()
    return ids


def _sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in COPIED if t in present}


def _pg_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # type: ignore[index]
                for t in COPIED}


def _states(store: Store) -> dict[str, int]:
    return store.delivery_states()


def _found(store: Store, text: str) -> list[str]:
    return sorted(h.article_id for h in store.search(search.parse_query(text), search.Filters(limit=100)))


def test_sqlite_to_postgresql_and_back(tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    src, back = tmp_path / "src.db", tmp_path / "back.db"
    _build(src)
    counts = _sqlite_counts(src)
    assert counts["articles"] > 40 and counts["corpus_fingerprints"] > 1000 and counts["story_members"] >= 40
    assert counts["desk_feedback"] == 2 and counts["desk_reads"] == 1
    url = _url(pg_url)

    assert main(["db", "copy", str(src), url]) == 0
    assert "row counts equal" in capsys.readouterr().out
    assert _pg_counts(url) == counts
    source, copied = open_store(src), open_store(Path(), url)
    try:
        assert _states(copied) == _states(source) and _states(source)["pending"] >= 2
        assert _states(source)["delivered"] == 1 and _states(source)["failed"] == 1
        for query in ("الناتو", "العراق", "حزب الله"):
            assert _found(copied, query) == _found(source, query) != []
        assert copied.indexed_count() == source.indexed_count() == counts["articles"]
        assert copied.counts() == source.counts()
        assert copied.stories(limit=500) == source.stories(limit=500)
    finally:
        source.close()
        copied.close()

    assert main(["db", "copy", url, str(back), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert _sqlite_counts(back) == counts
    with sqlite3.connect(back) as a, sqlite3.connect(src) as b:
        for table, order in (("deliveries", "id"), ("desk_feedback", "article_id, topic, user"),
                             ("corpus_docs", "seq"), ("articles", "id")):
            assert a.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall() == \
                   b.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    again = open_store(back)
    try:
        assert _found(again, "الناتو") != [] and again.indexed_count() == counts["articles"]
    finally:
        again.close()


def test_an_interrupted_copy_is_finished_by_running_it_again(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    src = tmp_path / "src.db"
    _build(src, corpus=20)
    counts = _sqlite_counts(src)
    url = _url(pg_url)
    monkeypatch.setattr(copy, "BATCH_ROWS", 50)
    batches = 0

    def stop_after_some(table: str, done: int, total: int) -> None:
        nonlocal batches
        batches += done > 0
        if batches == 12:
            raise KeyboardInterrupt  # as Ctrl-C would, between two batches

    with pytest.raises(KeyboardInterrupt):
        copy.copy_database(str(src), url, on_progress=stop_after_some)
    partial = _pg_counts(url)
    assert 0 < sum(partial.values()) < sum(counts.values())

    report = copy.copy_database(str(src), url)
    assert report.mismatched == [] and _pg_counts(url) == counts
    assert sum(t.written for t in report.tables) == sum(counts.values()) - sum(partial.values())
    # a third run finds nothing to do and doubles nothing; a new worker's rows get fresh generated keys
    assert sum(t.written for t in copy.copy_database(str(src), url).tables) == 0
    assert _pg_counts(url) == counts
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT nextval(pg_get_serial_sequence('corpus_docs', 'seq')),"
                           " (SELECT max(seq) FROM corpus_docs)").fetchone()
        assert row is not None and row[0] > row[1]


def test_a_destination_with_another_monitors_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, other = tmp_path / "src.db", tmp_path / "other.db"
    _build(src, corpus=3)
    store = Store(other)
    try:
        store.add_feed("https://elsewhere.example/rss", "elsewhere", desk_data.NOW)
    finally:
        store.close()
    assert main(["db", "copy", str(src), str(other)]) != 0
    assert "another monitor's database" in capsys.readouterr().err
    assert _sqlite_counts(other)["articles"] == 0  # nothing written


def test_a_count_that_differs_fails_the_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dest = tmp_path / "src.db", tmp_path / "dest.db"
    _build(src, corpus=3)
    assert main(["db", "copy", str(src), str(dest), "--quiet"]) == 0
    capsys.readouterr()
    with sqlite3.connect(dest) as conn:  # a row the source does not have, in a table the refusal does not read
        conn.execute("INSERT INTO channel_state VALUES ('extra', 'x', '2026-11-23T09:00:00.000000Z', 'test')")
    assert main(["db", "copy", str(src), str(dest), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "channel_state: 0 rows in the source, 1 in the destination" in err


def test_a_missing_source_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "copy", str(tmp_path / "none.db"), str(tmp_path / "dest.db")]) != 0
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "dest.db").exists()



def test_a_killed_copy_is_finished_by_running_it_again(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """SIGKILL mid-copy (no clean-up runs), then the same command again: counts equal."""
    src = tmp_path / "src.db"
    _build(src, corpus=223)  # every fixture article: tens of batches of postings, far more than a kill takes
    counts = _sqlite_counts(src)
    url = _url(pg_url)
    # off a terminal the bar prints a line each 500 rows, after their batch committed: kill on the first
    # line of the near-copy postings (thousands of rows), so part of that table is in and part is not
    command = [sys.executable, "-m", "monitor", "db", "copy", str(src), url]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("db copy corpus_fingerprints: 500"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    partial = _pg_counts(url)
    assert 500 <= partial["corpus_fingerprints"] < counts["corpus_fingerprints"]
    assert partial["articles"] == counts["articles"]

    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "row counts equal" in done.stdout and _pg_counts(url) == counts
