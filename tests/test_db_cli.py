"""`monitor db check|backup|prune` on real SQLite files: healthy, damaged, locked and live databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from monitor.models import Alert, Decision, ExtractedText, NearCopy, TopicResult
from monitor.store import maintenance, outbox, search
from monitor.store.database import MIGRATIONS, Store

ROOT = Path(__file__).parent.parent
NOW = datetime.now(UTC)
TEXT = "قال مسؤولون في حلف شمال الأطلسي إن مهمة التدريب في العراق ستتوسع خلال العام المقبل."


def write_config(tmp_path: Path) -> tuple[Path, Path]:
    database = tmp_path / "m.db"
    config = tmp_path / "monitor.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n'
                      "fetch_pages = false\n", encoding="utf-8")
    return config, database


def add(store: Store, article_id: str, text: str, *, seen: datetime, topics: tuple[str, ...] = (),
        in_corpus: bool = False, alert: bool = False) -> None:
    with store.transaction() as db:
        store.insert_article(db, article_id=article_id, canonical_url=f"https://n.test/{article_id}",
                             url=f"https://n.test/{article_id}", feed_url=None, guid=None, source="Feed",
                             extracted=ExtractedText(f"عنوان {article_id}", text, "ar", "page"), summary="ملخص",
                             published=None, seen_at=seen, in_corpus=in_corpus)
        store.insert_decision(db, Decision(article_id, NearCopy(None, 0.0),
                                           tuple(TopicResult(t, True, 2.0, 1.0) for t in topics)), seen)
        search.index_article(db, article_id, f"عنوان {article_id}", text)
        if alert:
            outbox.enqueue(db, Alert(alert_id=f"al_{article_id}", article_id=article_id, topic="nato_iraq",
                                     score=2.0, threshold=1.0, evidence=(), title="t", url="u", source="Feed",
                                     published=None, snippet="s", created_at=seen), ["console"])


@pytest.fixture
def populated(tmp_path: Path) -> tuple[Path, Path]:
    config, database = write_config(tmp_path)
    store = Store(database)
    for i in range(30):
        add(store, f"a{i}", TEXT + f" رقم {i}. " + "نص إضافي طويل " * 50, seen=NOW, alert=i % 3 == 0,
            topics=("nato_iraq",) if i % 3 == 0 else ())
    store.close()
    return config, database


def test_check_a_healthy_database(populated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = populated
    assert main(["db", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ok    integrity_check: ok" in out and "foreign_key_check: ok" in out
    assert f"schema: version {len(MIGRATIONS)}" in out and "30 of 30 articles indexed" in out
    assert out.strip().endswith("healthy")
    assert main(["db", "check", "--quick", "--config", str(config)]) == 0
    assert "quick_check: ok" in capsys.readouterr().out


def test_check_names_damaged_rows_and_dangling_references(
        populated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, database = populated
    conn = sqlite3.connect(database)
    conn.execute("UPDATE alerts SET evidence = '[{broken' WHERE id = 'al_a3'")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO decisions (article_id, decided_at, similarity, duplicate_kind, matched_topics,"
                 " topics_json) VALUES ('ghost', 'x', 0, 'none', '', '[]')")
    conn.execute(f"DELETE FROM {search.DOCS_TABLE} WHERE article_id = 'a7'")
    conn.commit()
    conn.close()
    assert main(["db", "check", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  alerts.evidence: not valid JSON in alerts al_a3" in out
    assert "FAIL  foreign_key_check: decisions row" in out and "missing articles" in out
    assert "FAIL  search index: 29 of 30 articles indexed: run `monitor search --rebuild-index`" in out
    assert "3 problem(s)" in out


def test_check_a_corrupted_file_reports_instead_of_crashing(
        populated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, database = populated
    size = database.stat().st_size
    assert size > 20 * 4096
    with database.open("r+b") as handle:  # trash pages in the middle (the header stays readable)
        handle.seek(size // 2)
        handle.write(b"\xa5" * 4096 * 4)
    assert main(["db", "check", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  integrity_check" in out and "problem(s)" in out

    database.write_bytes(b"this is not a database at all" * 200)
    assert main(["db", "check", "--config", str(config)]) == 1
    assert "damaged" in capsys.readouterr().out


def test_check_flags_a_schema_newer_than_the_program(
        populated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, database = populated
    conn = sqlite3.connect(database)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.commit()
    conn.close()
    assert main(["db", "check", "--config", str(config)]) == 1
    assert "newer than this program knows" in capsys.readouterr().out


def test_backup_of_a_live_database_is_complete_and_consistent(
        populated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = populated
    # another process is mid-transaction: its uncommitted row must not be in the copy, and must not block it
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE articles SET title = 'غير محفوظ' WHERE id = 'a1'")
    dest = tmp_path / "backups" / "copy.db"
    dest.parent.mkdir()
    assert main(["db", "backup", "--config", str(config), str(dest)]) == 0
    writer.execute("ROLLBACK")
    writer.close()
    assert "quick_check ok" in capsys.readouterr().out
    assert not list(dest.parent.glob("*.partial"))

    copy = Store(dest)
    original = Store(database)
    for table in ("articles", "decisions", "alerts", "deliveries", "corpus_docs"):
        if table in original.db.table_names():
            assert copy.db[table].count == original.db[table].count, table
    assert copy.db.execute("SELECT title FROM articles WHERE id = 'a1'").fetchone()[0] == "عنوان a1"
    assert len(search.search(copy.db, search.parse_query("حلف الأطلسي"), search.Filters(limit=100))) == 30
    copy.close()
    original.close()

    assert main(["db", "backup", "--config", str(config), str(dest)]) == 1
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["db", "backup", "--config", str(config), "--force", str(dest)]) == 0
    assert main(["db", "backup", "--config", str(config), str(dest.parent)]) == 0  # a folder: time-stamped name
    assert len(list(dest.parent.glob("m-*.db"))) == 1


def test_a_database_locked_by_another_process_is_one_clear_error(
        populated: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config, database = populated
    monkeypatch.setattr(maintenance, "BUSY_TIMEOUT", 0.3)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert main(["db", "backup", "--config", str(config), str(tmp_path / "b.db")]) == 1
        assert "locked by another process" in capsys.readouterr().err
        assert main(["db", "check", "--config", str(config)]) == 1
        assert "locked by another process" in capsys.readouterr().err
        assert time.monotonic() - started < 10
        assert not (tmp_path / "b.db").exists() and not (tmp_path / "b.db.partial").exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_prune_clears_old_unmatched_texts_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path)
    store = Store(database)
    old = NOW - timedelta(days=40)
    add(store, "old_plain", TEXT + " بروكسل", seen=old)
    add(store, "old_match", TEXT + " بروكسل", seen=old, topics=("nato_iraq",), alert=True)
    add(store, "old_corpus", TEXT + " بروكسل", seen=old, in_corpus=True)
    add(store, "new_plain", TEXT + " بروكسل", seen=NOW)
    store.close()

    assert main(["db", "prune", "--config", str(config), "--older-than-days", "30", "--dry-run"]) == 0
    assert "would clear the text of 1 articles" in capsys.readouterr().out
    assert main(["db", "prune", "--config", str(config), "--older-than-days", "30"]) == 0
    assert "cleared the text of 1 articles" in capsys.readouterr().out

    store = Store(database)
    texts = {r["id"]: (r["text"], r["summary"], r["title"]) for r in store.db.query("SELECT * FROM articles")}
    assert texts["old_plain"] == ("", "", "عنوان old_plain")
    assert all(texts[i][0].startswith(TEXT) for i in ("old_match", "old_corpus", "new_plain"))
    assert store.db["decisions"].count == 4  # the decision stays
    hits = {h.article_id for h in search.search(store.db, search.parse_query("بروكسل"))}
    assert hits == {"old_match", "old_corpus", "new_plain"}
    assert [h.article_id for h in search.search(store.db, search.parse_query("old_plain"))] == ["old_plain"]
    store.close()
    assert main(["db", "prune", "--config", str(config), "--older-than-days", "30"]) == 0
    assert "cleared the text of 0 articles" in capsys.readouterr().out


def test_a_backup_stuck_on_a_lock_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # Python's backup() retries a busy source forever; the progress callback is what ends it
    monkeypatch.setattr(maintenance, "BUSY_TIMEOUT", 0.05)
    progress = maintenance._give_up_when_busy()
    progress(sqlite3.SQLITE_OK, 10, 20)
    progress(sqlite3.SQLITE_BUSY, 10, 20)
    time.sleep(0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        progress(sqlite3.SQLITE_LOCKED, 10, 20)


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """An 8 MB tmpfs: a disk that really fills up. Needs the right to mount (root in a container)."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_a_clear_error_and_loses_nothing(
        small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli.corpus import import_records
    from monitor.errors import MonitorError
    from monitor.parse.corpus_files import read_path
    from monitor.runtime.ops_http import probe_database

    database = small_disk / "m.db"
    config = tmp_path / "full.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{ROOT / "seeds"}"\n',
                      encoding="utf-8")
    store = Store(database)  # open, as the daemon's is, when the disk fills up
    add(store, "kept", TEXT, seen=NOW, topics=("nato_iraq",), alert=True)
    assert probe_database(database) is None
    articles = tmp_path / "articles.jsonl"
    articles.write_text("\n".join(json.dumps({"text": f"{TEXT} {i} " + "كلمة جديدة " * 400}, ensure_ascii=False)
                                  for i in range(40)), encoding="utf-8")
    filler = fill(small_disk)

    error = probe_database(database)
    assert error is not None and "disk full" in error  # /healthz answers 503 with this
    with pytest.raises(MonitorError, match="corpus import stopped") as info:
        import_records(store, read_path(articles))
    assert "full" in str(info.value) and "run the import again" in str(info.value)
    # the open store still reads, and the alert stored before is there
    assert store.db.execute("SELECT count(*) FROM alerts WHERE article_id = 'kept'").fetchone()[0] == 1
    store.close()

    assert main(["corpus", "import", "--config", str(config), str(articles)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("monitor: ") and len(err.splitlines()) == 1  # one line, no traceback
    assert main(["db", "backup", "--config", str(config), str(small_disk / "b.db")]) == 1
    assert "disk full" in capsys.readouterr().err
    assert not (small_disk / "b.db").exists() and not (small_disk / "b.db.partial").exists()

    filler.unlink()  # space comes back: everything still there, and the import completes
    assert main(["db", "check", "--config", str(config)]) == 0
    store = Store(database)
    assert store.db.execute("SELECT count(*) FROM alerts WHERE article_id = 'kept'").fetchone()[0] == 1
    assert store.db["articles"].count == 1
    store.close()
    capsys.readouterr()
    assert main(["corpus", "import", "--config", str(config), str(articles)]) == 0
    assert "imported 40 articles" in capsys.readouterr().out
