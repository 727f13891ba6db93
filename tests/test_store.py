from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from monitor.models import ExtractedText
from monitor.store import connection as connection_module
from monitor.store import migrations as store_module
from monitor.store.database import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_new_database_is_wal_and_at_the_latest_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "sub" / "m.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == len(store_module.MIGRATIONS)
    assert {"feeds", "articles", "decisions"} <= set(store.db.table_names())
    store.close()


def test_older_database_is_upgraded_in_place_keeping_its_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.db"
    old = Store(path)
    old.add_feed("https://example.test/rss", "Example", NOW)
    old.close()

    def add_column(db: sqlite_utils.Database) -> None:
        db["feeds"].add_column("notes", str)

    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, add_column))
    upgraded = Store(path)
    assert upgraded.schema_version == len(store_module.MIGRATIONS)
    assert "notes" in upgraded.db["feeds"].columns_dict
    assert [f["url"] for f in upgraded.feeds()] == ["https://example.test/rss"]
    upgraded.close()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    store.add_feed("https://example.test/rss", "Example", NOW)
    extracted = ExtractedText(title="t", text="نص", language="ar", method="page")
    with pytest.raises(RuntimeError), store.transaction() as db:
        store.insert_article(
            db,
            article_id="a1",
            canonical_url="https://example.test/1",
            url="https://example.test/1",
            feed_url="https://example.test/rss",
            guid="1",
            source="Example",
            extracted=extracted,
            summary="",
            published=None,
            seen_at=NOW,
        )
        raise RuntimeError("killed between article and decision")
    assert store.db["articles"].count == 0
    assert store.seen_urls(["https://example.test/1"]) == set()
    store.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(connection_module.StoreError, match="cannot open database"):
        Store(path)


def test_a_read_then_write_transaction_survives_another_connection_writing_meanwhile(tmp_path: Path) -> None:
    """The dispatcher writes from its own connection while the pipeline reads, then writes: the pipeline's
    transaction must not fail with "database is locked" (SQLite's stale-snapshot case)."""
    import sqlite3
    import threading
    import time

    store = Store(tmp_path / "m.db")
    store.add_feed("https://example.test/rss", "Example", NOW)
    errors: list[BaseException] = []

    def other_writer() -> None:
        conn = sqlite3.connect(tmp_path / "m.db", timeout=30)
        try:
            conn.execute("UPDATE feeds SET name = 'from the other connection'")
            conn.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    with store.transaction() as db:
        db.execute("SELECT count(*) FROM feeds").fetchone()
        writer = threading.Thread(target=other_writer)
        writer.start()
        time.sleep(0.3)  # the other connection tries to write now
        db.execute("UPDATE feeds SET name = 'from the store'")
    writer.join(timeout=30)
    assert errors == []
    # The store held the write lock first, so the other connection's write came after it.
    assert store.feeds()[0]["name"] == "from the other connection"
    store.close()
