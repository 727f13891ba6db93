"""Full-text search: Arabic spelling variants at index and query time, filters, snippets, migration, CLI."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from monitor.cli.main import main
from monitor.models import Decision, ExtractedText, NearCopy, TopicResult
from monitor.store import migrations as store_module
from monitor.store import search
from monitor.store.database import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# Written the way outlets write: diacritics, hamza on the alef, tatweel, clitics glued on.
NATO_IRAQ = ("وأعلنَ الأمينُ العام لحِلفِ شمالِ الأطْلَسِيّ أنّ مهمّةَ التدريب بالعـراق ستتوسع، "
             "وقال إنّ الحلفاء سيرسلون مدربين إضافيين إلى بغداد.")
NATO_ONLY = "اجتمع وزراء دفاع حلف شمال الأطلسي في بروكسل لبحث الإنفاق العسكري."
LOOKALIKE = "وضعت الحكومة عراقيل أمام حلف تجاري جديد مع دول المحيط الأطلسي."  # عراقيل is not العراق


def add(store: Store, article_id: str, title: str, text: str, *, source: str = "Feed A",
        published: datetime | None = None, topics: tuple[str, ...] = (), duplicate_of: str | None = None) -> None:
    with store.transaction() as db:
        store.insert_article(
            db, article_id=article_id, canonical_url=f"https://news.test/{article_id}",
            url=f"https://news.test/{article_id}", feed_url=None, guid=None, source=source,
            extracted=ExtractedText(title=title, text=text, language="ar", method="page"), summary="",
            published=published, seen_at=NOW,
        )
        decision = Decision(article_id, NearCopy(duplicate_of, 0.9 if duplicate_of else 0.1),
                            tuple(TopicResult(t, True, 2.0, 1.0) for t in topics))
        store.insert_decision(db, decision, NOW)
        search.index_article(db, article_id, title, text)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "m.db")
    add(s, "a1", "الناتو يوسع مهمته", NATO_IRAQ, source="Feed A", published=datetime(2026, 11, 20, tzinfo=UTC),
        topics=("nato_iraq",))
    add(s, "a2", "اجتماع في بروكسل", NATO_ONLY, source="Feed B", published=datetime(2026, 11, 22, tzinfo=UTC))
    add(s, "a3", "تجارة", LOOKALIKE, source="Feed B", published=datetime(2026, 11, 21, tzinfo=UTC))
    return s


def ids(store: Store, query: str, **filters: object) -> list[str]:
    return [h.article_id for h in search.search(store.db, search.parse_query(query),
                                                search.Filters(**filters))]  # type: ignore[arg-type]


def test_query_finds_hamza_diacritic_tatweel_and_clitic_spellings(store: Store) -> None:
    # لحِلفِ (clitic + diacritics), الأطْلَسِيّ (hamza + diacritics), بالعـراق (clitics + tatweel)
    assert ids(store, "حلف الأطلسي العراق") == ["a1"]
    assert ids(store, "العِراقُ") == ["a1"]  # diacritics in the query are ignored too
    assert set(ids(store, "اطلسي")) == {"a1", "a2", "a3"}
    assert "a3" not in ids(store, "العراق")  # عراقيل is a different word


def test_fts_syntax_in_user_input_is_taken_literally(store: Store) -> None:
    for query in ['NEAR("حلف', "title:حلف", "حلف AND OR NOT", '"', "*", "^حلف"]:
        search.search(store.db, search.parse_query(query))  # must not raise an FTS5 syntax error
    assert ids(store, "^الناتو") == ["a1"]  # operators are dropped, the word stays


def test_phrase_prefix_and_any(store: Store) -> None:
    assert ids(store, '"شمال الأطلسي"', order="date") == ["a2", "a1"]
    assert ids(store, '"الأطلسي شمال"') == []  # a phrase keeps its order
    assert set(ids(store, "عراق*")) == {"a1", "a3"}  # عراق and عراقيل
    assert ids(store, "بروكسل بغداد") == []
    any_hits = search.search(store.db, search.parse_query("بروكسل بغداد", any_term=True))
    assert {h.article_id for h in any_hits} == {"a1", "a2"}


def test_filters_topic_source_dates_and_copies(store: Store) -> None:
    add(store, "a4", "نسخة", NATO_IRAQ + " (نقلا عن وكالات)", source="Feed C", duplicate_of="a1",
        published=datetime(2026, 11, 23, tzinfo=UTC))
    assert set(ids(store, "حلف")) == {"a1", "a2", "a3", "a4"}
    assert ids(store, "حلف", topic="nato_iraq") == ["a1"]
    assert set(ids(store, "حلف", source="Feed B")) == {"a2", "a3"}
    assert set(ids(store, "حلف", since="2026-11-21")) == {"a2", "a3", "a4"}
    assert set(ids(store, "حلف", until="2026-11-21")) == {"a1", "a3"}  # a bare date includes that whole day
    assert set(ids(store, "حلف", since="2026-11-21", until="2026-11-22")) == {"a2", "a3"}
    assert "a4" not in ids(store, "حلف", exclude_copies=True)
    assert ids(store, "حلف", order="date") == ["a4", "a2", "a3", "a1"]


def test_snippet_marks_the_words_as_written(store: Store) -> None:
    query = search.parse_query("حلف الأطلسي العراق")
    snippet = search.make_snippet(NATO_IRAQ, query, width=120)
    assert "[لحِلفِ]" in snippet and "[الأطْلَسِيّ]" in snippet and "[بالعـراق]" in snippet
    assert "[" not in search.make_snippet(LOOKALIKE, search.parse_query("العراق"))
    long_text = "كلام عام لا صلة له بالموضوع. " * 40 + NATO_IRAQ + " خاتمة." * 40
    snippet = search.make_snippet(long_text, query, width=160)
    assert snippet.startswith("…") and snippet.endswith("…") and "[بالعـراق]" in snippet
    assert len(snippet) < 220


def test_reindexing_an_article_replaces_its_entry(store: Store) -> None:
    with store.transaction() as db:
        search.index_article(db, "a2", "اجتماع في بروكسل", "نص جديد عن الطقس في بروكسل")
        search.index_article(db, "a2", "اجتماع في بروكسل", "نص جديد عن الطقس في بروكسل")
    assert ids(store, "الطقس") == ["a2"]
    assert "a2" not in ids(store, "الإنفاق")
    with store.transaction() as db:
        assert search.rebuild(db) == 3
    assert search.indexed_count(store.db) == 3 and "a2" in ids(store, "الإنفاق")


def test_an_older_database_is_indexed_by_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)  # a database written when migration 1 was the whole schema
    store_module.MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["articles"].insert({"id": "old1", "canonical_url": "u1", "url": "u1", "source": "s", "title": "عنوان",
                            "text": NATO_IRAQ, "seen_at": "2026-11-23T09:00:00+00:00", "extraction": "page"})
    old.conn.commit()
    old.conn.close()
    upgraded = Store(path)
    assert upgraded.schema_version == len(store_module.MIGRATIONS)
    assert ids(upgraded, "حلف الأطلسي") == ["old1"]
    assert {"alerts_view", "matches_view"} <= set(upgraded.db.view_names())
    upgraded.close()


def test_views_for_browsing(store: Store) -> None:
    rows = list(store.db.query("SELECT article_id, matched_topics, source FROM matches_view"))
    assert rows == [{"article_id": "a1", "matched_topics": "nato_iraq", "source": "Feed A"}]
    fks = {(fk.table, fk.column, fk.other_table) for fk in store.db[search.DOCS_TABLE].foreign_keys}
    assert fks == {(search.DOCS_TABLE, "article_id", "articles")}


def write_config(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "monitor.toml"
    root = Path(__file__).parent.parent
    config.write_text(f'[storage]\ndatabase = "{database}"\n[pipeline]\nseeds_dir = "{root / "seeds"}"\n'
                      "fetch_pages = false\n", encoding="utf-8")
    return config


def test_search_command(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store.close()
    config = write_config(tmp_path, tmp_path / "m.db")
    assert main(["search", "--config", str(config), "حلف", "الأطلسي", "العراق"]) == 0
    out = capsys.readouterr().out
    assert "[لحِلفِ]" in out and "https://news.test/a1" in out and "topics: nato_iraq" in out
    assert "a2" not in out.replace("a2026", "")

    assert main(["search", "--config", str(config), "--json", "--source", "Feed B", "حلف"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {h["id"] for h in hits} == {"a2", "a3"}
    assert all("<mark>حلف</mark>" in h["snippet"] for h in hits)

    assert main(["search", "--config", str(config), "كلمةغيرموجودة"]) == 1
    assert "no articles match" in capsys.readouterr().out
    assert main(["search", "--config", str(config), "--rebuild-index"]) == 0
    assert "3 articles" in capsys.readouterr().err


def test_search_command_rejects_a_bad_date(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store.close()
    config = write_config(tmp_path, tmp_path / "m.db")
    with pytest.raises(SystemExit) as info:
        main(["search", "--config", str(config), "--since", "last week", "حلف"])
    assert info.value.code == 2 and "not an ISO date" in capsys.readouterr().err


def test_index_terms_are_stored_normalised(store: Store) -> None:
    # what the tokenizer sees has no diacritics and no tatweel, so FTS5 cannot split a word at them
    row = sqlite3.connect(store.path).execute(
        f"SELECT body FROM {search.FTS_TABLE} f JOIN {search.DOCS_TABLE} s ON s.rowid = f.rowid"
        " WHERE s.article_id = 'a1'").fetchone()
    assert "حلف" in row[0].split() and "عراق" in row[0].split() and "اطلسي" in row[0].split()
    assert not any("\u064b" <= c <= "\u0652" or c == "\u0640" for c in row[0])
