from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from monitor.models import Alert, Decision, ExtractedText, NearCopy, TopicResult
from monitor.store import connection as connection_module
from monitor.store import migrations as store_module
from monitor.store.database import NewArticle, Store
from monitor.store.search import parse_query

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


def _article(article_id: str, **changes: object) -> NewArticle:
    fields: dict[str, object] = {
        "article_id": article_id, "canonical_url": f"https://example.test/{article_id}",
        "url": f"https://example.test/{article_id}", "feed_url": "https://example.test/rss", "guid": article_id,
        "source": "Example", "extracted": ExtractedText(title="الناتو في العراق", text=NATO_TEXT, language="ar",
                                                        method="page"),
        "summary": "", "published": None, "seen_at": NOW, **changes,
    }
    return NewArticle(**fields)  # type: ignore[arg-type]


NATO_TEXT = "أعلن حلف الناتو توسيع مهمته في العراق لتدريب القوات العراقية في بغداد والبصرة."


def _alert(article_id: str) -> Alert:
    return Alert(alert_id=f"alrt_{article_id}", article_id=article_id, topic="nato_iraq", score=0.9, threshold=0.5,
                 evidence=(), title="الناتو في العراق", url=f"https://example.test/{article_id}", source="Example",
                 published=None, snippet="", created_at=NOW)


def test_record_article_commits_article_decision_search_entry_and_alerts_together(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    store.add_feed("https://example.test/rss", "Example", NOW)
    decision = Decision("a1", NearCopy(None, 0.0), (TopicResult("nato_iraq", True, 0.9, 0.5),))
    assert store.record_article(_article("a1"), decision, [_alert("a1")], lambda topic: ["hook", "mail"]) == 1
    assert store.seen_urls(["https://example.test/a1"]) == {"https://example.test/a1"}
    assert [h.article_id for h in store.search(parse_query("الناتو"))] == ["a1"]
    assert store.delivery_states() == {"pending": 2}
    assert store.counts()["matches"] == 1
    # a near-copy of the alerted article is noted on its alert, not alerted again
    copy = Decision("a2", NearCopy("a1", 0.95, "near"), (TopicResult("nato_iraq", True, 0.9, 0.5),))
    assert store.record_article(_article("a2"), copy) == 0
    noted = store.db.execute("SELECT copy_article_id FROM alert_also_published WHERE article_id = 'a1'").fetchall()
    assert noted == [("a2",)]

    def channels_fail(topic: str) -> list[str]:
        raise RuntimeError("killed between the decision and the alert")

    third = Decision("a3", NearCopy(None, 0.0), (TopicResult("nato_iraq", True, 0.9, 0.5),))
    with pytest.raises(RuntimeError):
        store.record_article(_article("a3"), third, [_alert("a3")], channels_fail)
    assert store.seen_urls(["https://example.test/a3"]) == set()  # nothing of it was committed
    assert store.db.execute("SELECT count(*) FROM decisions WHERE article_id = 'a3'").fetchone()[0] == 0
    assert "a3" not in {h.article_id for h in store.search(parse_query("الناتو"))}
    store.close()


def test_stored_times_are_one_fixed_width_utc_format_whose_order_is_time_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    riyadh = timezone(timedelta(hours=3))
    store.add_feed("https://example.test/rss", "Example", datetime(2026, 11, 23, 12, 0, tzinfo=riyadh))
    store.update_feed("https://example.test/rss", {"next_poll_at": datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=UTC)})
    row = store.feeds()[0]
    assert row["created_at"] == "2026-11-23T09:00:00.000000Z"
    assert row["next_poll_at"] == "2026-11-23T10:00:00.000005Z"
    assert store.due_feeds(datetime(2026, 11, 23, 10, 0, 0, 4, tzinfo=UTC)) == []
    assert [f.url for f in store.due_feeds(datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=UTC))] == [row["url"]]
    store.close()
